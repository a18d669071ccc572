"""A visitor's texts end to end: web app, a real RQ worker and the sandbox over HTTP.

The sandbox delivers each text and posts its signed status callbacks to the live web
app; afterwards the visitor's number is nowhere, the text's own copy included.
"""

from __future__ import annotations

import uuid

import pytest
from redis import Redis
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from callback.models import MessageKind, MessageStatus, RequestStatus, VisitorMessage
from tests.e2e.stack import Stack
from tests.factories import CALLER_ID, make_agent, make_widget
from tests.residue import find_number

pytestmark = pytest.mark.e2e

AGENT = "+442079460001"
VISITOR = "+442079460123"


def texts(engine: Engine, request_id: str) -> dict[MessageKind, VisitorMessage]:
    with Session(engine) as session:
        rows = session.scalars(
            select(VisitorMessage).where(VisitorMessage.request_id == uuid.UUID(request_id))
        ).all()
        session.expunge_all()
        return {row.kind: row for row in rows}


def test_a_failed_request_texts_the_visitor_and_the_delivery_is_reported_back(
    stack: Stack,
    db_session: Session,
    engine: Engine,
    redis: Redis,
    caplog: pytest.LogCaptureFixture,
) -> None:
    widget = make_widget(
        db_session, caller_id=CALLER_ID, retry_attempts=1, sms_enabled=True, name="Example Ltd"
    )
    make_agent(db_session, phone=AGENT)
    stack.sandbox.set_phone(AGENT, busy=True)

    body = stack.submit(widget.key, "020 7946 0123", locale="en")
    done = stack.wait_for_status(body["id"], RequestStatus.FAILED, RequestStatus.COMPLETED)
    assert done.status == RequestStatus.FAILED

    text = stack.sandbox.wait_for_message(VISITOR, "delivered", timeout=15)
    assert text["body"].startswith("Example Ltd: we tried to call you back")
    assert text["from"] == CALLER_ID
    stack.wait_until(
        lambda: texts(engine, body["id"])[MessageKind.MISSED].status == MessageStatus.DELIVERED,
        "the delivery to be reported back",
    )
    missed = texts(engine, body["id"])[MessageKind.MISSED]
    assert (missed.message_sid, missed.to) == (text["sid"], None)

    stack.wait_calls_ended()
    logs = caplog.text + stack.worker_logs()
    assert find_number(VISITOR, engine, redis, logs) == []
