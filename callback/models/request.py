"""Callback requests: the one place a visitor's number is kept, until it is erased."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, Index, String, false, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from callback.lifecycle.states import PENDING_STATUSES, RequestStatus
from callback.models.base import Base, utcnow
from callback.models.widget import Widget

# One pending request per number and widget, kept by the database itself: two visitors'
# tabs submitting at once cannot both get a call.
ONE_PENDING_PER_NUMBER = text(
    "status IN ({})".format(", ".join(f"'{s.value}'" for s in sorted(PENDING_STATUSES)))
)
HOLDS_NUMBER = text("phone IS NOT NULL")
SCHEDULED = text("status = 'scheduled'")
# The phone line's waiting requests ("phone" is callback.lines.order.PHONE).
IN_LINE = text(f"channel = 'phone' AND {ONE_PENDING_PER_NUMBER.text}")
ON_LINE = text("on_line IS true")


class CallbackRequest(Base):
    __tablename__ = "callback_requests"
    __table_args__ = (
        Index("ix_callback_requests_widget_phone", "widget_id", "phone"),
        Index(
            "uq_callback_requests_pending_phone",
            "widget_id",
            "phone",
            unique=True,
            postgresql_where=ONE_PENDING_PER_NUMBER,
            sqlite_where=ONE_PENDING_PER_NUMBER,
        ),
        # What periodic jobs and ops pages read, without scanning ended history (0017):
        # numbers still held (retention, data-subject export), and what happened recently.
        Index("ix_callback_requests_created_at", "created_at"),
        Index(
            "ix_callback_requests_held_phone",
            "phone",
            postgresql_where=HOLDS_NUMBER,
            sqlite_where=HOLDS_NUMBER,
        ),
        Index(
            "ix_callback_requests_held_since",
            "created_at",
            postgresql_where=HOLDS_NUMBER,
            sqlite_where=HOLDS_NUMBER,
        ),
        *(
            Index(
                f"ix_callback_requests_{column}",
                column,
                postgresql_where=text(f"{column} IS NOT NULL"),
                sqlite_where=text(f"{column} IS NOT NULL"),
            )
            for column in ("ended_at", "agent_ringing_at", "connected_at")
        ),
        # Pending ones: scheduled and due (the reconciler), the phone line, callers on it.
        Index(
            "ix_callback_requests_due",
            "scheduled_for",
            postgresql_where=SCHEDULED,
            sqlite_where=SCHEDULED,
        ),
        Index(
            "ix_callback_requests_line",
            "widget_id",
            "created_at",
            postgresql_where=IN_LINE,
            sqlite_where=IN_LINE,
        ),
        Index(
            "ix_callback_requests_on_line",
            "created_at",
            postgresql_where=ON_LINE,
            sqlite_where=ON_LINE,
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    widget_id: Mapped[int] = mapped_column(ForeignKey("widgets.id", ondelete="CASCADE"))
    # E.164; the only copy of the visitor's number anywhere. NULL once erased.
    phone: Mapped[str | None] = mapped_column(String(20))
    country: Mapped[str] = mapped_column(String(2))
    number_type: Mapped[str] = mapped_column(String(32))
    page_url: Mapped[str | None] = mapped_column(String(2048))
    locale: Mapped[str | None] = mapped_column(String(16))
    # The campaign, from the page's utm_* parameters; every other parameter is dropped.
    utm_source: Mapped[str | None] = mapped_column(String(200))
    utm_medium: Mapped[str | None] = mapped_column(String(200))
    utm_campaign: Mapped[str | None] = mapped_column(String(200))
    utm_term: Mapped[str | None] = mapped_column(String(200))
    utm_content: Mapped[str | None] = mapped_column(String(200))
    consent_version: Mapped[str] = mapped_column(String(40))
    status: Mapped[RequestStatus] = mapped_column(
        Enum(
            RequestStatus,
            native_enum=False,
            length=20,
            values_callable=lambda e: [m.value for m in e],
        ),
        default=RequestStatus.QUEUED,
        index=True,
    )
    outcome: Mapped[str | None] = mapped_column(String(64))
    round: Mapped[int] = mapped_column(default=1)
    scheduled_for: Mapped[datetime | None] = mapped_column()
    # When the visitor wanted the call (now, their chosen time or the next opening); the
    # widget's maximum wait counts from here, whatever later rounds reschedule.
    wanted_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    agent_ringing_at: Mapped[datetime | None] = mapped_column()
    connected_at: Mapped[datetime | None] = mapped_column()
    ended_at: Mapped[datetime | None] = mapped_column()
    talk_seconds: Mapped[int | None] = mapped_column()
    erased_at: Mapped[datetime | None] = mapped_column()
    # "web" (the widget or the form) or "phone" (a caller on the phone line, whose place
    # in line is created_at, kept when they take a callback: callback/lines/).
    channel: Mapped[str] = mapped_column(String(10), default="web", server_default="web")
    # The caller's own call while it waits in line (unique: Twilio may ask twice); kept
    # after the call so the provider-records job can delete it at Twilio.
    line_call_sid: Mapped[str | None] = mapped_column(String(34), unique=True)
    # True while the caller is on the line; False once they hung up or left for a callback.
    on_line: Mapped[bool] = mapped_column(default=False, server_default=false())
    # When Twilio last fetched the caller's wait music: a caller unheard of for long has
    # hung up without our hearing it, which the reconciler then asks Twilio about.
    line_seen_at: Mapped[datetime | None] = mapped_column()
    line_offered_at: Mapped[datetime | None] = mapped_column()  # a callback was offered
    line_callback_at: Mapped[datetime | None] = mapped_column()  # ... and taken

    widget: Mapped[Widget] = relationship(lazy="joined")
