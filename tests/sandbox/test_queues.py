"""Inbound calls, <Enqueue> with its wait music, <Leave>, and <Dial><Queue>."""

from __future__ import annotations

import pytest
import requests
from twilio.base.exceptions import TwilioRestException

from tests.sandbox.conftest import AGENT, FROM, OTHER, VISITOR, ended, place, said

OUR_NUMBER = FROM  # the sandbox's tests own only this number
QUEUE = "cb-0123abcd"
ENQUEUE = (
    '<Response><Say language="en-GB">Thanks for calling</Say>'
    '<Enqueue action="/left" method="POST" waitUrl="/wait" waitUrlMethod="POST">{queue}</Enqueue>'
    "<Say>Not reached when an action is given</Say><Hangup/></Response>"
)
WAIT = (
    "<Response><Say>You are number {position} in line</Say>"
    '<Gather numDigits="1" timeout="5" action="/offer" method="POST">'
    "<Say>Press 1 for a callback</Say></Gather>"
    '<Pause length="10"/></Response>'
)
AGENT_TWIML = (
    '<Response><Say>Connecting.</Say><Dial action="/dial-result" method="POST" timeout="25">'
    '<Queue url="/dequeued" method="POST">{queue}</Queue></Dial></Response>'
)


@pytest.fixture
def line(sandbox, customer):
    """Our number answers with the queue; the wait music tells the caller their place."""
    sandbox.control.set_number(
        OUR_NUMBER, voice_url=customer.url("incoming"), status_callback=customer.url("status")
    )
    customer.twiml["incoming"] = ENQUEUE.format(queue=QUEUE)
    customer.twiml["wait"] = lambda p: WAIT.format(position=p["QueuePosition"])
    customer.twiml["dequeued"] = "<Response><Say>Connecting you to an agent</Say></Response>"
    return customer


def wait_hits(customer, sid):
    return [h for h in customer.received("wait") if h.params["CallSid"] == sid]


def waiting(customer, sid, count=1):
    """Wait until the caller `sid` heard the wait music `count` times; return those hits."""
    return customer.wait_for(lambda: (h := wait_hits(customer, sid)) and len(h) >= count and h)


def test_a_caller_waits_in_line_presses_1_and_leaves_the_queue(sandbox, line):
    sandbox.control.set_phone(VISITOR, digits=("", "1"))  # nothing the first time round
    line.twiml["offer"] = "<Response><Leave/></Response>"
    line.twiml["left"] = "<Response><Say>We will call you back</Say></Response>"

    sid = sandbox.control.call_in(VISITOR, OUR_NUMBER)
    call = ended(sandbox, sid)

    (incoming,) = line.received("incoming")
    assert incoming.params["Direction"] == "inbound"
    assert incoming.params["CallStatus"] == "ringing"
    assert (incoming.params["From"], incoming.params["To"]) == (VISITOR, OUR_NUMBER)
    assert incoming.signature_valid
    first, second = wait_hits(line, sid)
    assert first.params["QueueSid"].startswith("QU")
    assert first.params["QueueSid"] == second.params["QueueSid"]
    assert [h.params["QueuePosition"] for h in (first, second)] == ["1", "1"]
    assert [h.params["CurrentQueueSize"] for h in (first, second)] == ["1", "1"]
    assert int(first.params["QueueTime"]) == 0 < int(second.params["QueueTime"])
    assert first.params["AvgQueueTime"] == "0"
    assert first.signature_valid
    (offer,) = line.received("offer")
    assert offer.params["Digits"] == "1"
    assert offer.params["QueueSid"] == first.params["QueueSid"]
    (left,) = line.received("left")
    assert left.params["QueueResult"] == "leave"
    assert left.params["QueueSid"] == first.params["QueueSid"]
    assert int(left.params["QueueTime"]) > int(second.params["QueueTime"])
    assert call["status"] == "completed"
    assert call["direction"] == "inbound"
    assert said(call)[0] == "Thanks for calling"
    assert said(call)[-1] == "We will call you back"
    assert "Not reached when an action is given" not in said(call)


def test_without_an_action_the_verbs_after_enqueue_follow_a_leave(sandbox, line):
    sandbox.control.set_phone(VISITOR, digits="1")
    line.twiml["incoming"] = (
        f'<Response><Enqueue waitUrl="/wait">{QUEUE}</Enqueue><Say>After</Say></Response>'
    )
    line.twiml["offer"] = "<Response><Leave/></Response>"

    call = ended(sandbox, sandbox.control.call_in(VISITOR, OUR_NUMBER))

    assert said(call)[-1] == "After"


def test_a_caller_who_hangs_up_while_waiting_reaches_the_action_with_hangup(sandbox, line):
    sandbox.control.set_phone(VISITOR, digits="", hangup_after_answer=30)
    line.twiml["left"] = "<Response><Say>Never played</Say></Response>"

    sid = sandbox.control.call_in(VISITOR, OUR_NUMBER)
    call = ended(sandbox, sid)

    assert len(wait_hits(line, sid)) >= 2
    (left,) = line.received("left")
    assert left.params["QueueResult"] == "hangup"
    assert left.params["QueueSid"].startswith("QU")
    assert call["status"] == "completed"
    assert call["duration"] == "30"
    assert "Never played" not in said(call)
    (status,) = line.wait_for(lambda: line.callbacks(sid))
    assert status.params["CallStatus"] == "completed"
    assert status.params["Direction"] == "inbound"


def test_hanging_up_a_queued_call_through_the_api_ends_it(sandbox, line, client):
    sandbox.control.set_phone(VISITOR, digits="")
    sid = sandbox.control.call_in(VISITOR, OUR_NUMBER)
    waiting(line, sid)

    listed = client.calls.list(to=OUR_NUMBER)
    assert [(c.sid, c.direction) for c in listed] == [(sid, "inbound")]
    client.calls(sid).update(status="completed")

    assert ended(sandbox, sid)["status"] == "completed"
    (left,) = line.received("left")
    assert left.params["QueueResult"] == "hangup"


def test_redirecting_a_queued_call_through_the_api_takes_it_out(sandbox, line, client):
    sandbox.control.set_phone(VISITOR, digits="")
    line.twiml["elsewhere"] = "<Response><Say>Elsewhere</Say></Response>"
    sid = sandbox.control.call_in(VISITOR, OUR_NUMBER)
    waiting(line, sid)

    client.calls(sid).update(url=line.url("elsewhere"))

    assert said(ended(sandbox, sid))[-1] == "Elsewhere"
    (left,) = line.received("left")
    assert left.params["QueueResult"] == "redirected"


def test_an_agent_dequeues_the_caller_and_they_talk(sandbox, line, client):
    sandbox.control.set_phone(VISITOR, digits="", hangup_after=7)
    sid = sandbox.control.call_in(VISITOR, OUR_NUMBER)
    (first_wait,) = waiting(line, sid)[:1]
    line.twiml["voice"] = AGENT_TWIML.format(queue=QUEUE)

    agent = place(client, line, to=AGENT)
    caller = ended(sandbox, sid)
    agent_call = ended(sandbox, agent.sid)

    queue_sid = first_wait.params["QueueSid"]
    (dequeued,) = line.received("dequeued")
    assert dequeued.params["CallSid"] == sid
    assert dequeued.params["DequeingCallSid"] == agent.sid
    assert dequeued.params["QueueSid"] == queue_sid
    assert dequeued.signature_valid
    (result,) = line.received("dial-result")
    assert result.params["CallSid"] == agent.sid
    assert result.params["DialCallStatus"] == "completed"
    assert result.params["DialCallSid"] == sid
    assert result.params["DialCallDuration"] == "7"
    assert result.params["QueueSid"] == queue_sid
    (left,) = line.received("left")
    assert left.params["CallSid"] == sid
    assert left.params["QueueResult"] == "bridged"
    assert left.params["QueueSid"] == queue_sid
    assert int(left.params["QueueTime"]) >= 0
    assert "Connecting you to an agent" in said(caller)
    kinds = [e["kind"] for e in caller["log"]]
    assert kinds.index("dequeued") < kinds.index("bridged")
    assert caller["status"] == agent_call["status"] == "completed"
    assert said(agent_call) == ["Connecting."]


def test_when_the_agent_hangs_up_the_caller_goes_on_with_the_enqueue_action(sandbox, line, client):
    sandbox.control.set_phone(VISITOR, digits="", hangup_after=None)
    sandbox.control.set_phone(AGENT, hangup_after_answer=10)
    line.twiml["left"] = "<Response><Say>The agent hung up</Say></Response>"
    sid = sandbox.control.call_in(VISITOR, OUR_NUMBER)
    waiting(line, sid)
    line.twiml["voice"] = AGENT_TWIML.format(queue=QUEUE)

    agent = place(client, line, to=AGENT)
    caller = ended(sandbox, sid)

    assert said(caller)[-1] == "The agent hung up"
    (left,) = line.received("left")
    assert left.params["QueueResult"] == "bridged"
    (result,) = line.received("dial-result")
    assert result.params["DialCallStatus"] == "completed"
    assert result.params["DialCallSid"] == sid
    # answered at 1, gone at 11; "Connecting." takes 1 s, the url's Say 2 s: bridged at 4
    assert result.params["DialCallDuration"] == "7"
    assert ended(sandbox, agent.sid)["status"] == "completed"


def test_two_callers_are_dequeued_in_the_order_they_joined(sandbox, line, client):
    sandbox.control.set_phone(VISITOR, digits="")
    sandbox.control.set_phone(OTHER, digits="")
    first = sandbox.control.call_in(VISITOR, OUR_NUMBER)
    waiting(line, first)
    second = sandbox.control.call_in(OTHER, OUR_NUMBER)
    (second_wait,) = waiting(line, second)[:1]
    assert second_wait.params["QueuePosition"] == "2"
    assert second_wait.params["CurrentQueueSize"] == "2"
    line.twiml["voice"] = AGENT_TWIML.format(queue=QUEUE)

    one = place(client, line, to=AGENT)
    ended(sandbox, first)
    ended(sandbox, one.sid)
    moved_up = waiting(line, second, len(wait_hits(line, second)) + 1)[-1]
    two = place(client, line, to=AGENT)
    ended(sandbox, second)
    ended(sandbox, two.sid)

    assert moved_up.params["QueuePosition"] == "1"
    results = {h.params["CallSid"]: h.params["DialCallSid"] for h in line.received("dial-result")}
    assert results == {one.sid: first, two.sid: second}


def test_dialling_a_queue_that_does_not_exist_fails_at_once(sandbox, customer, client):
    customer.twiml["voice"] = (
        '<Response><Dial action="/dial-result" timeout="3"><Queue>nobody</Queue></Dial></Response>'
    )
    call = place(client, customer, to=AGENT)
    played = ended(sandbox, call.sid)

    (result,) = customer.received("dial-result")
    assert result.params["DialCallStatus"] == "failed"
    assert "QueueSid" not in result.params
    dial, over = (e["at"] for e in played["log"] if e["kind"] in ("dial", "dial-ended"))
    assert over == dial


def test_dialling_an_empty_queue_gives_no_answer_after_the_timeout(sandbox, line, client):
    sandbox.control.set_phone(VISITOR, digits="1")
    line.twiml["offer"] = "<Response><Leave/></Response>"
    ended(sandbox, sandbox.control.call_in(VISITOR, OUR_NUMBER))  # the queue exists, empty
    line.twiml["voice"] = (
        f'<Response><Dial action="/dial-result" timeout="3"><Queue>{QUEUE}</Queue></Dial>'
        "</Response>"
    )

    played = ended(sandbox, place(client, line, to=AGENT).sid)

    (result,) = line.received("dial-result")
    assert result.params["DialCallStatus"] == "no-answer"
    assert result.params["QueueSid"] == line.received("left")[0].params["QueueSid"]
    dial, over = (e["at"] for e in played["log"] if e["kind"] in ("dial", "dial-ended"))
    assert over - dial == pytest.approx(3)


def inbound(sandbox, body):
    return requests.post(f"{sandbox.url}/_sandbox/calls/inbound", json=body, timeout=5)


def test_calling_a_number_the_account_does_not_own_is_refused(sandbox):
    response = inbound(sandbox, {"from": VISITOR, "to": OTHER})

    assert response.status_code == 400
    assert "not one of the account's numbers" in response.json()["error"]


def test_calling_a_number_without_a_voice_url_is_refused(sandbox):
    response = inbound(sandbox, {"from": VISITOR, "to": OUR_NUMBER})

    assert response.status_code == 400
    assert "voice_url" in response.json()["error"]


def test_a_bad_caller_number_is_refused(sandbox, line):
    response = inbound(sandbox, {"from": "0207", "to": OUR_NUMBER})

    assert response.status_code == 400
    assert "from" in response.json()["error"]


def test_number_settings_are_checked(sandbox):
    url = f"{sandbox.url}/_sandbox/numbers/{OTHER}"
    assert requests.put(url, json={"voice_url": "https://x"}, timeout=5).status_code == 404
    url = f"{sandbox.url}/_sandbox/numbers/{OUR_NUMBER}"
    refused = requests.put(url, json={"voice_url": "ftp://x"}, timeout=5)
    assert refused.status_code == 400
    assert "voice_url" in refused.json()["error"]
    set_ = sandbox.control.set_number(OUR_NUMBER, voice_url="https://example.test/in")
    assert set_ == {
        "number": OUR_NUMBER,
        "voice_url": "https://example.test/in",
        "voice_method": "POST",
        "status_callback": None,
        "status_callback_method": "POST",
    }


def test_the_twilio_library_sets_where_our_numbers_calls_go(sandbox, customer, client):
    (number,) = client.incoming_phone_numbers.list(phone_number=OUR_NUMBER)
    assert number.voice_url is None

    updated = client.incoming_phone_numbers(number.sid).update(
        voice_url=customer.url("incoming"),
        voice_method="GET",
        status_callback=customer.url("status"),
    )
    customer.twiml["incoming"] = "<Response><Say>Hello caller</Say></Response>"
    sid = sandbox.control.call_in(VISITOR, OUR_NUMBER)
    call = ended(sandbox, sid)

    assert (updated.voice_url, updated.voice_method) == (customer.url("incoming"), "GET")
    fetched = client.incoming_phone_numbers(number.sid).fetch()
    assert fetched.status_callback == customer.url("status")
    (incoming,) = customer.received("incoming")
    assert incoming.method == "GET"
    assert said(call) == ["Hello caller"]
    assert client.calls(sid).fetch().direction == "inbound"
    (status,) = customer.wait_for(lambda: customer.callbacks(sid))
    assert status.params["CallStatus"] == "completed"


def test_an_unknown_number_sid_is_not_found(sandbox, client):
    with pytest.raises(TwilioRestException) as refused:
        client.incoming_phone_numbers("PN" + "0" * 32).update(voice_url="https://x.test/")

    assert refused.value.status == 404


def test_the_twilio_library_lists_and_deletes_queues(sandbox, line, client):
    sandbox.control.set_phone(VISITOR, digits="")
    sid = sandbox.control.call_in(VISITOR, OUR_NUMBER)
    (first_wait,) = waiting(line, sid)[:1]

    (queue,) = client.queues.list()
    assert (queue.sid, queue.friendly_name) == (first_wait.params["QueueSid"], QUEUE)
    assert queue.current_size == 1
    with pytest.raises(TwilioRestException) as refused:
        client.queues(queue.sid).delete()
    assert refused.value.status == 400

    client.calls(sid).update(status="completed")
    ended(sandbox, sid)
    assert client.queues(queue.sid).fetch().current_size == 0
    assert client.queues(queue.sid).delete() is True
    assert client.queues.list() == []


def test_the_callers_keys_go_through_a_second_gather_before_they_leave(sandbox, line):
    sandbox.control.set_phone(VISITOR, digits=("1", "07700900123#"))
    line.twiml["offer"] = (
        '<Response><Gather finishOnKey="#" numDigits="15" action="/number" method="POST">'
        "<Say>Enter your number, then hash</Say></Gather>"
        '<Redirect method="POST">/wait</Redirect></Response>'
    )
    line.twiml["number"] = "<Response><Say>Thank you</Say><Leave/></Response>"
    line.twiml["left"] = "<Response><Say>Goodbye</Say><Hangup/></Response>"

    sid = sandbox.control.call_in(VISITOR, OUR_NUMBER)
    call = ended(sandbox, sid)

    (number,) = line.received("number")
    assert number.params["Digits"] == "07700900123"
    assert number.params["QueuePosition"] == "1"
    (left,) = line.received("left")
    assert left.params["QueueResult"] == "leave"
    assert said(call)[-2:] == ["Thank you", "Goodbye"]


def test_a_caller_who_hangs_up_on_the_phones_page_while_waiting_leaves_the_queue(sandbox, line):
    sandbox.control.set_phone(VISITOR, manual=True)
    line.twiml["wait"] = '<Response><Pause length="10"/></Response>'
    sid = sandbox.control.call_in(VISITOR, OUR_NUMBER)
    waiting(line, sid)

    sandbox.control.hangup(sid)

    assert ended(sandbox, sid)["status"] == "completed"
    (left,) = line.received("left")
    assert left.params["QueueResult"] == "hangup"


def test_a_caller_who_hangs_up_during_the_dequeue_url_is_not_bridged(sandbox, line, client):
    sandbox.control.set_phone(VISITOR, digits="")
    sid = sandbox.control.call_in(VISITOR, OUR_NUMBER)
    waiting(line, sid)

    def hang_up_meanwhile(params):
        sandbox.control.hangup(params["CallSid"])  # as the caller, on the phones page
        return "<Response><Say>Connecting you to an agent</Say></Response>"

    line.twiml["dequeued"] = hang_up_meanwhile
    line.twiml["voice"] = AGENT_TWIML.format(queue=QUEUE)
    agent = place(client, line, to=AGENT)
    caller = ended(sandbox, sid)
    ended(sandbox, agent.sid)

    (result,) = line.received("dial-result")
    assert result.params["DialCallStatus"] == "no-answer"
    assert result.params["DialCallSid"] == sid
    (left,) = line.received("left")
    assert left.params["QueueResult"] == "bridging-in-process"
    assert caller["status"] == "completed"
    assert not any(e["kind"] == "bridged" for e in caller["log"])


def bridged_caller(sandbox, line, client):
    """Queue VISITOR (who talks until someone ends it) and let an agent take the call."""
    sandbox.control.set_phone(VISITOR, digits="", hangup_after=None)
    sandbox.control.set_phone(AGENT, hangup_after_answer=None)
    sid = sandbox.control.call_in(VISITOR, OUR_NUMBER)
    waiting(line, sid)
    line.twiml["voice"] = AGENT_TWIML.format(queue=QUEUE)
    agent = place(client, line, to=AGENT)
    sandbox.control.wait_for(
        lambda s: any(c["sid"] == sid and c["bridged_with"] == agent.sid for c in s["calls"])
    )
    return sid, agent.sid


def test_hanging_up_a_bridged_caller_through_the_api_ends_the_dial(sandbox, line, client):
    sid, agent = bridged_caller(sandbox, line, client)
    line.twiml["dial-result"] = "<Response><Say>The caller hung up</Say></Response>"

    client.calls(sid).update(status="completed")

    assert ended(sandbox, sid)["status"] == "completed"
    assert said(ended(sandbox, agent))[-1] == "The caller hung up"
    (result,) = line.received("dial-result")
    assert (result.params["DialCallStatus"], result.params["DialCallSid"]) == ("completed", sid)
    (left,) = line.received("left")
    assert left.params["QueueResult"] == "bridged"


def test_redirecting_a_bridged_caller_takes_them_out_of_the_bridge(sandbox, line, client):
    sid, agent = bridged_caller(sandbox, line, client)
    line.twiml["elsewhere"] = "<Response><Say>Elsewhere</Say></Response>"

    client.calls(sid).update(url=line.url("elsewhere"))

    assert said(ended(sandbox, sid))[-1] == "Elsewhere"
    ended(sandbox, agent)
    (left,) = line.received("left")
    assert left.params["QueueResult"] == "redirected-from-bridged"
    (result,) = line.received("dial-result")
    assert result.params["DialCallStatus"] == "completed"
