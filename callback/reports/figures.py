"""The reports' figures for one widget and period, read from the rows the lifecycle keeps.

Each function answers one report with a few grouped queries on `report_requests` or
`report_agent_legs`, both indexed by widget and local day: their cost follows the
period's requests, not the widget's whole history. Percentiles are nearest-rank, exact,
from counts per whole second (a period has at most a few thousand distinct values).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Integer, case, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from callback.models import Agent, AgentLegFact, RequestFact, RequestStatus, Widget
from callback.reports.periods import Period
from callback.schedule.hours import DAY_NAMES

# The distribution's bins, in seconds: [lower, upper); None is "and longer".
WAIT_BINS: tuple[tuple[int, int | None], ...] = (
    (0, 15),
    (15, 30),
    (30, 60),
    (60, 120),
    (120, 300),
    (300, 900),
    (900, 3600),
    (3600, None),
)
TALKED_ENOUGH = 30  # seconds: a conversation, not a wrong number
TOP_ROWS = 20  # pages or campaigns shown one by one; the rest are summed as "others"
# The web reports count web requests (the widget, the form); the phone line has its own.
WEB, PHONE = "web", "phone"


@dataclass(frozen=True)
class Waits:
    """How long visitors waited for one step of the callback."""

    count: int
    median: int | None
    p90: int | None
    bins: tuple[int, ...]  # how many fell in each of WAIT_BINS


@dataclass(frozen=True)
class AgentRow:
    agent_id: int | None  # None: an agent since removed
    name: str | None
    offered: int
    answered: int
    accepted: int
    talk_seconds: int

    @property
    def missed(self) -> int:
        return self.offered - self.answered

    @property
    def answer_rate(self) -> float | None:
        return self.answered / self.offered if self.offered else None


@dataclass(frozen=True)
class Funnel:
    """Requests, and how many got as far as each step, for one page or campaign."""

    key: str | None  # the page or campaign; None: none was given
    requested: int
    agent_reached: int
    visitor_reached: int
    talked: int  # TALKED_ENOUGH seconds or more


@dataclass(frozen=True)
class OnTime:
    scheduled: int  # scheduled callbacks that were rung (or should have been)
    kept: int  # first agent rung within a minute of the slot

    @property
    def share(self) -> float | None:
        return self.kept / self.scheduled if self.scheduled else None


@dataclass(frozen=True)
class Line:
    """The phone line's callers whose request ended in the period, and how it went."""

    callers: int
    answered: int  # completed while on the line, without a callback
    abandoned: int  # hung up while waiting in line
    offered: int  # offered a callback keeping their place
    taken: int  # took it
    callbacks_completed: int  # ... and the callback was completed

    @property
    def abandon_rate(self) -> float | None:
        return self.abandoned / self.callers if self.callers else None

    @property
    def take_rate(self) -> float | None:
        return self.taken / self.offered if self.offered else None


def in_period(widget: Widget, period: Period, day: InstrumentedAttribute[Any]) -> Any:
    """Return the WHERE clause for `widget`'s rows of `period` (by their `day` column)."""
    return (day.class_.widget_id == widget.id) & day.between(period.first, period.last)


def web_requests(widget: Widget, period: Period) -> Any:
    """Return the WHERE clause for `widget`'s web requests (not the phone line) of `period`."""
    return in_period(widget, period, RequestFact.local_day) & (RequestFact.channel == WEB)


def waits(session: Session, widget: Widget, period: Period, column: Any) -> Waits:
    """Return the median, p90 and distribution of `column` (RequestFact seconds)."""
    counts = session.execute(
        select(column, func.count())
        .where(web_requests(widget, period), column.is_not(None))
        .group_by(column)
        .order_by(column)
    ).all()
    return waits_of([(int(value), int(count)) for value, count in counts])


def waits_of(counts: Sequence[tuple[int, int]]) -> Waits:
    """Return the Waits of (seconds, how many) pairs sorted by seconds."""
    total = sum(count for _, count in counts)
    bins = [0] * len(WAIT_BINS)
    for value, count in counts:
        bins[_bin_of(value)] += count
    return Waits(total, _rank(counts, total, 0.5), _rank(counts, total, 0.9), tuple(bins))


def agents(session: Session, widget: Widget, period: Period) -> list[AgentRow]:
    """Return each agent's offered, answered and accepted calls and talk time, by name."""
    rows = session.execute(
        select(
            AgentLegFact.agent_id,
            Agent.name,
            func.count(),
            _count_true(AgentLegFact.answered),
            _count_true(AgentLegFact.accepted),
            func.coalesce(func.sum(AgentLegFact.talk_seconds), 0),
        )
        .outerjoin(Agent, Agent.id == AgentLegFact.agent_id)
        .where(in_period(widget, period, AgentLegFact.local_day))
        .group_by(AgentLegFact.agent_id, Agent.name)
    ).all()
    found = [AgentRow(*row[:2], *(int(value) for value in row[2:])) for row in rows]
    return sorted(found, key=lambda row: (row.name is None, (row.name or "").casefold()))


def funnels(
    session: Session, widget: Widget, period: Period, key: InstrumentedAttribute[Any]
) -> tuple[list[Funnel], Funnel]:
    """Return the funnel of each `key` (page or campaign), busiest first, and the total."""
    grouped = session.execute(
        select(key, *_funnel_counts()).where(web_requests(widget, period)).group_by(key)
    ).all()
    rows = [Funnel(value, *counts) for value, *counts in grouped]
    rows.sort(key=lambda row: (-row.requested, row.key is None, row.key or ""))
    total = Funnel(None, *(sum(getattr(row, name) for row in rows) for name in _STEPS))
    return rows, total


def others(shown: Sequence[Funnel], total: Funnel) -> Funnel | None:
    """Return the sum of the rows beyond those shown, or None when all are shown."""
    rest = [getattr(total, name) - sum(getattr(row, name) for row in shown) for name in _STEPS]
    return Funnel(None, *rest) if rest[0] else None


def heat_map(session: Session, widget: Widget, period: Period) -> list[list[int]]:
    """Return requests by local weekday (Monday first) and hour, as 7 rows of 24."""
    grid = [[0] * 24 for _ in range(7)]
    for weekday, hour, count in session.execute(
        select(RequestFact.local_weekday, RequestFact.local_hour, func.count())
        .where(web_requests(widget, period))
        .group_by(RequestFact.local_weekday, RequestFact.local_hour)
    ):
        grid[weekday][hour] = count
    return grid


def open_hours(widget: Widget) -> list[list[bool]]:
    """Return, for each weekday and hour, whether the widget's business hours touch it."""
    if widget.business_hours is None:
        return [[True] * 24 for _ in range(7)]
    grid = [[False] * 24 for _ in range(7)]
    for weekday, name in enumerate(DAY_NAMES):
        for opens, closes in widget.business_hours.get(name, []):
            start, end = _minutes(opens), _minutes(closes)
            for hour in range(24):
                grid[weekday][hour] |= start < (hour + 1) * 60 and end > hour * 60
    return grid


def on_time(session: Session, widget: Widget, period: Period) -> OnTime:
    """Return how many scheduled callbacks were rung within a minute of their slot."""
    scheduled, kept = session.execute(
        select(func.count(), _count_true(RequestFact.on_time)).where(
            web_requests(widget, period),
            RequestFact.scheduled.is_(True),
            RequestFact.on_time.is_not(None),
        )
    ).one()
    return OnTime(int(scheduled), int(kept or 0))


def line(session: Session, widget: Widget, period: Period) -> Line:
    """Return the phone line's figures: callers, answered, abandoned, callbacks."""
    completed = RequestFact.status == RequestStatus.COMPLETED.value
    counts = session.execute(
        select(
            func.count(),
            _count_true(completed & RequestFact.line_callback.is_(False)),
            _count_true(RequestFact.line_abandoned),
            _count_true(RequestFact.line_offered),
            _count_true(RequestFact.line_callback),
            _count_true(completed & RequestFact.line_callback.is_(True)),
        ).where(in_period(widget, period, RequestFact.local_day), RequestFact.channel == PHONE)
    ).one()
    return Line(*(int(value or 0) for value in counts))


_STEPS = ("requested", "agent_reached", "visitor_reached", "talked")


def _funnel_counts() -> list[ColumnElement[Any]]:
    return [
        func.count(),
        func.count(RequestFact.agent_seconds),
        func.count(RequestFact.visitor_seconds),
        _count_true(RequestFact.talk_seconds >= TALKED_ENOUGH),
    ]


def _count_true(condition: Any) -> ColumnElement[Any]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0).cast(Integer)


def _bin_of(seconds: int) -> int:
    return next(
        index
        for index, (lower, upper) in enumerate(WAIT_BINS)
        if seconds >= lower and (upper is None or seconds < upper)
    )


def _rank(counts: Sequence[tuple[int, int]], total: int, fraction: float) -> int | None:
    if not total:
        return None
    wanted, seen = max(math.ceil(fraction * total), 1), 0
    for value, count in counts:
        seen += count
        if seen >= wanted:
            return value
    return None  # unreachable: the counts add up to total


def _minutes(clock: str) -> int:
    hours, minutes = clock.split(":")
    return int(hours) * 60 + int(minutes)
