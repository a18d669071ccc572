"""Agent availability that follows from their calls: missed calls in a row pause an agent."""

from __future__ import annotations

import logging
from datetime import timedelta

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from callback import after_commit, metrics
from callback.agents.work import WakeWaiting
from callback.errors import Invalid
from callback.lifecycle.states import LIVE_ATTEMPT_STATUSES
from callback.models import Agent, AuditEntry, CallAttempt, Leg, utcnow
from callback.texts.plain import has_control_characters

log = logging.getLogger(__name__)

# Ended without any key: rung out, busy, unreachable, or a voicemail that talked.
MISSED = frozenset({"no-answer", "busy", "failed", "completed"})


def note_agent_leg_end(session: Session, attempt: CallAttempt, status: str) -> None:
    """Free the agent for the team's oldest waiting request; count a missed call, or clear
    the count when they responded."""
    if attempt.agent_id is None:
        return
    agent = session.get(Agent, attempt.agent_id)
    if agent is None:
        return
    after_commit.add(session, WakeWaiting(agent.team))
    if attempt.digits:
        agent.missed_in_row = 0  # they listened and chose, whichever key
        return
    if status not in MISSED or _taken_by_another(session, attempt):
        return  # another agent took the call, or the visitor withdrew: not this agent's miss
    agent.missed_in_row += 1
    limit = current_app.config["AGENT_MAX_MISSES"]
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


def pause(session: Session, agent: Agent, reason: str, actor: str = "system") -> None:
    """Take the agent out of rotation, saying why, until someone sets them available again.

    Only the service's own pauses (missed calls, a refused phone) count for the ops alert;
    a person pausing an agent, or themselves, is no failure.
    """
    if has_control_characters(reason):
        raise Invalid("reason_control", "reason: must not contain control characters", "reason")
    agent.available = False
    agent.paused_reason = reason[:200] or None
    session.add(
        AuditEntry(
            action="agent_paused", actor=actor, details={"agent_id": agent.id, "reason": reason}
        )
    )
    if actor == "system":
        metrics.agent_paused()
        log.warning("agent paused: agent=%s reason=%s", agent.id, reason)


def make_available(session: Session, agent: Agent, actor: str) -> None:
    """Put the agent back in rotation, clearing the missed-call count and the pause reason."""
    agent.available, agent.missed_in_row, agent.paused_reason = True, 0, None
    session.add(AuditEntry(action="agent_available", actor=actor, details={"agent_id": agent.id}))
    after_commit.add(session, WakeWaiting(agent.team))


def remove(session: Session, agent: Agent, actor: str) -> bool:
    """Delete the agent, or only deactivate one with live or recent calls; True if deleted.

    A leg's agent is how its lost call is looked up and whom a report counts against:
    while any may still matter (live, or within the retention cap), the row stays.
    """
    recent = utcnow() - timedelta(hours=current_app.config["RETENTION_MAX_HOURS"])
    in_use = session.scalar(
        select(CallAttempt.id)
        .where(
            CallAttempt.agent_id == agent.id,
            (CallAttempt.status.in_(LIVE_ATTEMPT_STATUSES)) | (CallAttempt.created_at >= recent),
        )
        .limit(1)
    )
    details = {"agent_id": agent.id}
    if in_use is None:
        session.delete(agent)
        session.add(AuditEntry(action="agent_deleted", actor=actor, details=details))
        return True
    agent.active = agent.available = False
    agent.paused_reason = "removed; kept while its recent calls may still be reported"
    session.add(AuditEntry(action="agent_deactivated", actor=actor, details=details))
    return False


def reactivate(session: Session, agent: Agent, actor: str) -> None:
    """Bring a deactivated agent back, in rotation at once (their count starts afresh)."""
    if agent.active:
        return
    agent.active = True
    agent.available, agent.missed_in_row, agent.paused_reason = True, 0, None
    session.add(AuditEntry(action="agent_reactivated", actor=actor, details={"agent_id": agent.id}))
    after_commit.add(session, WakeWaiting(agent.team))
