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

from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from itertools import count
from typing import Any

from sqlalchemy import ColumnElement, Exists, Select, exists, func, select
from sqlalchemy.orm import QueryableAttribute, Session

from callback.lifecycle.states import AttemptStatus
from callback.models import Agent, CallAttempt, CallbackRequest, Leg, utcnow
from callback.models.call import LIVE_AGENT_LEGS
from callback.schedule.hours import agent_schedule
from callback.texts import offered

# Agents are read this many at a time: a choice is usually made on the first page,
# so a dial job's cost does not grow with the team.
AGENTS_PAGE = 20


@dataclass(frozen=True)
class AgentChoice:
    """The agents to ring now (maybe none); `busy` says an untried agent is on a call.

    `others_free`: an agent on duty is free but does not speak the request's language
    (and the widget rings no other languages): someone else waiting may take them.
    """

    agents: list[Agent] = field(default_factory=list)
    busy: bool = False
    others_free: bool = False


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
    """EXISTS: the agent's phone is ringing or in a call (the live-agent-leg index).

    The index's own predicate, written out: with the leg and statuses as parameters, a
    generic plan (psycopg prepares a statement after five runs) cannot prove that the
    partial index applies, and PostgreSQL may scan every agent leg instead.
    """
    return exists().where(CallAttempt.agent_id == agent_id, LIVE_AGENT_LEGS)


def agents_on_a_call(session: Session, agent_ids: list[int]) -> set[int]:
    """Return which of `agent_ids` are ringing or in a call now, as routing sees it."""
    if not agent_ids:
        return set()
    rows = session.scalars(select(Agent.id).where(Agent.id.in_(agent_ids), _on_a_call(Agent.id)))
    return set(rows)


def free_agents_by_team(session: Session, teams: Collection[str]) -> dict[str, int]:
    """Return how many agents of each of `teams` could be rung now: active, available,
    not on a call. Their own hours are not read: a count for a safety net, not a choice
    of whom to ring. (Whether a wake for them is already on its way is not known here:
    telling would mean reading each agent's past calls, which no index covers.)
    """
    if not teams:
        return {}
    rows = session.execute(
        select(Agent.team, func.count())
        .where(Agent.team.in_(list(teams)), Agent.active, Agent.available, ~_on_a_call(Agent.id))
        .group_by(Agent.team)
    )
    return {team: count for team, count in rows}


def _strategy_order(strategy: str) -> tuple[Any, ...]:
    """ORDER BY of the free agents: by priority, or (round robin) least recently rung first."""
    by_priority = (Agent.priority, Agent.id)
    if strategy != "round_robin":
        return by_priority
    last_rung = (
        select(func.max(CallAttempt.created_at))
        .where(CallAttempt.agent_id == Agent.id, CallAttempt.leg == Leg.AGENT)
        .scalar_subquery()
    )
    # Never rung first, then the longest since; priority breaks ties.
    return (last_rung.asc().nulls_first(), *by_priority)


def _each(session: Session, statement: Select[Any]) -> Iterator[Agent]:
    """Yield the statement's agents a page at a time, so a choice made early reads little."""
    for offset in count(0, AGENTS_PAGE):
        page = session.scalars(statement.limit(AGENTS_PAGE).offset(offset)).all()
        yield from page
        if len(page) < AGENTS_PAGE:
            return


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
    language = request_language(request)
    every = widget.ring_strategy == "simultaneous"
    rung = exists().where(CallAttempt.agent_id == Agent.id, *_rung_this_round(request))
    untried = select(Agent).where(Agent.team == widget.team, Agent.active, Agent.available, ~rung)
    # Free agents, in the order the strategy rings them, read until the choice is made:
    # the first free speaker on duty (or every one), else the first free other.
    speakers: list[Agent] = []
    others: list[Agent] = []
    others_free = False
    free = untried.where(~_on_a_call(Agent.id)).order_by(*_strategy_order(widget.ring_strategy))
    for agent in _each(session, free):
        if not agent_schedule(agent).is_open(now):
            continue
        if speaks(agent, language, widget.language):
            speakers.append(agent)
            if not every:
                break
        elif widget.ring_other_languages:
            if every or not others:
                others.append(agent)
        else:
            others_free = True
    if speakers or others:
        return AgentChoice(speakers or others)
    # Nobody to ring now. The request waits if one it could ring is on duty but on a call.
    on_call = untried.where(_on_a_call(Agent.id)).order_by(Agent.priority, Agent.id)
    busy = any(
        agent_schedule(agent).is_open(now)
        and (widget.ring_other_languages or speaks(agent, language, widget.language))
        for agent in _each(session, on_call)
    )
    return AgentChoice([], busy=busy, others_free=others_free)


def claim_agent(session: Session, agent: Agent) -> bool:
    """Lock the agent's row until commit and confirm nobody else has just rung them.

    Two dial jobs choosing the same free agent at once queue on the row lock; the second
    then sees the first one's attempt and backs off (SQLite serialises writers anyway).
    """
    session.execute(select(Agent.id).where(Agent.id == agent.id).with_for_update())
    return not session.scalar(select(_on_a_call(agent.id)))
