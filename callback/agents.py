"""Agent availability that follows from their calls: missed calls in a row pause an agent."""

from __future__ import annotations

import logging

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from callback.models import Agent, AuditEntry, CallAttempt, Leg
from callback.ops import metrics

log = logging.getLogger(__name__)

# Ended without any key: rung out, busy, unreachable, or a voicemail that talked.
MISSED = frozenset({"no-answer", "busy", "failed", "completed"})


def note_agent_leg_end(session: Session, attempt: CallAttempt, status: str) -> None:
    """Count a missed call against the agent, or clear the count when they responded."""
    if attempt.agent_id is None:
        return
    agent = session.get(Agent, attempt.agent_id)
    if agent is None:
        return
    if attempt.digits:
        agent.missed_in_row = 0  # they listened and chose, whichever key
        return
    if status not in MISSED or _taken_by_another(session, attempt):
        return  # another agent took the call, or the visitor withdrew: not this agent's miss
    agent.missed_in_row += 1
    limit = int(current_app.config.get("AGENT_MAX_MISSES", 3))
    if agent.available and agent.missed_in_row >= limit:
        pause(session, agent, f"missed {agent.missed_in_row} calls in a row")


def _taken_by_another(session: Session, attempt: CallAttempt) -> bool:
    """Return whether a visitor leg was started for the same request and round."""
    return (
        session.scalar(
            select(CallAttempt.id).where(
                CallAttempt.request_id == attempt.request_id,
                CallAttempt.round == attempt.round,
                CallAttempt.leg == Leg.VISITOR,
            )
        )
        is not None
    )


def pause(session: Session, agent: Agent, reason: str) -> None:
    """Take the agent out of rotation until someone sets them available again."""
    agent.available = False
    session.add(
        AuditEntry(
            action="agent_paused", actor="system", details={"agent_id": agent.id, "reason": reason}
        )
    )
    metrics.agent_paused()
    log.warning("agent paused: agent=%s reason=%s", agent.id, reason)
