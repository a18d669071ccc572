"""Callback requests: the one place a visitor's number is kept, until it is erased."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from callback.lifecycle.states import PENDING_STATUSES, RequestStatus
from callback.models.base import Base, utcnow
from callback.models.widget import Widget

# One pending request per number and widget, kept by the database itself: two visitors'
# tabs submitting at once cannot both get a call.
ONE_PENDING_PER_NUMBER = text(
    "status IN ({})".format(", ".join(f"'{s.value}'" for s in sorted(PENDING_STATUSES)))
)


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

    widget: Mapped[Widget] = relationship(lazy="joined")
