"""Chaos switches: callbacks dropped, duplicated, delayed, reordered; creates refused or held."""

from __future__ import annotations

import time

import pytest
import requests
from twilio.base.exceptions import TwilioRestException

from tests.sandbox.conftest import AGENT, OTHER, ended, place, twilio_client

ALL_EVENTS = ["initiated", "ringing", "answered", "completed"]


def statuses(hits):
    return [h.params["CallStatus"] for h in hits]


def settle(customer, sid, count):
    customer.wait_for(lambda: (h := customer.callbacks(sid)) and len(h) >= count and h)
    time.sleep(0.1)  # anything extra would have arrived by now
    return customer.callbacks(sid)


def test_a_dropped_completed_callback_never_arrives(sandbox, customer, client):
    sandbox.control.set_chaos(callbacks=[{"drop": True, "events": ["completed"]}])
    call = place(client, customer, status_callback_event=ALL_EVENTS)
    played = ended(sandbox, call.sid)

    hits = settle(customer, call.sid, 3)

    assert statuses(hits) == ["initiated", "ringing", "in-progress"]
    last = played["log"][-1]
    assert (last["kind"], last["event"], last["dropped"]) == ("callback", "completed", True)


def test_a_duplicated_callback_arrives_twice_with_the_same_sequence_and_token(
    sandbox, customer, client
):
    sandbox.control.set_chaos(callbacks=[{"duplicate": True}])
    call = place(client, customer)
    ended(sandbox, call.sid)

    first, second = settle(customer, call.sid, 2)

    assert first.params == second.params
    assert first.idempotency_token == second.idempotency_token
    assert first.signature_valid
    assert second.signature_valid


def test_a_delayed_callback_arrives_late(sandbox, customer, client):
    sandbox.control.set_chaos(callbacks=[{"delay": 0.4}])
    call = place(client, customer)
    ended(sandbox, call.sid)
    finished_at = time.monotonic()

    settle(customer, call.sid, 1)

    assert time.monotonic() - finished_at >= 0.3


def test_a_reordered_callback_is_overtaken_by_the_next_one(sandbox, customer, client):
    sandbox.control.set_chaos(callbacks=[{"reorder": True, "events": ["ringing"]}])
    call = place(client, customer, status_callback_event=ALL_EVENTS)
    ended(sandbox, call.sid)

    hits = settle(customer, call.sid, 4)

    assert statuses(hits) == ["initiated", "in-progress", "ringing", "completed"]
    assert [h.params["SequenceNumber"] for h in hits] == ["0", "2", "1", "3"]


def test_chaos_can_target_one_number_and_a_limited_count(sandbox, customer, client):
    sandbox.control.set_chaos(callbacks=[{"drop": True, "to": OTHER, "times": 1}])
    spared = place(client, customer, to=AGENT)
    hit_first = place(client, customer, to=OTHER)
    ended(sandbox, spared.sid)
    ended(sandbox, hit_first.sid)
    hit_second = place(client, customer, to=OTHER)
    ended(sandbox, hit_second.sid)

    assert len(settle(customer, spared.sid, 1)) == 1
    assert len(settle(customer, hit_second.sid, 1)) == 1
    assert customer.callbacks(hit_first.sid) == []


def test_chaos_can_target_one_call_sid(sandbox, customer, client):
    sandbox.control.set_phone(AGENT, manual=True)
    call = place(client, customer)
    sandbox.control.set_chaos(callbacks=[{"drop": True, "call_sid": call.sid}])
    client.calls(call.sid).update(status="canceled")
    other = place(client, customer, to=OTHER)
    ended(sandbox, other.sid)

    settle(customer, other.sid, 1)
    assert customer.callbacks(call.sid) == []


@pytest.mark.parametrize(("respond", "status", "code"), [("429", 429, 20429), ("500", 500, 20500)])
def test_the_next_creates_are_refused_then_accepted_again(
    sandbox, customer, client, respond, status, code
):
    sandbox.control.set_chaos(create={"respond": respond, "count": 2})

    for _ in range(2):
        with pytest.raises(TwilioRestException) as raised:
            place(client, customer)
        assert (raised.value.status, raised.value.code) == (status, code)
    call = place(client, customer)

    assert ended(sandbox, call.sid)["status"] == "completed"
    assert len(sandbox.control.calls()) == 1


def test_a_hung_create_times_out_at_the_client_but_the_call_is_still_played(sandbox, customer):
    sandbox.control.set_chaos(create={"respond": "hang", "hang_seconds": 1.0})
    impatient = twilio_client(sandbox.url, timeout=0.2)

    with pytest.raises(requests.exceptions.Timeout):
        place(impatient, customer)

    (call,) = sandbox.control.calls()
    assert ended(sandbox, call["sid"])["status"] == "completed"
    assert customer.received("voice")[0].params["CallSid"] == call["sid"]


def test_reset_switches_chaos_off_and_forgets_calls(sandbox, customer, client):
    sandbox.control.set_chaos(create={"respond": "500", "count": 5})
    sandbox.control.reset()
    sandbox.control.set_phone(AGENT, manual=True)  # keeps the call ringing until the reset
    call = place(client, customer)
    sandbox.control.wait_for(lambda s: s["calls"][0]["status"] == "ringing")

    sandbox.control.reset()

    assert sandbox.control.calls() == []
    assert sandbox.control.state()["chaos"] == {"callbacks": [], "create": None}
    assert sandbox.control.requests() == []
    time.sleep(0.1)
    assert customer.callbacks(call.sid) == []  # the ended call's callbacks are not sent
