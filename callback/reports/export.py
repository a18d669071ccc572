"""The numbers behind each report's charts, as CSV: one row per bar, cell or step.

Column names are fixed English identifiers, whatever the page's language, so that a
spreadsheet or a script reading them keeps working. Pages and campaigns come from
visitors' URLs: a cell that a spreadsheet would run as a formula is written as text.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from sqlalchemy.orm import Session

from callback.models import Widget
from callback.reports import sections
from callback.reports.figures import WAIT_BINS, AgentRow, Funnel, Line
from callback.reports.periods import Period
from callback.schedule.hours import DAY_NAMES

Row = Sequence[object]
# What a spreadsheet may read as the start of a formula (OWASP's CSV injection list).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
FUNNEL_COLUMNS = ["requested", "agent_reached", "visitor_reached", "talked_30s"]


def section_csv(session: Session, widget: Widget, period: Period, section: str) -> str:
    """Return the CSV of one report `section` (one of sections.SECTIONS)."""
    header, rows = ROWS[section](session, widget, period)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([_cell(value) for value in row] for row in rows)
    return out.getvalue()


def _time(session: Session, widget: Widget, period: Period) -> tuple[list[str], list[Row]]:
    rows: list[Row] = []
    for measure, waits in sections.time_to_callback(session, widget, period).items():
        now, before = waits.current, waits.previous
        rows += [
            [measure, "count", now.count, before.count],
            [measure, "median_seconds", now.median, before.median],
            [measure, "p90_seconds", now.p90, before.p90],
        ]
        rows += [
            [measure, _bin_name(lower, upper), *pair]
            for (lower, upper), *pair in zip(WAIT_BINS, now.bins, before.bins, strict=True)
        ]
    return ["measure", "statistic", "this_period", "previous_period"], rows


def _agents(session: Session, widget: Widget, period: Period) -> tuple[list[str], list[Row]]:
    header = ["agent", "offered", "answered", "accepted", "missed", "answer_rate"]
    header += ["talk_seconds", "previous_offered", "previous_answered", "previous_answer_rate"]
    rows: list[Row] = []
    for pair in sections.agents(session, widget, period):
        now, before = pair.current, pair.previous
        named = now or before
        name = named.name if named and named.name is not None else "(removed agent)"
        rows.append([name, *_agent_figures(now, with_talk=True), *_agent_figures(before)])
    return header, rows


def _funnels(by: str) -> Any:
    def rows(session: Session, widget: Widget, period: Period) -> tuple[list[str], list[Row]]:
        outcomes = sections.outcomes(session, widget, period, by)
        header = [by, *FUNNEL_COLUMNS, *(f"previous_{name}" for name in FUNNEL_COLUMNS)]
        found: list[Row] = [
            [_key(pair.current), *_steps(pair.current), *_steps(pair.previous)]
            for pair in outcomes.rows
        ]
        if outcomes.others:
            found.append(["(others)", *_steps(outcomes.others), *[""] * 4])
        total = outcomes.total
        found.append(["(total)", *_steps(total.current), *_steps(total.previous)])
        return header, found

    return rows


def _hours(session: Session, widget: Widget, period: Period) -> tuple[list[str], list[Row]]:
    hours = sections.hours(session, widget, period)
    now, before = hours.requests.current, hours.requests.previous
    rows: list[Row] = [
        [DAY_NAMES[day], hour, _yes(hours.open_hours[day][hour]), now[day][hour], before[day][hour]]
        for day in range(7)
        for hour in range(24)
    ]
    return ["weekday", "hour", "business_hours", "requests", "previous_requests"], rows


def _on_time(session: Session, widget: Widget, period: Period) -> tuple[list[str], list[Row]]:
    kept = sections.on_time(session, widget, period)
    header = ["scheduled", "kept", "kept_share", "previous_scheduled", "previous_kept"]
    now, before = kept.current, kept.previous
    row = [now.scheduled, now.kept, _rate(now.share), before.scheduled, before.kept]
    return [*header, "previous_kept_share"], [[*row, _rate(before.share)]]


# The phone line's figures (callback.reports.figures.Line), as the CSV names them.
LINE_FIGURES: dict[str, Callable[[Line], object]] = {
    "callers": lambda line: line.callers,
    "answered_on_line": lambda line: line.answered,
    "abandoned_in_line": lambda line: line.abandoned,
    "abandon_rate": lambda line: _rate(line.abandon_rate),
    "callbacks_offered": lambda line: line.offered,
    "callbacks_taken": lambda line: line.taken,
    "take_rate": lambda line: _rate(line.take_rate),
    "callbacks_completed": lambda line: line.callbacks_completed,
}


def _line(session: Session, widget: Widget, period: Period) -> tuple[list[str], list[Row]]:
    pair = sections.line(session, widget, period)
    rows: list[Row] = [
        [name, figure(pair.current), figure(pair.previous)] for name, figure in LINE_FIGURES.items()
    ]
    return ["figure", "this_period", "previous_period"], rows


ROWS = {
    "time": _time,
    "agents": _agents,
    "pages": _funnels("page"),
    "campaigns": _funnels("campaign"),
    "hours": _hours,
    "on-time": _on_time,
    "line": _line,
}


def _agent_figures(row: AgentRow | None, with_talk: bool = False) -> list[object]:
    """Offered, answered, [accepted, missed,] answer rate[, talk]: zeros for no row."""
    if with_talk:
        if row is None:
            return [0, 0, 0, 0, "", 0]
        rate = _rate(row.answer_rate)
        return [row.offered, row.answered, row.accepted, row.missed, rate, row.talk_seconds]
    return [0, 0, ""] if row is None else [row.offered, row.answered, _rate(row.answer_rate)]


def _yes(value: bool) -> str:
    return "yes" if value else "no"


def _steps(funnel: Funnel | None) -> Iterable[object]:
    if funnel is None:
        return [0, 0, 0, 0]
    return [funnel.requested, funnel.agent_reached, funnel.visitor_reached, funnel.talked]


def _key(funnel: Funnel | None) -> str:
    return funnel.key if funnel is not None and funnel.key is not None else "(none)"


def _bin_name(lower: int, upper: int | None) -> str:
    return f"from_{lower}_seconds_up" if upper is None else f"from_{lower}_to_{upper}_seconds"


def _rate(value: float | None) -> str:
    return "" if value is None else f"{value:.4f}"


def _cell(value: object) -> object:
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return "" if value is None else value
