"""Integrations end to end: a real call through the sandbox, as a customer's systems see it.

The worker process delivers the outcome webhooks to a receiver on loopback that checks
every signature, and e-mails the failure alert to a real SMTP server. Afterwards the
visitor's number is nowhere: tables (webhook outbox included), Redis, logs, e-mails.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from redis import Redis
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from callback.integrations import events
from callback.integrations.endpoints import add_endpoint
from callback.models import RequestStatus, Widget
from tests.e2e.stack import Stack, running_stack
from tests.factories import CALLER_ID, make_agent, make_widget
from tests.receivers import Mailbox, smtp_server
from tests.residue import find_number, number_forms, text_holds
from tests.webhook_receiver import Receiver, receiving
from workers.queues import INTEGRATIONS_QUEUE

pytestmark = pytest.mark.e2e

AGENT = "+442079460001"
VISITOR = "+442079460123"
TYPED_VISITOR = "020 7946 0123"
EVERY_TYPE = list(events.EVENT_TYPES)


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    with smtp_server() as box:
        yield box


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with receiving() as serving:
        yield serving


@pytest.fixture
def stack(
    settings: dict[str, Any], clean_db: Engine, tmp_path: Path, mailbox: Mailbox
) -> Iterator[Stack]:
    with running_stack(
        settings, clean_db, tmp_path, overrides={"SMTP_URL": mailbox.plain_url}
    ) as live:
        live.start_worker(INTEGRATIONS_QUEUE)  # as the Procfile's `integrations` process
        yield live


def _listening_widget(
    stack: Stack, db_session: Session, receiver: Receiver, **fields: Any
) -> Widget:
    widget = make_widget(
        db_session, caller_id=CALLER_ID, alert_emails=["sales@example.com"], **fields
    )
    make_agent(db_session, phone=AGENT)
    with stack.app.app_context():  # whether loopback may be used is the app's setting
        endpoint = add_endpoint(db_session, widget, receiver.url, EVERY_TYPE, actor="test")
    db_session.commit()
    receiver.secret = endpoint.secret
    return widget


def test_a_completed_call_reaches_the_receiver_signed_and_in_order(
    stack: Stack,
    db_session: Session,
    receiver: Receiver,
    mailbox: Mailbox,
    engine: Engine,
    redis: Redis,
    caplog: pytest.LogCaptureFixture,
) -> None:
    widget = _listening_widget(stack, db_session, receiver)
    page = "https://www.example.com/pricing?utm_source=news&utm_campaign=autumn&email=x%40y.z"
    body = stack.submit(widget.key, TYPED_VISITOR, page_url=page)
    stack.wait_for_status(body["id"], RequestStatus.COMPLETED, RequestStatus.FAILED)
    stack.wait_until(lambda: len(receiver.received) >= 3, "three webhooks")
    assert receiver.types == [events.REQUESTED, events.CONNECTED, events.COMPLETED]
    assert receiver.forged == 0
    completed = receiver.received[-1].payload["data"]
    assert completed["request_id"] == body["id"]
    assert completed["agent"]["name"] == "Ada"
    assert completed["page_url"] == "https://www.example.com/pricing"
    assert completed["utm"]["utm_source"] == "news"
    assert completed["utm"]["utm_campaign"] == "autumn"
    ids = {item.headers["webhook-id"] for item in receiver.received}
    assert len(ids) == 3
    assert mailbox.messages == []  # a completed call is no alert
    stack.wait_calls_ended()
    forms, significant = number_forms(VISITOR)
    sent = " ".join(repr(item.payload) for item in receiver.received)
    assert not text_holds(sent, forms, significant)
    logs = caplog.text + stack.worker_logs()
    assert find_number(VISITOR, engine, redis, logs) == []


def test_a_failed_callback_is_announced_and_alerted_without_the_number(
    stack: Stack,
    db_session: Session,
    receiver: Receiver,
    mailbox: Mailbox,
    engine: Engine,
    redis: Redis,
    caplog: pytest.LogCaptureFixture,
) -> None:
    widget = _listening_widget(stack, db_session, receiver, retry_attempts=1)
    stack.sandbox.set_phone(VISITOR, no_answer=True)
    body = stack.submit(widget.key, TYPED_VISITOR)
    stack.wait_for_status(body["id"], RequestStatus.FAILED, RequestStatus.COMPLETED)
    stack.wait_until(lambda: events.FAILED in receiver.types, "the failed webhook")
    stack.wait_until(lambda: len(mailbox.messages) >= 1, "the failure alert")
    assert receiver.types == [events.REQUESTED, events.FAILED]
    [alert] = mailbox.messages
    assert alert.recipients == ["sales@example.com"]
    assert body["id"] in alert.body  # the console link names the request
    stack.wait_calls_ended()
    forms, significant = number_forms(VISITOR)
    assert not text_holds(alert.subject + alert.body, forms, significant)
    logs = caplog.text + stack.worker_logs()
    assert find_number(VISITOR, engine, redis, logs) == []
