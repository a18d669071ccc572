"""Twilio-facing routes: signatures, append-only events, forward-only status."""

from __future__ import annotations

from xml.etree import ElementTree

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from callback import db
from callback.models import CallAttempt, CallbackRequest, CallEvent, Leg, RequestStatus
from tests.factories import AGENT_PHONE, CALLER_ID, VISITOR_LANDLINE, make_agent_leg
from tests.twilio_signing import signature, signed_post


@pytest.fixture
def calling_agent(client: FlaskClient) -> CallAttempt:
    """A request whose agent leg has been created (status calling_agent)."""
    return make_agent_leg("CA" + "a" * 32, caller_id=CALLER_ID)


def status_params(call_sid: str, status: str, sequence: int, **extra: str) -> dict[str, str]:
    return {
        "CallSid": call_sid,
        "CallStatus": status,
        "SequenceNumber": str(sequence),
        "To": AGENT_PHONE,
        "From": "+15005550006",
        "Called": AGENT_PHONE,
        "Direction": "outbound-api",
        "Timestamp": "Fri, 27 Nov 2026 10:00:00 +0000",
        **extra,
    }


def events() -> list[CallEvent]:
    return list(db.session().scalars(select(CallEvent).order_by(CallEvent.id)))


def request_of(attempt: CallAttempt) -> CallbackRequest:
    row = db.session().get_one(CallbackRequest, attempt.request_id)
    db.session().refresh(row)
    return row


def test_forged_signature_is_rejected_and_nothing_changes(
    client: FlaskClient, calling_agent: CallAttempt
) -> None:
    path = f"/twilio/attempts/{calling_agent.id}/status"
    params = status_params(calling_agent.call_sid or "", "ringing", 0)
    missing = client.post(path, data=params)
    forged = client.post(path, data=params, headers={"X-Twilio-Signature": "bm9wZQ=="})
    tampered = client.post(
        path,
        data={**params, "CallStatus": "completed"},
        headers={"X-Twilio-Signature": signature(path, params)},
    )
    assert missing.status_code == forged.status_code == tampered.status_code == 403
    assert events() == []


def test_status_callback_is_stored_once_without_numbers(
    client: FlaskClient, calling_agent: CallAttempt
) -> None:
    path = f"/twilio/attempts/{calling_agent.id}/status"
    params = status_params(calling_agent.call_sid or "", "ringing", 1)
    assert signed_post(client, path, params).status_code == 204
    assert signed_post(client, path, params).status_code == 204
    stored = events()
    assert len(stored) == 1
    assert stored[0].status == "ringing"
    assert "To" not in stored[0].params
    assert "From" not in stored[0].params
    assert request_of(calling_agent).agent_ringing_at is not None


def test_status_never_moves_backwards_whatever_the_order(
    client: FlaskClient, calling_agent: CallAttempt
) -> None:
    path = f"/twilio/attempts/{calling_agent.id}/status"
    sid = calling_agent.call_sid or ""
    signed_post(client, path, status_params(sid, "in-progress", 2))
    signed_post(client, path, status_params(sid, "ringing", 1))
    db.session().refresh(calling_agent)
    assert calling_agent.status == "in-progress"
    assert len(events()) == 2


def test_whisper_is_served_for_the_current_agent_leg(
    client: FlaskClient, calling_agent: CallAttempt
) -> None:
    path = f"/twilio/attempts/{calling_agent.id}/whisper"
    response = signed_post(client, path, {"CallSid": calling_agent.call_sid or ""})
    assert response.status_code == 200
    root = ElementTree.fromstring(response.data)
    assert root.find("./Gather/Say") is not None


def test_pressing_1_bridges_the_visitor_exactly_once(
    client: FlaskClient, calling_agent: CallAttempt
) -> None:
    path = f"/twilio/attempts/{calling_agent.id}/key"
    first = signed_post(client, path, {"Digits": "1"})
    second = signed_post(client, path, {"Digits": "1"})
    number = ElementTree.fromstring(first.data).find("./Dial/Number")
    assert number is not None
    assert number.text == VISITOR_LANDLINE
    assert ElementTree.fromstring(second.data).find("./Dial") is None
    assert request_of(calling_agent).status == RequestStatus.CALLING_VISITOR
    visitor_legs = db.session().scalar(
        select(func.count()).select_from(CallAttempt).filter_by(leg=Leg.VISITOR)
    )
    assert visitor_legs == 1


def test_another_key_passes_without_bridging(
    client: FlaskClient, calling_agent: CallAttempt
) -> None:
    response = signed_post(client, f"/twilio/attempts/{calling_agent.id}/key", {"Digits": "2"})
    assert ElementTree.fromstring(response.data).find("./Dial") is None
    assert request_of(calling_agent).status == RequestStatus.CALLING_AGENT


def test_bridged_call_that_ends_completes_the_request_and_erases_the_number(
    client: FlaskClient, calling_agent: CallAttempt
) -> None:
    signed_post(client, f"/twilio/attempts/{calling_agent.id}/key", {"Digits": "1"})
    visitor_leg = db.session().scalars(select(CallAttempt).filter_by(leg=Leg.VISITOR)).one()
    path = f"/twilio/attempts/{visitor_leg.id}/status"
    child = "CA" + "b" * 32
    signed_post(client, path, status_params(child, "in-progress", 2))
    assert request_of(calling_agent).status == RequestStatus.CONNECTED
    signed_post(client, path, status_params(child, "completed", 3, CallDuration="42"))
    finished = request_of(calling_agent)
    assert finished.status == RequestStatus.COMPLETED
    assert finished.talk_seconds == 42
    assert finished.phone is None
    assert finished.erased_at is not None


def test_unknown_attempt_is_404(client: FlaskClient) -> None:
    path = "/twilio/attempts/999999/status"
    assert (
        signed_post(client, path, status_params("CA" + "c" * 32, "ringing", 0)).status_code == 404
    )
