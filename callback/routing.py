"""Which agents to ring: the team's available agents, by the widget's ring strategy.

sequential rings one agent at a time by priority; round_robin rings the agent who was
rung least recently; simultaneous rings every free agent at once, and the first to press
1 takes the call. An agent outside their own hours, paused, or already ringing or
talking for another request is never rung.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from callback.hours import agent_schedule
from callback.models import Agent, CallAttempt, CallbackRequest, Leg, utcnow

NEVER = datetime.min.replace(tzinfo=UTC)
LIVE_CALL_STATUSES = frozenset(
    {"pending", "unknown", "queued", "initiated", "ringing", "in-progress"}
)


@dataclass(frozen=True)
class AgentChoice:
    """The agents to ring now (maybe none); `busy` says an untried agent is on a call."""

    agents: list[Agent] = field(default_factory=list)
    busy: bool = False


def agents_tried(session: Session, request: CallbackRequest) -> set[int]:
    """Return the ids of agents already rung in the request's current round."""
    rows = session.scalars(
        select(CallAttempt.agent_id).where(
            CallAttempt.request_id == request.id,
            CallAttempt.leg == Leg.AGENT,
            CallAttempt.round == request.round,
            CallAttempt.status != "not_created",
        )
    )
    return {agent_id for agent_id in rows if agent_id is not None}


def agents_on_calls(session: Session) -> set[int]:
    """Return the ids of agents whose phone is ringing or in a call right now."""
    rows = session.scalars(
        select(CallAttempt.agent_id).where(
            CallAttempt.leg == Leg.AGENT, CallAttempt.status.in_(LIVE_CALL_STATUSES)
        )
    )
    return {agent_id for agent_id in rows if agent_id is not None}


def _last_rung(session: Session, agent_ids: list[int]) -> dict[int, datetime]:
    rows = session.execute(
        select(CallAttempt.agent_id, func.max(CallAttempt.created_at))
        .where(CallAttempt.leg == Leg.AGENT, CallAttempt.agent_id.in_(agent_ids))
        .group_by(CallAttempt.agent_id)
    )
    return {agent_id: last for agent_id, last in rows if agent_id is not None}


def _in_strategy_order(session: Session, agents: list[Agent], strategy: str) -> list[Agent]:
    if strategy != "round_robin":
        return agents  # already by priority
    last = _last_rung(session, [agent.id for agent in agents])
    # Never rung first, then the longest since; priority breaks ties.
    return sorted(agents, key=lambda a: (last.get(a.id, NEVER), a.priority, a.id))


def choose_agents(session: Session, request: CallbackRequest) -> AgentChoice:
    """Return whom to ring now for `request`, following its widget's ring strategy.

    Skipping agents on other calls keeps "calls to this agent since the attempt began"
    unambiguous when a lost create has to be found again.
    """
    now = utcnow()
    tried = agents_tried(session, request)
    candidates = [
        agent
        for agent in session.scalars(
            select(Agent)
            .where(Agent.team == request.widget.team, Agent.active, Agent.available)
            .order_by(Agent.priority, Agent.id)
        )
        if agent.id not in tried and agent_schedule(agent).is_open(now)
    ]
    busy = agents_on_calls(session) if candidates else set()
    free = [agent for agent in candidates if agent.id not in busy]
    ordered = _in_strategy_order(session, free, request.widget.ring_strategy)
    chosen = ordered if request.widget.ring_strategy == "simultaneous" else ordered[:1]
    return AgentChoice(chosen, busy=bool(candidates) and not free)


def claim_agent(session: Session, agent: Agent) -> bool:
    """Lock the agent's row until commit and confirm nobody else has just rung them.

    Two dial jobs choosing the same free agent at once queue on the row lock; the second
    then sees the first one's attempt and backs off (SQLite serialises writers anyway).
    """
    session.execute(select(Agent.id).where(Agent.id == agent.id).with_for_update())
    return agent.id not in agents_on_calls(session)
