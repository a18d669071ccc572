"""No number in the logs: a whole callback, erasure and retention run at DEBUG."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from redis import Redis
from rq import Queue
from sqlalchemy import select

from callback import db
from callback.logs import JsonFormatter, PhoneMaskFilter
from callback.models import CallAttempt, CallbackRequest, Leg, RequestStatus
from callback.sandbox.control import SandboxControl
from tests.conftest import sandbox_serving
from tests.factories import (
    AGENT_PHONE,
    CALLER_ID,
    VISITOR_LANDLINE,
    VISITOR_TYPED,
    make_agent,
    make_widget,
    session_connection,
)
from tests.ops_machinery import work_burst
from tests.residue import find_number
from tests.twilio_signing import signed_post
from tests.visitors import submitted
from workers.queues import CALLS_QUEUE
from workers.retention import run_retention

SECOND_VISITOR = "+442079460456"
VISITOR_LEG_SID = "CA" + "b" * 32
OUR_LOGGERS = ("callback", "webhooks", "workers", "rq", "werkzeug", "flask")


@pytest.fixture
def sandbox(app: Flask) -> Iterator[SandboxControl]:
    with sandbox_serving(app.config, time_scale=1.0) as url:
        control = SandboxControl(url)
        control.set_phone(AGENT_PHONE, manual=True)  # rings until the test says otherwise
        yield control
        control.close()


def status(client: FlaskClient, attempt_id: int, sid: str, state: str, seq: int, to: str) -> None:
    params = {"CallSid": sid, "CallStatus": state, "SequenceNumber": str(seq), "To": to}
    params |= {"Called": to, "From": CALLER_ID, "CallDuration": "42"}
    assert signed_post(client, f"/twilio/attempts/{attempt_id}/status", params).status_code == 204


def run_whole_callback(client: FlaskClient, redis: Redis) -> uuid.UUID:
    widget = make_widget(caller_id=CALLER_ID)
    make_agent()
    request_id = submitted(client, widget.key, VISITOR_TYPED)
    work_burst(redis)  # the dial job rings the agent at the sandbox
    agent_leg = db.session().scalars(select(CallAttempt).filter_by(request_id=request_id)).one()
    assert agent_leg.call_sid
    status(client, agent_leg.id, agent_leg.call_sid, "ringing", 1, AGENT_PHONE)
    status(client, agent_leg.id, agent_leg.call_sid, "in-progress", 2, AGENT_PHONE)
    signed_post(client, f"/twilio/attempts/{agent_leg.id}/whisper", {})
    signed_post(client, f"/twilio/attempts/{agent_leg.id}/key", {"Digits": "1"})
    visitor_leg = db.session().scalars(select(CallAttempt).filter_by(leg=Leg.VISITOR)).one()
    for seq, state in enumerate(("ringing", "in-progress", "completed")):
        status(client, visitor_leg.id, VISITOR_LEG_SID, state, seq, VISITOR_LANDLINE)
    return request_id


def test_a_whole_callback_then_erasure_logs_no_number(
    app: Flask,
    client: FlaskClient,
    redis: Redis,
    admin_headers: dict[str, str],
    sandbox: SandboxControl,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    request_id = run_whole_callback(client, redis)
    row = db.session().get_one(CallbackRequest, request_id)
    db.session().refresh(row)
    assert row.status == RequestStatus.COMPLETED
    second = submitted(client, make_widget().key, SECOND_VISITOR)
    for action in ("export", "erase"):
        response = client.post(
            f"/api/v1/admin/privacy/{action}", json={"phone": SECOND_VISITOR}, headers=admin_headers
        )
        assert response.status_code == 200
    client.delete(f"/api/v1/callbacks/{second}")
    work_burst(redis)  # hang-ups of the erased request
    run_retention()

    assert caplog.records, "the scenario logged nothing: the capture is not working"
    masked = [r for r in caplog.records if getattr(r, "phone_masked", False)]
    assert [r.name for r in masked if r.name.startswith(OUR_LOGGERS)] == []
    connection = session_connection()
    for number in (VISITOR_LANDLINE, SECOND_VISITOR):
        assert find_number(number, connection, redis, caplog.text) == []
    assert logging.getLogger("twilio.http_client").getEffectiveLevel() > logging.INFO


def explode(backwards: str) -> None:
    raise ValueError(f"Twilio refused To={backwards[::-1]}")


def test_a_failing_job_quoting_a_number_is_masked_in_logs_and_storage(
    app: Flask, redis: Redis, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    Queue(CALLS_QUEUE, connection=redis).enqueue(explode, VISITOR_TYPED[::-1])
    work_burst(redis)
    assert "Twilio refused To=[phone]" in caplog.text
    assert find_number(VISITOR_LANDLINE, session_connection(), redis, caplog.text) == []


def test_mask_filter_covers_message_arguments_and_tracebacks() -> None:
    try:
        raise RuntimeError("To +44 20 7946 0123 refused")
    except RuntimeError:
        record = logging.LogRecord(
            "callback.test", logging.ERROR, __file__, 1, "dialling %s", ("020 7946 0123",), None
        )
        record.exc_info = __import__("sys").exc_info()
    PhoneMaskFilter().filter(record)
    line = JsonFormatter().format(record)
    assert "[phone]" in line
    assert "7946" not in line
    assert record.phone_masked is True
