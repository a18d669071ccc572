"""What the service hands on: outcome webhooks (endpoints, their events and deliveries).

A request's moves write `WebhookEvent` rows in the same transaction as the move (an
outbox), so an event exists exactly when its move committed; jobs deliver them later.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from callback.models.base import Base, utcnow


class WebhookEndpoint(Base):
    """A URL of the widget owner's that receives the event types it asks for, signed."""

    __tablename__ = "webhook_endpoints"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(primary_key=True)
    widget_id: Mapped[int] = mapped_column(ForeignKey("widgets.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(String(2048))
    events: Mapped[list[str]] = mapped_column(default=list)
    # "whsec_" and base64 of 32 random bytes (Standard Webhooks); needed in full to sign.
    secret: Mapped[str] = mapped_column(String(80))
    description: Mapped[str | None] = mapped_column(String(200))
    enabled: Mapped[bool] = mapped_column(default=True)
    # Why it was turned off: by whom, or after failing for a day.
    disabled_reason: Mapped[str | None] = mapped_column(String(200))
    # Since when every attempt has failed; None after a success. A day of it disables.
    failing_since: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class WebhookEvent(Base):
    """One event of one request, as it will be sent: the outbox row.

    `payload` never holds the visitor's number. `phone` does only where the widget shares
    it (and the consent notice the visitor saw says so); it is nulled once every delivery
    of the event has ended, and by a data-subject erasure.
    """

    __tablename__ = "webhook_events"
    __table_args__ = (
        Index("ix_webhook_events_request_id_id", "request_id", "id"),
        {"sqlite_autoincrement": True},
    )

    # Increasing: a request's events are delivered in this order.
    id: Mapped[int] = mapped_column(primary_key=True)
    # The `webhook-id` header and the receiver's idempotency key.
    message_id: Mapped[str] = mapped_column(
        String(40), unique=True, default=lambda: "msg_" + uuid.uuid4().hex
    )
    widget_id: Mapped[int] = mapped_column(ForeignKey("widgets.id", ondelete="CASCADE"), index=True)
    request_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("callback_requests.id", ondelete="CASCADE")
    )
    type: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict[str, Any]] = mapped_column()
    phone: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class WebhookDelivery(Base):
    """One event to one endpoint: pending until delivered, or failed for good."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        UniqueConstraint("event_id", "endpoint_id"),
        # The head of a request's line at an endpoint: its earliest pending delivery.
        Index("ix_webhook_deliveries_line", "endpoint_id", "request_id", "state", "event_id"),
        Index("ix_webhook_deliveries_due", "state", "next_attempt_at"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("webhook_events.id", ondelete="CASCADE"))
    endpoint_id: Mapped[int] = mapped_column(ForeignKey("webhook_endpoints.id", ondelete="CASCADE"))
    request_id: Mapped[uuid.UUID | None] = mapped_column()
    # "pending", "delivered" or "failed" (refused with a 4xx, or retried past a day).
    state: Mapped[str] = mapped_column(String(12), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    # A job sending it holds it until then; a job that died lets go when it passes.
    claimed_until: Mapped[datetime | None] = mapped_column()
    first_attempt_at: Mapped[datetime | None] = mapped_column()
    last_attempt_at: Mapped[datetime | None] = mapped_column()
    last_status_code: Mapped[int | None] = mapped_column()
    last_error: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    event: Mapped[WebhookEvent] = relationship(lazy="joined")
    endpoint: Mapped[WebhookEndpoint] = relationship()


class WebhookAttempt(Base):
    """One HTTP attempt of a delivery: what the endpoint answered, never what was sent."""

    __tablename__ = "webhook_attempts"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[int] = mapped_column(
        ForeignKey("webhook_deliveries.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(default=utcnow)
    status_code: Mapped[int | None] = mapped_column()
    error: Mapped[str | None] = mapped_column(String(200))
    duration_ms: Mapped[int] = mapped_column(default=0)
    # Asked for by a person (a replay), not a scheduled try.
    manual: Mapped[bool] = mapped_column(default=False)
