"""Outcome events: written into the outbox in the transaction of the move they describe.

An event is recorded only when someone listens (an enabled endpoint of the widget that
asked for its type, or alert recipients for a failure). `Widget.webhook_events` says
which types any endpoint wants, so a move nobody listens to costs no query at all; intake
reads a cached widget, so a new endpoint hears of submissions within WIDGET_CACHE_SECONDS.
Delivery follows the commit (`work.DeliverWebhooks`), and `workers.webhooks` sweeps up
whatever a lost job left pending.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Exists, delete, exists, func, or_, select, update
from sqlalchemy.orm import Session

from callback import after_commit
from callback.integrations.work import DeliverWebhooks, SendAlert
from callback.models import (
    Agent,
    CallAttempt,
    CallbackRequest,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
    Widget,
    iso,
    utcnow,
)
from callback.models.call import Leg

REQUESTED = "callback.requested"
SCHEDULED = "callback.scheduled"
CONNECTED = "callback.connected"
COMPLETED = "callback.completed"
FAILED = "callback.failed"
EXPIRED = "callback.expired"
CANCELED = "callback.canceled"
EVENT_TYPES = (REQUESTED, SCHEDULED, CONNECTED, COMPLETED, FAILED, EXPIRED, CANCELED)
# What the widget's alert recipients are told about as it happens.
ALERT_TYPES = frozenset({FAILED, EXPIRED})
UTM_FIELDS = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")
ACCEPT_DIGIT = "1"


def record(
    session: Session,
    widget: Widget,
    request: CallbackRequest | uuid.UUID,
    event_type: str,
    phone: str | None = None,
) -> WebhookEvent | None:
    """Write `event_type` of `request` for its listeners; its sending follows the commit.

    `request` may be an id (intake has no row object): it is loaded only if someone
    listens. `phone` is the number as it was before the move (a request's end erases
    it); it is kept only where the widget shares it under the consent the visitor gave.
    """
    alerted = event_type in ALERT_TYPES and bool(widget.alert_emails or widget.alert_chat_url)
    if event_type not in widget.webhook_events and not alerted:
        return None
    endpoints = session.scalars(
        select(WebhookEndpoint).where(
            WebhookEndpoint.widget_id == widget.id, WebhookEndpoint.enabled.is_(True)
        )
    ).all()
    listening = [endpoint for endpoint in endpoints if event_type in endpoint.events]
    if not listening and not alerted:
        return None
    if not isinstance(request, CallbackRequest):
        request = session.get_one(CallbackRequest, request)
    event = WebhookEvent(
        widget_id=request.widget_id,
        request_id=request.id,
        type=event_type,
        payload=payload_data(session, request),
        # Only a webhook may carry it (alerts never do): no listener, nothing to keep.
        phone=phone if listening and shares_number(request) else None,
        created_at=utcnow(),
    )
    session.add(event)
    session.flush()  # the event's id orders it, and the deliveries refer to it
    for endpoint in listening:
        session.add(
            WebhookDelivery(
                event_id=event.id,
                endpoint_id=endpoint.id,
                request_id=request.id,
                next_attempt_at=event.created_at,
            )
        )
        after_commit.add(session, DeliverWebhooks(endpoint.id, request.id))
    if alerted:
        after_commit.add(session, SendAlert(event.id))
    return event


def forget_number_if_sent(session: Session, event: WebhookEvent) -> None:
    """Null the event's number if none of its deliveries is pending any more.

    One conditional UPDATE, run after the commit that ended a delivery: of two deliveries
    of one event ending in concurrent jobs, the one committing later sees the other ended
    (PostgreSQL's READ COMMITTED reads each statement's own snapshot), so the number
    cannot be left behind by each seeing the other still pending. The retention pass
    (`forget_numbers_sent`) catches whatever slips through even so.
    """
    session.execute(
        update(WebhookEvent)
        .where(WebhookEvent.id == event.id, WebhookEvent.phone.is_not(None), ~_waiting())
        .values(phone=None)
        .execution_options(synchronize_session=False)
    )
    session.expire(event, ["phone"])


def forget_numbers_sent(session: Session) -> int:
    """Null the number of every event with no pending delivery; count them."""
    erased = session.execute(
        update(WebhookEvent)
        .where(WebhookEvent.phone.is_not(None), ~_waiting())
        .values(phone=None)
        .execution_options(synchronize_session=False)
    )
    return erased.rowcount or 0  # type: ignore[attr-defined]


def forget_number(session: Session, e164: str) -> int:
    """Null `e164` in every event still carrying it (a data-subject erasure); count them."""
    erased = session.execute(
        update(WebhookEvent).where(WebhookEvent.phone == e164).values(phone=None)
    )
    return erased.rowcount or 0  # type: ignore[attr-defined]


def forget_numbers_before(session: Session, cutoff: datetime) -> int:
    """Null the number of events whose request is past the retention cap, sent or not.

    `cutoff` is now less RETENTION_MAX_HOURS. A request is past it counted from when the
    visitor asked (`workers.retention.expired_requests`, the same instant at which the
    request's own number goes); an event written at the request's end gets no more. An
    event is also past it RETENTION_MAX_HOURS after it was written, if that is sooner.
    """
    asked_at = func.coalesce(CallbackRequest.wanted_at, CallbackRequest.created_at)
    request_capped = exists().where(
        CallbackRequest.id == WebhookEvent.request_id,
        CallbackRequest.created_at < cutoff,
        asked_at < cutoff,
    )
    erased = session.execute(
        update(WebhookEvent)
        .where(
            WebhookEvent.phone.is_not(None),
            or_(WebhookEvent.created_at < cutoff, request_capped),
        )
        .values(phone=None)
        .execution_options(synchronize_session=False)
    )
    return erased.rowcount or 0  # type: ignore[attr-defined]


def delete_made_before(session: Session, cutoff: datetime) -> int:
    """Delete events made before `cutoff`, whatever became of them; their deliveries and
    attempts go with them (the foreign keys cascade). Return how many events.

    Pending ones too: a delivery still pending that old waits for an endpoint left
    turned off, and would otherwise be kept for ever.
    """
    ended = session.execute(delete(WebhookEvent).where(WebhookEvent.created_at < cutoff))
    return ended.rowcount or 0  # type: ignore[attr-defined]


def _waiting() -> Exists:
    return exists().where(
        WebhookDelivery.event_id == WebhookEvent.id, WebhookDelivery.state == "pending"
    )


def shares_number(request: CallbackRequest) -> bool:
    """Return whether this request's events may carry the number (owner's choice + notice)."""
    version = request.widget.webhook_number_consent_version
    return version is not None and request.consent_version == version


def payload_data(session: Session, request: CallbackRequest) -> dict[str, Any]:
    """Return what an event says of `request`, as of now: never the visitor's number."""
    return {
        "request_id": str(request.id),
        "widget": {"key": request.widget.key, "name": request.widget.name},
        "status": request.status.value,
        "outcome": request.outcome,
        "round": request.round,
        "timings": {
            "requested_at": iso(request.created_at),
            "wanted_at": iso(request.wanted_at),
            "scheduled_for": iso(request.scheduled_for),
            "agent_ringing_at": iso(request.agent_ringing_at),
            "connected_at": iso(request.connected_at),
            "ended_at": iso(request.ended_at),
            "talk_seconds": request.talk_seconds,
        },
        "page_url": request.page_url,
        "utm": {name: getattr(request, name) for name in UTM_FIELDS},
        "locale": request.locale,
        "country": request.country,
        "consent_version": request.consent_version,
        "agent": _accepting_agent(session, request),
    }


def envelope(event: WebhookEvent, timestamp: datetime) -> dict[str, Any]:
    """Return the body sent for `event` (Standard Webhooks' type, timestamp and data)."""
    data = dict(event.payload)
    if event.phone is not None:
        data["visitor"] = {"phone": event.phone}
    return {"type": event.type, "timestamp": iso(timestamp), "data": data}


def _accepting_agent(session: Session, request: CallbackRequest) -> dict[str, Any] | None:
    """Return the agent who pressed 1 for the request's latest round, if one did."""
    attempt = session.scalars(
        select(CallAttempt)
        .where(
            CallAttempt.request_id == request.id,
            CallAttempt.leg == Leg.AGENT,
            CallAttempt.digits == ACCEPT_DIGIT,
        )
        .order_by(CallAttempt.id.desc())
        .limit(1)
    ).first()
    agent = session.get(Agent, attempt.agent_id) if attempt and attempt.agent_id else None
    return None if agent is None else {"id": agent.id, "name": agent.name}
