"""A delivery's life: the head of its request's line is claimed, tried, and ends or waits.

Each (endpoint, request) pair is a line, sent in event order: only its earliest pending
delivery (the head) is ever sent, and only by the job that claimed it, so a receiver
never sees `completed` before the `requested` that is still being retried. A claim is a
conditional UPDATE of `claimed_until`: zero rows means another job holds the line.
"""

from __future__ import annotations

import random
import uuid
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from callback import after_commit
from callback.accounts import audit
from callback.integrations.endpoints import refresh_listening
from callback.integrations.outbound import Answer
from callback.integrations.work import NoticeEndpointDisabled
from callback.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint, iso

# A job holds the line this long per attempt. An attempt ends by its deadline (the
# connect and read timeouts plus a second, outbound.post_json; resolving the name comes
# before it, bounded by the system's resolver), far within this, so a live job never
# loses the line; short enough that a crashed job's line moves on soon.
CLAIM_SECONDS = 120
# Timeouts, connection errors, 5xx, 408 and 429 are tried again for at least a day.
RETRY_FOR = timedelta(hours=24)
FIRST_RETRY_SECONDS = 10
# The longest wait between two attempts, and the most of a Retry-After that is honoured.
LONGEST_WAIT_SECONDS = 3600
# An endpoint whose every attempt failed for this long is turned off.
DISABLE_AFTER = timedelta(hours=24)
DISABLED_REASON = "turned off after failing for 24 hours"
ACTOR = "webhooks"


def head_of_line(
    session: Session, endpoint_id: int, request_id: uuid.UUID | None
) -> WebhookDelivery | None:
    """Return the line's earliest pending delivery, or None when nothing waits."""
    same_request = (
        WebhookDelivery.request_id.is_(None)
        if request_id is None
        else WebhookDelivery.request_id == request_id
    )
    query = (
        select(WebhookDelivery)
        .where(
            WebhookDelivery.endpoint_id == endpoint_id,
            same_request,
            WebhookDelivery.state == "pending",
        )
        .order_by(WebhookDelivery.event_id)
        .limit(1)
    )
    return session.scalars(query).first()


def claim(session: Session, delivery: WebhookDelivery, now: datetime) -> bool:
    """Hold `delivery` for one attempt; False if it ended or another job holds it."""
    claimed = session.execute(
        update(WebhookDelivery)
        .where(
            WebhookDelivery.id == delivery.id,
            WebhookDelivery.state == "pending",
            (WebhookDelivery.claimed_until.is_(None)) | (WebhookDelivery.claimed_until < now),
        )
        .values(claimed_until=now + timedelta(seconds=CLAIM_SECONDS))
        .execution_options(synchronize_session=False)
    )
    session.commit()
    if not claimed.rowcount:  # type: ignore[attr-defined]
        return False
    session.refresh(delivery)  # the UPDATE bypassed the object; its attempt reads it
    return True


def is_manual(delivery: WebhookDelivery) -> bool:
    """A replay restarts a tried delivery's schedule (see `endpoints.replay`)."""
    return delivery.attempts > 0 and delivery.first_attempt_at is None


def record_attempt(
    session: Session, delivery: WebhookDelivery, answer: Answer, at: datetime, duration_ms: int
) -> bool:
    """Store the attempt and what follows from it; return whether the endpoint was disabled."""
    session.add(
        WebhookAttempt(
            delivery_id=delivery.id,
            at=at,
            status_code=answer.status_code,
            error=answer.error,
            duration_ms=duration_ms,
            manual=is_manual(delivery),
        )
    )
    delivery.attempts += 1
    delivery.first_attempt_at = delivery.first_attempt_at or at
    delivery.last_attempt_at = at
    delivery.last_status_code = answer.status_code
    delivery.last_error = answer.error
    delivery.claimed_until = None
    endpoint = delivery.endpoint
    if answer.succeeded:
        delivery.state = "delivered"
        endpoint.failing_since = None
    elif _worth_retrying(answer) and at - delivery.first_attempt_at < RETRY_FOR:
        delivery.next_attempt_at = at + timedelta(seconds=_wait_seconds(delivery, answer))
    else:
        delivery.state = "failed"
    # An ended delivery's event may no longer need its number: the caller nulls it after
    # this commits (events.forget_number_if_sent), so that of two deliveries of one
    # event ending at once, the later sees the other ended.
    return False if answer.succeeded else _count_failure(session, endpoint, delivery, at)


def _worth_retrying(answer: Answer) -> bool:
    code = answer.status_code
    if code is None:
        return True  # a timeout or a connection error: the receiver may come back
    return code >= 500 or code in {408, 429}


def _wait_seconds(delivery: WebhookDelivery, answer: Answer) -> float:
    """Exponential backoff with jitter, or the receiver's Retry-After if that is longer.

    A Retry-After shorter than the backoff is not honoured: a receiver answering "1"
    to every attempt would otherwise be hammered once a second for a day. Both capped.
    """
    doubled = FIRST_RETRY_SECONDS * 2 ** min(delivery.attempts - 1, 20)
    jitter = 1 + random.random() / 2  # noqa: S311 - spreads retries, not a secret
    wait = max(doubled * jitter, answer.retry_after or 0.0)
    return min(wait, LONGEST_WAIT_SECONDS)


def _count_failure(
    session: Session, endpoint: WebhookEndpoint, delivery: WebhookDelivery, at: datetime
) -> bool:
    """Note a failed attempt; turn the endpoint off once it has failed for a whole day.

    A whole day means no success at the endpoint since `failing_since` and this delivery
    itself tried, and failing, from the window's start: a refusal on Monday and a single
    503 on Thursday, with nothing sent between, is not a day of failures.
    """
    if endpoint.failing_since is None:
        endpoint.failing_since = at
        return False
    window_start = at - DISABLE_AFTER
    if not endpoint.enabled or endpoint.failing_since > window_start:
        return False
    if delivery.first_attempt_at is None or delivery.first_attempt_at > window_start:
        return False
    endpoint.enabled = False
    endpoint.disabled_reason = DISABLED_REASON
    refresh_listening(session, endpoint.widget_id)
    after_commit.add(session, NoticeEndpointDisabled(endpoint.id))
    audit.record(session, ACTOR, "webhook_disabled", widget_id=endpoint.widget_id,
                 endpoint=endpoint.id, failing_since=iso(endpoint.failing_since))  # fmt: skip
    return True
