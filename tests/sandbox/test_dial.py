"""<Dial><Number>: the child leg, the whisper, the bridge and the action."""

from __future__ import annotations

import time

from tests.sandbox.conftest import AGENT, FROM, OTHER, VISITOR, ended, place, said

DIAL = (
    '<Response><Dial action="/dialled" timeout="20" callerId="{caller}">'
    '<Number url="/whisper" statusCallback="/child-status" '
    'statusCallbackEvent="initiated ringing answered completed">{to}</Number>'
    "</Dial><Say>Not reached when an action is given</Say></Response>"
)


def dial_twiml(to: str = VISITOR, caller: str = OTHER) -> str:
    return DIAL.format(to=to, caller=caller)


def answer_when_ringing(sandbox, number):
    """Answer the leg ringing at `number` as its person, and wait until it is bridged."""
    ringing = sandbox.control.wait_for(
        lambda s: next(
            (c for c in s["calls"] if c["to"] == number and c["status"] == "ringing"), None
        )
    )
    sandbox.control.answer(ringing["sid"])
    sandbox.control.wait_for(lambda s: any(c["bridged_with"] for c in s["calls"]))
    return ringing


def child_of(sandbox, sid):
    return next(c for c in sandbox.control.calls() if c["parent_call_sid"] == sid)


def test_dial_creates_a_child_leg_with_its_own_sid_and_caller_id(sandbox, customer, client):
    customer.twiml["voice"] = dial_twiml()
    call = place(client, customer)
    ended(sandbox, call.sid)

    child = child_of(sandbox, call.sid)
    assert child["sid"].startswith("CA")
    assert child["sid"] != call.sid
    assert child["direction"] == "outbound-dial"
    assert (child["from"], child["to"]) == (OTHER, VISITOR)
    assert child["status"] == "completed"
    assert child["duration"] == "5"  # the default callee talks five seconds, then hangs up


def test_the_whisper_is_played_to_the_callee_before_bridging(sandbox, customer, client):
    customer.twiml["voice"] = dial_twiml()
    customer.twiml["whisper"] = "<Response><Say>A callback for you</Say></Response>"
    call = place(client, customer)
    ended(sandbox, call.sid)

    child = child_of(sandbox, call.sid)
    (whisper,) = customer.received("whisper")
    assert whisper.params["CallSid"] == child["sid"]
    assert whisper.params["ParentCallSid"] == call.sid
    assert whisper.params["Direction"] == "outbound-dial"
    assert whisper.signature_valid
    kinds = [e["kind"] for e in child["log"]]
    assert kinds.index("say") < kinds.index("bridged")
    assert said(child) == ["A callback for you"]


def test_a_whisper_that_hangs_up_never_bridges(sandbox, customer, client):
    customer.twiml["voice"] = dial_twiml()
    customer.twiml["whisper"] = "<Response><Hangup/></Response>"
    call = place(client, customer)
    ended(sandbox, call.sid)

    (action,) = customer.received("dialled")
    assert action.params["DialBridged"] == "false"


def test_the_dial_action_gets_the_outcome_and_its_twiml_continues_the_call(
    sandbox, customer, client
):
    customer.twiml["voice"] = dial_twiml()
    customer.twiml["dialled"] = "<Response><Say>The visitor hung up</Say></Response>"
    call = place(client, customer)
    played = ended(sandbox, call.sid)

    child = child_of(sandbox, call.sid)
    (action,) = customer.received("dialled")
    assert action.params["DialCallStatus"] == "completed"
    assert action.params["DialCallSid"] == child["sid"]
    assert action.params["DialCallDuration"] == "5"
    assert action.params["DialBridged"] == "true"
    assert action.signature_valid
    assert said(played) == ["The visitor hung up"]


def test_without_an_action_the_next_verb_follows_the_dial(sandbox, customer, client):
    customer.twiml["voice"] = f"<Response><Dial>{VISITOR}</Dial><Say>After</Say></Response>"
    call = place(client, customer)

    assert said(ended(sandbox, call.sid)) == ["After"]


def test_the_child_legs_status_callbacks_carry_the_parent_sid(sandbox, customer, client):
    customer.twiml["voice"] = dial_twiml()
    call = place(client, customer)
    ended(sandbox, call.sid)
    child = child_of(sandbox, call.sid)

    hits = customer.wait_for(
        lambda: (h := customer.callbacks(child["sid"], "child-status")) and len(h) == 4 and h
    )

    assert [h.params["CallStatus"] for h in hits] == [
        "initiated",
        "ringing",
        "in-progress",
        "completed",
    ]
    assert all(h.params["ParentCallSid"] == call.sid for h in hits)
    assert all(h.params["Direction"] == "outbound-dial" for h in hits)
    assert all(h.signature_valid for h in hits)


def test_a_busy_callee_gives_dial_call_status_busy(sandbox, customer, client):
    sandbox.control.set_phone(VISITOR, busy=True)
    customer.twiml["voice"] = dial_twiml()
    call = place(client, customer)
    ended(sandbox, call.sid)

    (action,) = customer.received("dialled")
    assert action.params["DialCallStatus"] == "busy"
    assert action.params["DialBridged"] == "false"
    assert child_of(sandbox, call.sid)["status"] == "busy"


def test_a_callee_who_never_answers_gives_no_answer_after_the_dial_timeout(
    sandbox, customer, client
):
    sandbox.control.set_phone(VISITOR, no_answer=True)
    customer.twiml["voice"] = dial_twiml()
    call = place(client, customer)
    played = ended(sandbox, call.sid)

    (action,) = customer.received("dialled")
    assert action.params["DialCallStatus"] == "no-answer"
    dial, over = (e["at"] for e in played["log"] if e["kind"] in ("dial", "dial-ended"))
    assert over - dial == 20


def test_dialling_a_magic_invalid_number_fails(sandbox, customer, client):
    customer.twiml["voice"] = dial_twiml(to="+15005550001")
    call = place(client, customer)
    ended(sandbox, call.sid)

    (action,) = customer.received("dialled")
    assert action.params["DialCallStatus"] == "failed"


def test_when_the_agent_hangs_up_first_the_bridged_visitor_is_hung_up_too(
    sandbox, customer, client
):
    sandbox.control.set_phone(AGENT, hangup_after_answer=4)  # answered at 1, bridged at 2
    sandbox.control.set_phone(VISITOR, hangup_after=None)
    customer.twiml["voice"] = dial_twiml()
    call = place(client, customer)
    parent = ended(sandbox, call.sid)

    child = child_of(sandbox, call.sid)
    assert parent["status"] == child["status"] == "completed"
    assert child["duration"] == "3"
    (action,) = customer.received("dialled")
    assert action.params["CallStatus"] == "completed"


def test_hanging_up_the_parent_through_the_api_ends_the_bridge(sandbox, customer, client):
    sandbox.control.set_phone(VISITOR, hangup_after=None)  # talks until someone else ends it
    customer.twiml["voice"] = f"<Response><Dial>{VISITOR}</Dial></Response>"
    call = place(client, customer)
    sandbox.control.wait_for(lambda s: any(c["bridged_with"] for c in s["calls"]))
    time.sleep(0.1)  # even at time scale 0 the bridge stays up
    assert child_of(sandbox, call.sid)["status"] == "in-progress"

    client.calls(call.sid).update(status="completed")

    child = child_of(sandbox, call.sid)
    assert ended(sandbox, child["sid"])["status"] == "completed"


def test_hanging_up_the_child_through_the_api_lets_the_parent_continue(sandbox, customer, client):
    sandbox.control.set_phone(VISITOR, manual=True)
    customer.twiml["voice"] = f"<Response><Dial>{VISITOR}</Dial><Say>Still here</Say></Response>"
    call = place(client, customer)
    answer_when_ringing(sandbox, VISITOR)
    child = child_of(sandbox, call.sid)

    client.calls(child["sid"]).update(status="completed")

    assert said(ended(sandbox, call.sid)) == ["Still here"]


def test_the_callee_presses_keys_in_a_whisper_gather(sandbox, customer, client):
    sandbox.control.set_phone(VISITOR, digits="9")
    customer.twiml["voice"] = dial_twiml()
    customer.twiml["whisper"] = (
        '<Response><Gather numDigits="1" action="/whisper-choice"><Say>Press 9</Say></Gather>'
        "</Response>"
    )
    call = place(client, customer)
    ended(sandbox, call.sid)

    (choice,) = customer.received("whisper-choice")
    assert choice.params["Digits"] == "9"
    assert choice.params["To"] == VISITOR
    assert customer.received("voice")[0].params["From"] == FROM
    assert AGENT != VISITOR
