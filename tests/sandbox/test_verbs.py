"""Each TwiML verb, played against a customer app that serves the documents."""

from __future__ import annotations

from tests.sandbox.conftest import ACCOUNT_SID, AGENT, FROM, ended, place, said


def test_twiml_is_fetched_with_twilios_signed_voice_parameters(sandbox, customer, client):
    call = place(client, customer)
    ended(sandbox, call.sid)

    (fetch,) = customer.received("voice")
    assert fetch.method == "POST"
    assert fetch.signature_valid
    assert fetch.params["CallSid"] == call.sid
    assert fetch.params["AccountSid"] == ACCOUNT_SID
    assert fetch.params["CallStatus"] == "in-progress"
    assert fetch.params["Direction"] == "outbound-api"
    assert (fetch.params["From"], fetch.params["To"]) == (FROM, AGENT)
    assert (fetch.params["Caller"], fetch.params["Called"]) == (FROM, AGENT)
    assert fetch.params["ApiVersion"] == "2010-04-01"


def test_get_method_sends_the_parameters_in_the_query(sandbox, customer, client):
    call = place(client, customer, method="GET")
    ended(sandbox, call.sid)

    (fetch,) = customer.received("voice")
    assert fetch.method == "GET"
    assert fetch.signature_valid
    assert fetch.params["CallSid"] == call.sid


def test_inline_twiml_is_played_without_fetching(sandbox, customer, client):
    call = client.calls.create(
        to=AGENT, from_=FROM, twiml="<Response><Say language='en-GB'>Hello</Say></Response>"
    )

    played = ended(sandbox, call.sid)

    assert said(played) == ["Hello"]
    assert played["log"][-1] == {
        "at": played["log"][-1]["at"],
        "kind": "ended",
        "status": "completed",
    }
    assert customer.hits == []


def test_say_records_text_and_language_and_pause_takes_its_length(sandbox, customer, client):
    customer.twiml["voice"] = (
        '<Response><Say language="en-GB" voice="Polly.Amy">Your callback is ready</Say>'
        '<Pause length="7"/><Play>https://example.com/tone.mp3</Play></Response>'
    )
    call = place(client, customer)

    played = ended(sandbox, call.sid)

    say = next(e for e in played["log"] if e["kind"] == "say")
    assert (say["text"], say["language"], say["voice"]) == (
        "Your callback is ready",
        "en-GB",
        "Polly.Amy",
    )
    assert any(e["kind"] == "play" for e in played["log"])
    assert int(played["duration"]) >= 7 + 3


def test_gather_posts_the_pressed_digit_to_the_action(sandbox, customer, client):
    customer.twiml["voice"] = (
        '<Response><Gather numDigits="1" action="/choice" method="POST">'
        "<Say>Press 1 to accept</Say></Gather><Say>No answer</Say></Response>"
    )
    customer.twiml["choice"] = "<Response><Say>Thanks</Say></Response>"
    call = place(client, customer)

    played = ended(sandbox, call.sid)

    (choice,) = customer.received("choice")
    assert choice.params["Digits"] == "1"
    assert choice.params["CallSid"] == call.sid
    assert choice.signature_valid
    assert said(played) == ["Press 1 to accept", "Thanks"]


def test_gather_without_input_continues_with_the_next_verb(sandbox, customer, client):
    sandbox.control.set_phone(AGENT, digits="")
    customer.twiml["voice"] = (
        '<Response><Gather numDigits="1" action="/choice" timeout="4"><Say>Press 1</Say></Gather>'
        "<Say>We did not hear you</Say></Response>"
    )
    call = place(client, customer)

    played = ended(sandbox, call.sid)

    assert customer.received("choice") == []
    assert said(played) == ["Press 1", "We did not hear you"]
    assert any(e["kind"] == "gather-timeout" for e in played["log"])


def test_gather_without_action_posts_to_the_current_document(sandbox, customer, client):
    answers = iter(['<Response><Gather numDigits="1"/></Response>', "<Response/>"])
    customer.twiml["voice"] = lambda params: next(answers)
    call = place(client, customer)
    ended(sandbox, call.sid)

    first, second = customer.received("voice")
    assert "Digits" not in first.params
    assert second.params["Digits"] == "1"


def test_redirect_fetches_the_next_document(sandbox, customer, client):
    customer.twiml["voice"] = '<Response><Redirect method="POST">/next</Redirect></Response>'
    customer.twiml["next"] = "<Response><Say>Redirected</Say></Response>"
    call = place(client, customer)

    played = ended(sandbox, call.sid)

    assert said(played) == ["Redirected"]
    assert customer.received("next")[0].signature_valid


def test_hangup_ends_the_call_before_later_verbs(sandbox, customer, client):
    customer.twiml["voice"] = "<Response><Say>Bye</Say><Hangup/><Say>Never</Say></Response>"
    call = place(client, customer)

    played = ended(sandbox, call.sid)

    assert said(played) == ["Bye"]
    assert played["status"] == "completed"


def test_reject_ends_the_call(sandbox, customer, client):
    customer.twiml["voice"] = '<Response><Reject reason="busy"/><Say>Never</Say></Response>'
    call = place(client, customer)

    played = ended(sandbox, call.sid)

    assert said(played) == []
    assert any(e["kind"] == "reject" for e in played["log"])


def test_a_failing_twiml_url_ends_the_call_with_error_11200(sandbox, customer, client):
    call = place(client, customer, url=customer.url("missing").replace("/missing", ":1/x"))

    played = ended(sandbox, call.sid)

    assert played["status"] == "completed"
    assert [e["code"] for e in played["log"] if e["kind"] == "error"] == [11200]


def test_unparseable_twiml_ends_the_call_with_error_12100(sandbox, customer, client):
    customer.twiml["voice"] = "<Response><Say>unclosed"
    call = place(client, customer)

    played = ended(sandbox, call.sid)

    assert [e["code"] for e in played["log"] if e["kind"] == "error"] == [12100]


def test_updating_the_url_redirects_a_live_call(sandbox, customer, client):
    sandbox.control.set_phone(AGENT, manual=True)
    customer.twiml["voice"] = '<Response><Gather timeout="600"><Say>Hold</Say></Gather></Response>'
    customer.twiml["moved"] = "<Response><Say>Moved on</Say></Response>"
    call = place(client, customer)
    sandbox.control.wait_for(lambda s: s["calls"][0]["status"] == "ringing")
    sandbox.control.answer(call.sid)
    sandbox.control.wait_for(lambda s: s["calls"][0]["gathering"])

    client.calls(call.sid).update(url=customer.url("moved"), method="POST")

    played = ended(sandbox, call.sid)
    assert said(played) == ["Hold", "Moved on"]
