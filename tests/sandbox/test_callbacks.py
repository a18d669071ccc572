"""Status callbacks as Twilio sends them: subscribed events, signed, numbered, complete."""

from __future__ import annotations

from email.utils import parsedate_to_datetime

from tests.sandbox.conftest import ACCOUNT_SID, AGENT, FROM, ended, place

ALL_EVENTS = ["initiated", "ringing", "answered", "completed"]


def callbacks_of(customer, sid, count):
    return customer.wait_for(lambda: (h := customer.callbacks(sid)) and len(h) >= count and h)


def test_every_subscribed_event_is_sent_in_order_with_sequence_numbers(sandbox, customer, client):
    customer.twiml["voice"] = '<Response><Pause length="4"/></Response>'
    call = place(client, customer, status_callback_event=ALL_EVENTS)
    ended(sandbox, call.sid)

    hits = callbacks_of(customer, call.sid, 4)

    assert [h.params["CallStatus"] for h in hits] == [
        "initiated",
        "ringing",
        "in-progress",
        "completed",
    ]
    assert [h.params["SequenceNumber"] for h in hits] == ["0", "1", "2", "3"]
    assert all(h.params["CallbackSource"] == "call-progress-events" for h in hits)
    assert all(h.signature_valid for h in hits)
    assert len({h.idempotency_token for h in hits}) == 4


def test_the_completed_callback_carries_durations_and_twilios_parameters(sandbox, customer, client):
    customer.twiml["voice"] = '<Response><Pause length="65"/></Response>'
    call = place(client, customer)
    ended(sandbox, call.sid)

    (completed,) = callbacks_of(customer, call.sid, 1)

    params = completed.params
    assert params["CallStatus"] == "completed"
    assert params["CallDuration"] == "65"
    assert params["Duration"] == "2"  # billed minutes, rounded up
    assert (params["AccountSid"], params["CallSid"]) == (ACCOUNT_SID, call.sid)
    assert (params["From"], params["To"], params["Caller"], params["Called"]) == (
        FROM,
        AGENT,
        FROM,
        AGENT,
    )
    assert params["Direction"] == "outbound-api"
    assert params["ApiVersion"] == "2010-04-01"
    assert parsedate_to_datetime(params["Timestamp"]).tzinfo is not None
    assert "ParentCallSid" not in params


def test_only_completed_is_sent_when_no_events_are_named(sandbox, customer, client):
    call = place(client, customer)
    ended(sandbox, call.sid)

    hits = callbacks_of(customer, call.sid, 1)

    assert [h.params["CallStatus"] for h in hits] == ["completed"]
    assert hits[0].params["SequenceNumber"] == "0"


def test_completed_is_sent_even_when_only_other_events_are_named(sandbox, customer, client):
    call = place(client, customer, status_callback_event=["ringing"])
    ended(sandbox, call.sid)

    hits = callbacks_of(customer, call.sid, 2)

    assert [h.params["CallStatus"] for h in hits] == ["ringing", "completed"]


def test_get_status_callbacks_are_signed_over_the_full_url(sandbox, customer, client):
    call = place(client, customer, status_callback_method="GET")
    ended(sandbox, call.sid)

    (hit,) = callbacks_of(customer, call.sid, 1)

    assert hit.method == "GET"
    assert hit.signature_valid
    assert hit.params["CallStatus"] == "completed"


def test_answered_by_is_sent_when_machine_detection_was_asked_for(sandbox, customer, client):
    call = place(client, customer, machine_detection="Enable", status_callback_event=["answered"])
    ended(sandbox, call.sid)

    answered, _ = callbacks_of(customer, call.sid, 2)

    assert answered.params["AnsweredBy"] == "human"
    assert client.calls(call.sid).fetch().answered_by == "human"


def test_an_unreachable_callback_url_is_logged_without_phone_numbers(
    sandbox, customer, client, caplog
):
    call = place(client, customer, status_callback="http://127.0.0.1:1/status")
    ended(sandbox, call.sid)
    sandbox.control.wait_for(lambda s: True)

    record = customer.wait_for(
        lambda: [r for r in caplog.records if r.name == "callback.sandbox.callbacks"]
    )[0]

    assert call.sid in record.getMessage()
    assert AGENT not in caplog.text
    assert FROM not in caplog.text


def test_ringing_and_answered_are_reported_before_the_twiml_is_fetched(sandbox, customer, client):
    call = place(client, customer, status_callback_event=ALL_EVENTS)
    ended(sandbox, call.sid)
    callbacks_of(customer, call.sid, 4)

    order = [h.params.get("CallStatus") if h.path == "status" else h.path for h in customer.hits]

    assert order == ["initiated", "ringing", "in-progress", "voice", "completed"]
