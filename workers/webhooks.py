"""Webhook delivery: one job per (endpoint, request) line sends its events in order.

The job takes the line's head, sends it if it is due and the job could claim it, and
goes on to the next; a head that must wait gets a job scheduled for its time. A line
whose job was lost (a Redis outage, a crash) is found by `sweep` within a minute.
"""

from __future__ import annotations

import json
import time
import uuid
from datetime import datetime, timedelta

from sqlalchemy import and_, exists, or_, select
from sqlalchemy.orm import Session, aliased
from standardwebhooks import Webhook

from callback import after_commit, db
from callback.integrations import deliveries, events
from callback.integrations.outbound import post_json
from callback.integrations.work import DeliverWebhooks
from callback.lifecycle.requests import SCHEDULER_SLACK
from callback.models import WebhookDelivery, WebhookEndpoint, utcnow
from workers.context import job_context

# A job sends at most this many of a line's events; a new job takes the rest. Each
# attempt ends by its deadline (outbound.post_json: the connect and read timeouts plus a
# second, 9 s by default, resolving the host's name besides), so five end well within
# the job's timeout (queues.INTEGRATION_TIMEOUT_SECONDS).
MOST_PER_JOB = 5
# The sweep's period: a line whose job was lost waits at most this long more.
SWEEP_EVERY_SECONDS = 60
SWEEP_BATCH = 500


def deliver_webhooks(endpoint_id: int, request_id: str | None) -> int:
    """Send the line's due events in order; return how many were delivered."""
    line = uuid.UUID(request_id) if request_id else None
    with job_context(__name__, request_id or "-") as job_log:
        session = db.session()
        delivered = 0
        for _ in range(MOST_PER_JOB):
            endpoint = session.get(WebhookEndpoint, endpoint_id)
            head = deliveries.head_of_line(session, endpoint_id, line)
            if endpoint is None or not endpoint.enabled or head is None:
                return delivered
            now = utcnow()
            # A scheduled job may start a little early (RQ's scheduler polls): within the
            # slack the dialler allows, the head is sent rather than rescheduled.
            if head.next_attempt_at > now + SCHEDULER_SLACK:
                at = _whole_second_after(head.next_attempt_at)
                after_commit.add(session, DeliverWebhooks(endpoint_id, line, at))
                session.commit()
                return delivered
            if not deliveries.claim(session, head, now):
                job_log.info("line held by another job: endpoint=%s", endpoint_id)
                return delivered
            disabled, succeeded = _attempt(session, head, endpoint.secret, endpoint.url)
            job_log.info(
                "webhook attempt: endpoint=%s delivery=%s state=%s code=%s",
                endpoint_id, head.id, head.state, head.last_status_code,
            )  # fmt: skip
            delivered += succeeded
            if disabled:  # its owners are told by a job of their own (after_commit)
                return delivered
        # The rest of a long line goes to a job of its own, a second on: a time after this
        # job's own gives it another id.
        soon = _whole_second_after(utcnow() + timedelta(seconds=1))
        after_commit.add(session, DeliverWebhooks(endpoint_id, line, soon))
        session.commit()
        return delivered


def _attempt(
    session: Session, delivery: WebhookDelivery, secret: str, url: str
) -> tuple[bool, bool]:
    """Sign and send one delivery; return (endpoint disabled, delivered)."""
    sent_at = utcnow()
    body = json.dumps(events.envelope(delivery.event, sent_at), separators=(",", ":"))
    message_id = delivery.event.message_id
    signature = Webhook(secret).sign(message_id, sent_at, body)
    session.commit()  # no transaction stays open while the receiver thinks
    headers = {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(sent_at.timestamp())),
        "webhook-signature": signature,
    }
    started = time.monotonic()
    answer = post_json(url, body.encode(), headers)
    duration_ms = int((time.monotonic() - started) * 1000)
    disabled = deliveries.record_attempt(session, delivery, answer, sent_at, duration_ms)
    session.commit()
    if delivery.state != "pending":
        # After the commit, so that a delivery of the same event ending in another job
        # at the same moment sees this one ended (see events.forget_number_if_sent).
        events.forget_number_if_sent(session, delivery.event)
        session.commit()
    return disabled, answer.succeeded


def _whole_second_after(moment: datetime) -> datetime:
    # RQ keeps a scheduled time in whole seconds, rounded down: a job due at 10.4 s would
    # run at 10 s, find its head not yet due, and be refused the id it runs under.
    whole = moment.replace(microsecond=0)
    return whole if whole == moment else whole + timedelta(seconds=1)


def sweep() -> int:
    """Enqueue a job for every line whose head is due and unclaimed; return how many."""
    with job_context(__name__, "-") as job_log:
        session = db.session()
        lines = due_lines(session, utcnow())
        for endpoint_id, request_id in lines:
            after_commit.add(session, DeliverWebhooks(endpoint_id, request_id))
        session.commit()
        job_log.info("webhook sweep: lines=%s", len(lines))
        return len(lines)


def due_lines(session: Session, now: datetime) -> list[tuple[int, uuid.UUID | None]]:
    """Return the (endpoint, request) lines of enabled endpoints whose head is due and free.

    Only a line's head counts (a due delivery behind a head that waits does not name the
    line: its job would only reschedule), the longest overdue first, so lines held back
    by their heads can never crowd lost ones out of a batch.
    """
    earlier = aliased(WebhookDelivery)
    ahead = exists().where(
        earlier.endpoint_id == WebhookDelivery.endpoint_id,
        or_(
            earlier.request_id == WebhookDelivery.request_id,
            and_(earlier.request_id.is_(None), WebhookDelivery.request_id.is_(None)),
        ),
        earlier.state == "pending",
        earlier.event_id < WebhookDelivery.event_id,
    )
    query = (
        select(WebhookDelivery.endpoint_id, WebhookDelivery.request_id)
        .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
        .where(
            WebhookEndpoint.enabled.is_(True),
            WebhookDelivery.state == "pending",
            WebhookDelivery.next_attempt_at <= now,
            or_(WebhookDelivery.claimed_until.is_(None), WebhookDelivery.claimed_until < now),
            ~ahead,
        )
        .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
        .limit(SWEEP_BATCH)
    )
    return [(endpoint_id, request_id) for endpoint_id, request_id in session.execute(query)]
