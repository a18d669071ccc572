"""Call legs placed for a request, and the status events Twilio reported for them."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Enum, ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from callback.lifecycle.states import LIVE_ATTEMPT_STATUSES, AttemptStatus
from callback.models.base import Base, utcnow


class Leg(enum.StrEnum):
    AGENT = "agent"
    VISITOR = "visitor"


# Which agents are on a call is asked before every dial; only live agent legs matter.
LIVE_AGENT_LEGS = text(
    "leg = 'agent' AND status IN ({})".format(
        ", ".join(f"'{status}'" for status in sorted(LIVE_ATTEMPT_STATUSES))
    )
)

# The reconciler looks for legs that are (or may be) live; ended legs are history.
LIVE_LEGS = text(
    "status IN ({})".format(", ".join(f"'{status}'" for status in sorted(LIVE_ATTEMPT_STATUSES)))
)


class CallAttempt(Base):
    __tablename__ = "call_attempts"
    __table_args__ = (
        UniqueConstraint("request_id", "leg", "attempt_number"),
        Index(
            "ix_call_attempts_live_agent",
            "agent_id",
            postgresql_where=LIVE_AGENT_LEGS,
            sqlite_where=LIVE_AGENT_LEGS,
        ),
        Index(
            "ix_call_attempts_live", "status", postgresql_where=LIVE_LEGS, sqlite_where=LIVE_LEGS
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("callback_requests.id", ondelete="CASCADE"), index=True
    )
    leg: Mapped[Leg] = mapped_column(
        Enum(Leg, native_enum=False, length=10, values_callable=lambda e: [m.value for m in e])
    )
    # Counts legs of this kind for the request (agent 1, agent 2, ...), across rounds.
    attempt_number: Mapped[int] = mapped_column()
    round: Mapped[int] = mapped_column(default=1)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id", ondelete="SET NULL"))
    call_sid: Mapped[str | None] = mapped_column(String(34), unique=True)
    # Ours until Twilio knows the call, then Twilio's (callback/lifecycle/states.py).
    status: Mapped[AttemptStatus] = mapped_column(
        Enum(
            AttemptStatus,
            native_enum=False,
            length=20,
            values_callable=lambda e: [m.value for m in e],
        ),
        default=AttemptStatus.PENDING,
    )
    answered_by: Mapped[str | None] = mapped_column(String(32))
    digits: Mapped[str | None] = mapped_column(String(8))
    error_code: Mapped[int | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # When the create was sent: a lost answer is looked for only after any create could end.
    sent_at: Mapped[datetime | None] = mapped_column()
    answered_at: Mapped[datetime | None] = mapped_column()
    ended_at: Mapped[datetime | None] = mapped_column()
    duration_seconds: Mapped[int | None] = mapped_column()


class CallEvent(Base):
    """An append-only copy of one status callback, without To, From or any number."""

    __tablename__ = "call_events"
    __table_args__ = (UniqueConstraint("call_sid", "sequence_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    call_sid: Mapped[str] = mapped_column(String(34), index=True)
    attempt_id: Mapped[int | None] = mapped_column(
        ForeignKey("call_attempts.id", ondelete="CASCADE"), index=True
    )
    sequence_number: Mapped[int] = mapped_column()
    status: Mapped[str] = mapped_column(String(20))
    timestamp: Mapped[datetime | None] = mapped_column()
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    params: Mapped[dict[str, Any]] = mapped_column(default=dict)


class AuditEntry(Base):
    """What happened to which request (by id), by whom, when. Never a phone number."""

    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    action: Mapped[str] = mapped_column(String(64))
    actor: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
