"""The weekly report: a widget's week, Monday to Sunday, beside the week before it.

It goes out by e-mail on the widget's local Monday from its digest hour, to the people
who manage the widget: every owner and the managers given that widget. Which widgets are
due and the claim that makes one week go out once live here; the job
(`workers.alerts.send_weekly_reports`) sends. Every figure comes from
`callback.reports.sections`, so the e-mail says what the console's reports page says;
none of them holds a visitor's number.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from babel.dates import format_date
from babel.numbers import format_decimal, format_percent
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from callback.integrations.alerts import Alert, console_link, recipients, widget_staff_emails
from callback.integrations.digest import duration
from callback.models import Widget
from callback.reports import sections
from callback.reports.figures import AgentRow, Funnel, Line, OnTime, Waits
from callback.reports.periods import Period
from callback.reports.sections import Compared, Outcomes
from callback.texts import N_, language_of, translate

T = TypeVar("T")
BUSIEST = 3  # pages and campaigns named in the e-mail; the console lists the rest


@dataclass(frozen=True)
class WeekFigures:
    """What the weekly e-mail tells, each figure beside the week before's."""

    totals: Compared[Funnel]  # requests, agent reached, visitor reached, talked 30 s+
    agent_waits: Compared[Waits]  # from when the visitor wanted the call to an agent answering
    answer_rate: Compared[float | None]  # agents' answered legs out of those offered
    on_time: Compared[OnTime]
    pages: list[Funnel]  # the busiest this week, busiest first
    campaigns: list[Funnel]
    line: Compared[Line]  # the phone line's callers; the figures above are web requests


def week_from(monday: date) -> Period:
    """Return the week, Monday to Sunday, that starts on `monday`."""
    return Period(monday, monday + timedelta(days=6))


def last_week(widget: Widget, now: datetime) -> tuple[date, bool]:
    """Return the Monday of the widget's week just ended, and whether its report is due now.

    Due on the widget's local Monday from its digest hour to midnight, as a digest is due
    on the day after: a service started later in the week does not send last week's late.
    """
    local = now.astimezone(ZoneInfo(widget.timezone))
    monday = local.date() - timedelta(days=local.weekday() + 7)
    return monday, local.weekday() == 0 and local.hour >= widget.digest_hour


def due_widgets(session: Session, now: datetime) -> list[tuple[int, date]]:
    """Return (widget id, Monday) for each widget whose report of last week is due now."""
    widgets = session.scalars(select(Widget).where(Widget.weekly_report_enabled.is_(True)))
    due = []
    for widget in widgets:
        monday, due_now = last_week(widget, now)
        if due_now and (widget.weekly_report_sent_for or "") < monday.isoformat():
            due.append((widget.id, monday))
    return due


def claim_week(session: Session, widget_id: int, monday: date) -> bool:
    """Mark the week from `monday` as sent, unless another run did; commit. True: ours."""
    claimed = session.execute(
        update(Widget)
        .where(
            Widget.id == widget_id,
            or_(
                Widget.weekly_report_sent_for.is_(None),
                Widget.weekly_report_sent_for < monday.isoformat(),
            ),
        )
        .values(weekly_report_sent_for=monday.isoformat())
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return bool(claimed.rowcount)  # type: ignore[attr-defined]


def release_week(session: Session, widget_id: int, monday: date, before: str | None) -> None:
    """Give a claim back after a failed send, so the next run tries the week again."""
    session.rollback()  # whatever the failed send left open in the session
    session.execute(
        update(Widget)
        .where(Widget.id == widget_id, Widget.weekly_report_sent_for == monday.isoformat())
        .values(weekly_report_sent_for=before)
        .execution_options(synchronize_session=False)
    )
    session.commit()


def report_recipients(session: Session, widget: Widget) -> list[str]:
    """Return the addresses of the owners and the widget's managers, active and joined."""
    return recipients(widget_staff_emails(session, widget))


def week_figures(session: Session, widget: Widget, monday: date) -> WeekFigures:
    """Return the figures of the week from `monday`, each beside the week before's."""
    week = week_from(monday)
    pages = sections.outcomes(session, widget, week, "page")
    agents = sections.agents(session, widget, week)
    return WeekFigures(
        totals=pages.total,
        agent_waits=sections.time_to_callback(session, widget, week)["agent"],
        answer_rate=Compared(
            _answer_rate(row.current for row in agents),
            _answer_rate(row.previous for row in agents),
        ),
        on_time=sections.on_time(session, widget, week),
        pages=busiest(pages),
        campaigns=busiest(sections.outcomes(session, widget, week, "campaign")),
        line=sections.line(session, widget, week),
    )


def busiest(outcomes: Outcomes) -> list[Funnel]:
    """Return this week's busiest named pages or campaigns, at most BUSIEST of them."""
    # Requests with no campaign (most of them) would crowd out the campaigns themselves.
    named = [row.current for row in outcomes.rows if row.current and row.current.key]
    return named[:BUSIEST]


def report_message(widget: Widget, monday: date, figures: WeekFigures) -> Alert:
    """Compose the report of the week from `monday` in the widget's language."""
    language = language_of(widget.language)
    week = week_from(monday)
    values = {
        "widget": widget.name,
        "first": format_date(week.first, "long", locale=language),
        "last": format_date(week.last, "long", locale=language),
        "zone": widget.timezone,
        **_totals(figures, language),
        "pages": _rows(figures.pages, language),
        "campaigns": _rows(figures.campaigns, language),
        "phone_line": _phone_line(figures.line, language),
        "link": console_link(f"/reports?widget={widget.id}&from={week.first}&to={week.last}"),
    }
    subject = translate(N_("weekly.subject"), language).format(**values)
    body = translate(N_("weekly.body"), language).format(**values)
    return Alert(subject, body, chat=subject)  # sent by e-mail only


def _totals(figures: WeekFigures, language: str) -> dict[str, str]:
    """Return each headline figure of the week, written beside the week before's."""
    totals, waits = figures.totals, figures.agent_waits
    return {
        "requests": _beside(_of(totals, "requested"), _count, language),
        "agent_reached": _beside(_of(totals, "agent_reached"), _count, language),
        "visitor_reached": _beside(_of(totals, "visitor_reached"), _count, language),
        "talked": _beside(_of(totals, "talked"), _count, language),
        "agent_median": _beside(_of(waits, "median"), _seconds, language),
        "agent_p90": _beside(_of(waits, "p90"), _seconds, language),
        "answer_rate": _beside(figures.answer_rate, _share, language),
        "on_time": _beside(figures.on_time, _kept, language),
    }


def _phone_line(line: Compared[Line], language: str) -> str:
    """Return the phone line's paragraph, or nothing for a widget no one called these weeks."""
    if not (line.current.callers or line.previous.callers):
        return ""
    text = translate(N_("weekly.line"), language).format(
        callers=_beside(_of(line, "callers"), _count, language),
        abandoned=_beside(_of(line, "abandoned"), _count, language),
        abandon_rate=_beside(_of(line, "abandon_rate"), _share, language),
        offered=_beside(_of(line, "offered"), _count, language),
        taken=_beside(_of(line, "taken"), _count, language),
        completed=_beside(_of(line, "callbacks_completed"), _count, language),
    )
    return text.rstrip("\n") + "\n\n"


def _of(compared: Compared[Any], name: str) -> Compared[Any]:
    return Compared(getattr(compared.current, name), getattr(compared.previous, name))


def _beside(compared: Compared[T], write: Callable[[T, str], str], language: str) -> str:
    return translate(N_("weekly.compared"), language).format(
        now=write(compared.current, language), before=write(compared.previous, language)
    )


def _answer_rate(rows: Iterable[AgentRow | None]) -> float | None:
    found = [row for row in rows if row is not None]
    offered = sum(row.offered for row in found)
    return sum(row.answered for row in found) / offered if offered else None


def _rows(funnels: list[Funnel], language: str) -> str:
    if not funnels:
        return translate(N_("weekly.no_rows"), language)
    row = translate(N_("weekly.row"), language)
    return "\n".join(
        row.format(
            key=funnel.key,
            requests=format_decimal(funnel.requested, locale=language),
            talked=format_decimal(funnel.talked, locale=language),
        )
        for funnel in funnels
    )


def _count(value: int, language: str) -> str:
    return format_decimal(value, locale=language)


def _seconds(value: int | None, language: str) -> str:
    if value is None:
        return translate(N_("digest.not_applicable"), language)
    if value < 60:  # most answers: "40 s" reads better than "0 min 40 s"
        return translate(N_("weekly.seconds"), language).format(seconds=value)
    return duration(timedelta(seconds=value), language)


def _share(rate: float | None, language: str) -> str:
    if rate is None:
        return translate(N_("digest.not_applicable"), language)
    return format_percent(rate, locale=language)


def _kept(on_time: OnTime, language: str) -> str:
    if not on_time.scheduled:
        return translate(N_("digest.not_applicable"), language)
    return translate(N_("weekly.on_time"), language).format(
        kept=format_decimal(on_time.kept, locale=language),
        scheduled=format_decimal(on_time.scheduled, locale=language),
        share=_share(on_time.share, language),
    )
