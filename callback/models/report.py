"""What the reports count: one row per ended request and one per agent leg, never a number.

The lifecycle writes them when a request ends (callback.reports.facts), in the same
transaction, so a report reads a few narrow rows per request instead of every call event.
They hold no number, and no foreign key to the request: erasing a number, or deleting a
request, leaves the statistics as they were. The request's id is kept only so that a
request is counted once; no report or export shows it.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, false
from sqlalchemy.orm import Mapped, mapped_column

from callback.models.base import Base


class RequestFact(Base):
    __tablename__ = "report_requests"
    __table_args__ = (Index("ix_report_requests_widget_day", "widget_id", "local_day"),)

    request_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    widget_id: Mapped[int] = mapped_column(ForeignKey("widgets.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(10), default="web")
    # When the visitor asked, and the local day, weekday (Monday 0) and hour it was in the
    # widget's time zone then: a report's period and heat map are the widget's own days.
    requested_at: Mapped[datetime] = mapped_column()
    local_day: Mapped[date] = mapped_column()
    local_weekday: Mapped[int] = mapped_column()
    local_hour: Mapped[int] = mapped_column()
    page: Mapped[str | None] = mapped_column(String(512))  # the path only, no query
    campaign: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20))
    # Asked for a later time (chosen, or the next opening), and whether the first agent
    # was rung within a minute of it (None: canceled before anyone was rung).
    scheduled: Mapped[bool] = mapped_column(default=False)
    on_time: Mapped[bool | None] = mapped_column()
    # Seconds from when the visitor wanted the call to the first agent answering, and to
    # the visitor's own phone being bridged; None when that never happened.
    agent_seconds: Mapped[int | None] = mapped_column()
    visitor_seconds: Mapped[int | None] = mapped_column()
    talk_seconds: Mapped[int | None] = mapped_column()
    # Phone line only: a callback was offered to the caller, they took it, or they hung
    # up while waiting in line.
    line_offered: Mapped[bool] = mapped_column(default=False, server_default=false())
    line_callback: Mapped[bool] = mapped_column(default=False, server_default=false())
    line_abandoned: Mapped[bool] = mapped_column(default=False, server_default=false())


class AgentLegFact(Base):
    __tablename__ = "report_agent_legs"
    __table_args__ = (Index("ix_report_agent_legs_widget_day", "widget_id", "local_day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    widget_id: Mapped[int] = mapped_column(ForeignKey("widgets.id", ondelete="CASCADE"))
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id", ondelete="SET NULL"))
    local_day: Mapped[date] = mapped_column()  # the request's, as in RequestFact
    answered: Mapped[bool] = mapped_column(default=False)
    accepted: Mapped[bool] = mapped_column(default=False)  # pressed 1
    # The conversation this leg led to (the accepted leg that bridged the visitor).
    talk_seconds: Mapped[int | None] = mapped_column()
