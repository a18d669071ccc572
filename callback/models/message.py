"""Text messages (SMS) to the visitor: a confirmation, a reminder, a "we tried to call you".

Off unless the widget turns `sms_enabled` on. The row never holds the text (it is built
when sent) and holds the visitor's number only for a "missed" message, whose request has
already erased its own: see `to` and docs/sms.md.
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from callback.models.base import Base, utcnow


class MessageKind(enum.StrEnum):
    CONFIRMATION = "confirmation"  # a callback scheduled for later: when it will come
    REMINDER = "reminder"  # shortly before that time
    MISSED = "missed"  # the request failed or expired: we tried to call


class MessageStatus(enum.StrEnum):
    """Ours before Twilio has the message, then Twilio's own message statuses."""

    PENDING = "pending"  # row written, create not sent
    UNKNOWN = "unknown"  # create sent, its answer lost: only the status callbacks can tell
    ACCEPTED = "accepted"
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    DELIVERED = "delivered"
    UNDELIVERED = "undelivered"
    FAILED = "failed"
    CANCELED = "canceled"  # never sent: the request moved on, SMS turned off, or erased

    @property
    def rank(self) -> int:
        """Position in the forward-only order; every final status shares the last rank."""
        return len(_ORDER) if self in FINAL_MESSAGE_STATUSES else _ORDER.index(self)


_ORDER = [
    MessageStatus.PENDING,
    MessageStatus.UNKNOWN,
    MessageStatus.ACCEPTED,
    MessageStatus.QUEUED,
    MessageStatus.SENDING,
    MessageStatus.SENT,
]
# A message never leaves one of these. "sent" is not among them: a delivery receipt
# usually follows (though some carriers never send one).
FINAL_MESSAGE_STATUSES = frozenset(
    {
        MessageStatus.DELIVERED,
        MessageStatus.UNDELIVERED,
        MessageStatus.FAILED,
        MessageStatus.CANCELED,
    }
)
# Twilio is still working on it: its record cannot be deleted yet.
IN_FLIGHT_MESSAGE_STATUSES = frozenset(
    {
        MessageStatus.UNKNOWN,
        MessageStatus.ACCEPTED,
        MessageStatus.QUEUED,
        MessageStatus.SENDING,
    }
)


class VisitorMessage(Base):
    __tablename__ = "visitor_messages"
    # One message of each kind per request: a job run twice cannot text twice.
    __table_args__ = (UniqueConstraint("request_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # Deleted with its request; requests themselves are kept (numberless) for reports.
    request_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("callback_requests.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[MessageKind] = mapped_column(
        Enum(
            MessageKind,
            native_enum=False,
            length=20,
            values_callable=lambda e: [m.value for m in e],
        )
    )
    status: Mapped[MessageStatus] = mapped_column(
        Enum(
            MessageStatus,
            native_enum=False,
            length=20,
            values_callable=lambda e: [m.value for m in e],
        ),
        default=MessageStatus.PENDING,
        index=True,
    )
    # E.164, only for a "missed" message (its request's number is erased by the move
    # that asks for it), and only until the first send ends: accepted, refused or given
    # up. The retention pass nulls any left past RETENTION_MAX_HOURS.
    to: Mapped[str | None] = mapped_column(String(20))
    # When it is due: now, or the reminder's time before the callback.
    send_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Sends refused for a retryable reason (429, 5xx, no connection); at the limit it fails.
    tries: Mapped[int] = mapped_column(default=0)
    message_sid: Mapped[str | None] = mapped_column(String(34), unique=True)
    error_code: Mapped[int | None] = mapped_column()
    # Why it was not sent (canceled) or not delivered, in a word; never the text.
    reason: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
