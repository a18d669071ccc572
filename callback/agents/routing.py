"""Which agents to ring: the team's available agents, by the widget's ring strategy.

sequential rings one agent at a time by priority; round_robin rings the agent who was
rung least recently; simultaneous rings every free agent at once, and the first to press
1 takes the call. An agent outside their own hours, paused, or already ringing or
talking for another request is never rung.

Language comes first, inside the strategy: the request's language is the one the visitor
used (its `locale`, when that is an offered language), else the widget's. An agent
speaks it when their `languages` list it; an agent with no languages listed is taken to
speak the widget's own language. Agents who don't speak it are rung only when no speaker
is free now (every speaker not yet rung this round is on a call, off hours or paused, or
all were rung), and only if the widget's `ring_other_languages` allows it; otherwise the
request waits for a speaker as it waits for any busy agent, or ends the round.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import ColumnElement, Exists, exists, func, select
from sqlalchemy.orm import QueryableAttribute, Session

from callback.lifecycle.states import LIVE_ATTEMPT_STATUSES, AttemptStatus
from callback.models import Agent, CallAttempt, CallbackRequest, Leg, utcnow
from callback.schedule.hours import agent_schedule
from callback.texts import offered

NEVER = datetime.min.replace(tzinfo=UTC)


@dataclass(frozen=True)
class AgentChoice:
    """The agents to ring now (maybe none); `busy` says an untried agent is on a call."""

    agents: list[Agent] = field(default_factory=list)
    busy: bool = False


def agents_tried(session: Session, request: CallbackRequest) -> set[int]:
    """Return the ids of agents already rung in the request's current round."""
    rows = session.scalars(select(CallAttempt.agent_id).where(*_rung_this_round(request)))
    return {agent_id for agent_id in rows if agent_id is not None}


def _rung_this_round(request: CallbackRequest) -> tuple[ColumnElement[bool], ...]:
    return (
        CallAttempt.request_id == request.id,
        CallAttempt.leg == Leg.AGENT,
        CallAttempt.round == request.round,
        CallAttempt.status != AttemptStatus.NOT_CREATED,
    )


def _on_a_call(agent_id: QueryableAttribute[int] | int) -> Exists:
    """EXISTS: the agent's phone is ringing or in a call (the live-agent-leg index)."""
    return exists().where(
        CallAttempt.agent_id == agent_id,
        CallAttempt.leg == Leg.AGENT,
        CallAttempt.status.in_(LIVE_ATTEMPT_STATUSES),
    )


def agents_on_a_call(session: Session, agent_ids: list[int]) -> set[int]:
    """Return which of `agent_ids` are ringing or in a call now, as routing sees it."""
    if not agent_ids:
        return set()
    rows = session.scalars(select(Agent.id).where(Agent.id.in_(agent_ids), _on_a_call(Agent.id)))
    return set(rows)


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


def request_language(request: CallbackRequest) -> str:
    """Return the language the request's agent should speak: the visitor's, or the widget's."""
    return offered(request.locale) or request.widget.language


def speaks(agent: Agent, language: str, widget_language: str) -> bool:
    """Say whether `agent` speaks `language`; no languages listed means the widget's own."""
    return language in (agent.languages or [widget_language])


def choose_agents(session: Session, request: CallbackRequest) -> AgentChoice:
    """Return whom to ring now for `request`: speakers of its language first, by strategy.

    Skipping agents on other calls keeps "calls to this agent since the attempt began"
    unambiguous when a lost create has to be found again.
    """
    now = utcnow()
    widget = request.widget
    # One statement: the team's agents not yet rung this round, each with whether they
    # are on a call now.
    rung = exists().where(CallAttempt.agent_id == Agent.id, *_rung_this_round(request))
    rows = session.execute(
        select(Agent, _on_a_call(Agent.id).label("on_call"))
        .where(Agent.team == widget.team, Agent.active, Agent.available, ~rung)
        .order_by(Agent.priority, Agent.id)
    ).all()
    # Hours and languages are read here rather than in SQL: a team is a few dozen rows at
    # most, and a JSON list's membership test differs between PostgreSQL and SQLite.
    candidates = [(agent, on_call) for agent, on_call in rows if agent_schedule(agent).is_open(now)]
    language = request_language(request)
    pool = [(a, on_call) for a, on_call in candidates if speaks(a, language, widget.language)]
    if widget.ring_other_languages and all(on_call for _, on_call in pool):
        pool = candidates  # no speaker is free now: anyone free may take the call
    free = [agent for agent, on_call in pool if not on_call]
    ordered = _in_strategy_order(session, free, widget.ring_strategy)
    chosen = ordered if widget.ring_strategy == "simultaneous" else ordered[:1]
    return AgentChoice(chosen, busy=bool(pool) and not free)


def claim_agent(session: Session, agent: Agent) -> bool:
    """Lock the agent's row until commit and confirm nobody else has just rung them.

    Two dial jobs choosing the same free agent at once queue on the row lock; the second
    then sees the first one's attempt and backs off (SQLite serialises writers anyway).
    """
    session.execute(select(Agent.id).where(Agent.id == agent.id).with_for_update())
    return not session.scalar(select(_on_a_call(agent.id)))
