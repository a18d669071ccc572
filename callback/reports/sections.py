"""Each report of a widget's period beside the same figures for the period before it.

The console shows these, the CSV export writes them and the weekly e-mail sums them up;
each section runs only its own queries, so one report page costs one report.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

from sqlalchemy.orm import Session

from callback.models import RequestFact, Widget
from callback.reports import figures
from callback.reports.figures import AgentRow, Funnel, Line, OnTime, Waits
from callback.reports.periods import Period

T = TypeVar("T")
SECTIONS = ("time", "agents", "pages", "campaigns", "hours", "on-time", "line")
WAIT_MEASURES = {"agent": RequestFact.agent_seconds, "visitor": RequestFact.visitor_seconds}


@dataclass(frozen=True)
class Compared(Generic[T]):
    current: T
    previous: T


@dataclass(frozen=True)
class Outcomes:
    """Funnels of the busiest pages or campaigns, the rest summed, and the total."""

    rows: list[Compared[Funnel | None]]  # each shown key, and its previous-period figures
    others: Funnel | None
    total: Compared[Funnel]


@dataclass(frozen=True)
class Hours:
    requests: Compared[list[list[int]]]
    open_hours: list[list[bool]]


def time_to_callback(
    session: Session, widget: Widget, period: Period
) -> dict[str, Compared[Waits]]:
    """Return the waits for an agent and for the visitor's phone, in both periods."""
    return {
        name: Compared(
            figures.waits(session, widget, period, column),
            figures.waits(session, widget, period.previous(), column),
        )
        for name, column in WAIT_MEASURES.items()
    }


def agents(session: Session, widget: Widget, period: Period) -> list[Compared[AgentRow | None]]:
    """Return each agent's row now and before; an agent only in the period before too."""
    now = figures.agents(session, widget, period)
    before = {row.agent_id: row for row in figures.agents(session, widget, period.previous())}
    rows: list[Compared[AgentRow | None]] = [
        Compared(row, before.pop(row.agent_id, None)) for row in now
    ]
    return rows + [Compared(None, row) for row in before.values()]


def outcomes(session: Session, widget: Widget, period: Period, by: str) -> Outcomes:
    """Return the funnels by "page" or "campaign", now and in the period before."""
    key = RequestFact.page if by == "page" else RequestFact.campaign
    rows, total = figures.funnels(session, widget, period, key)
    before, before_total = figures.funnels(session, widget, period.previous(), key)
    previous = {row.key: row for row in before}
    shown = rows[: figures.TOP_ROWS]
    return Outcomes(
        rows=[Compared(row, previous.get(row.key)) for row in shown],
        others=figures.others(shown, total),
        total=Compared(total, before_total),
    )


def hours(session: Session, widget: Widget, period: Period) -> Hours:
    """Return requests by weekday and hour in both periods, and the business hours."""
    return Hours(
        Compared(
            figures.heat_map(session, widget, period),
            figures.heat_map(session, widget, period.previous()),
        ),
        figures.open_hours(widget),
    )


def on_time(session: Session, widget: Widget, period: Period) -> Compared[OnTime]:
    """Return the scheduled callbacks kept on time, in both periods."""
    return Compared(
        figures.on_time(session, widget, period),
        figures.on_time(session, widget, period.previous()),
    )


def line(session: Session, widget: Widget, period: Period) -> Compared[Line]:
    """Return the phone line's callers and callbacks, in both periods."""
    return Compared(
        figures.line(session, widget, period),
        figures.line(session, widget, period.previous()),
    )
