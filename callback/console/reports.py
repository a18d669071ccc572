"""The reports pages for owners and managers: one report at a time, and its numbers as CSV.

A page runs only its own report's queries (callback.reports.sections), for one widget
the account manages and a period of that widget's days, beside the period before.
Charts are SVG drawn here on the server; the same numbers are in a table and the CSV.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from babel.numbers import format_decimal, format_percent
from flask import abort, render_template, request
from flask_babel import get_locale, gettext
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from callback import db
from callback.accounts import roles
from callback.console.access import account, for_roles
from callback.console.blueprint import bp
from callback.console.params import whole_id
from callback.errors import Invalid
from callback.models import Widget
from callback.reports import charts, export, sections
from callback.reports.charts import MISSING
from callback.reports.figures import WAIT_BINS, Funnel
from callback.reports.periods import Period, chosen, today_in
from callback.texts import N_

SECTION_NAMES = {
    "time": N_("console.reports.section.time"),
    "agents": N_("console.reports.section.agents"),
    "pages": N_("console.reports.section.pages"),
    "campaigns": N_("console.reports.section.campaigns"),
    "hours": N_("console.reports.section.hours"),
    "on-time": N_("console.reports.section.on_time"),
    "line": N_("console.reports.section.line"),
}
PERIOD_ERRORS = {
    ("invalid_date", "from"): N_("console.reports.error.from"),
    ("invalid_date", "to"): N_("console.reports.error.to"),
    ("period_reversed", "from"): N_("console.reports.error.reversed"),
    ("period_too_long", "from"): N_("console.reports.error.too_long"),
}
WEEKDAYS = [N_(f"console.reports.weekday.{day}") for day in range(7)]
N_("console.reports.weekday.0")
N_("console.reports.weekday.1")
N_("console.reports.weekday.2")
N_("console.reports.weekday.3")
N_("console.reports.weekday.4")
N_("console.reports.weekday.5")
N_("console.reports.weekday.6")


@bp.get("/reports")
@for_roles(roles.OWNER, roles.MANAGER)
def reports() -> tuple[str, int]:
    session = db.session()
    widgets = _widgets(session)
    widget = _chosen_widget(widgets)
    section = _section()
    context: dict[str, Any] = {"widgets": widgets, "widget": widget, "section": section}
    context.update(section_names=SECTION_NAMES, number=number, percent=percent)
    if widget is None:
        return render_template("console/reports/page.html", **context), 200
    try:
        period = _period(widget)
    except Invalid as refused:
        words = gettext(PERIOD_ERRORS[refused.code, refused.field or "from"])
        context.update(errors={refused.field or "from": words})
        context.update(first=request.args.get("from", ""), last=request.args.get("to", ""))
        return render_template("console/reports/page.html", **context), 400
    context.update(period=period, previous=period.previous(), errors={})
    context.update(first=period.first.isoformat(), last=period.last.isoformat())
    context.update(VIEWS[section](session, widget, period))
    return render_template("console/reports/page.html", **context), 200


@bp.get("/reports.csv")
@for_roles(roles.OWNER, roles.MANAGER)
def reports_csv() -> Response:
    session = db.session()
    widget = _chosen_widget(_widgets(session))
    if widget is None:
        abort(404)
    try:
        period = _period(widget)
    except Invalid:
        abort(400)
    section = _section()
    name = f"callback-{section}-{period.first.isoformat()}-{period.last.isoformat()}.csv"
    return Response(
        export.section_csv(session, widget, period, section),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _widgets(session: Session) -> list[Widget]:
    mine = roles.widget_filter(account())
    return list(session.scalars(select(Widget).where(mine).order_by(Widget.name, Widget.id)))


def _chosen_widget(widgets: list[Widget]) -> Widget | None:
    wanted = whole_id(request.args.get("widget"))
    found = next((widget for widget in widgets if widget.id == wanted), None)
    return found or (widgets[0] if widgets else None)


def _section() -> str:
    name = request.args.get("section", "time")
    return name if name in sections.SECTIONS else "time"


def _period(widget: Widget) -> Period:
    """Read from and to (the widget's days); default: the last 30 days up to today."""
    return chosen(request.args.get("from"), request.args.get("to"), today_in(widget.timezone))


# How numbers are written, in the page's language.
def _language() -> str:
    return str(get_locale() or "en")


def number(value: float | None) -> str:
    return MISSING if value is None else format_decimal(value, locale=_language())


def percent(value: float | None) -> str:
    return MISSING if value is None else format_percent(value, locale=_language())


def seconds(value: int | None) -> str:
    """Return a length of time as "45 s", "2 min 5 s" or "1 h 10 min"."""
    if value is None:
        return MISSING
    if value < 60:
        return gettext(N_("console.reports.duration_seconds")).format(seconds=value)
    if value < 3600:
        text = gettext(N_("console.reports.duration_minutes"))
        return text.format(minutes=value // 60, seconds=value % 60)
    text = gettext(N_("console.reports.duration_hours"))
    return text.format(hours=number(value // 3600), minutes=value % 3600 // 60)


def bin_label(lower: int, upper: int | None) -> str:
    """Return a band of the distribution, short enough to sit under its bar."""
    if upper is None:
        return gettext(N_("console.reports.bin_open")).format(hours=lower // 3600)
    if upper <= 60:
        return gettext(N_("console.reports.bin_seconds")).format(lower=lower, upper=upper)
    text = gettext(N_("console.reports.bin_minutes"))
    return text.format(lower=lower // 60, upper=upper // 60)


# One builder per report: the figures, and the charts and rows the template shows.
def _time_view(session: Session, widget: Widget, period: Period) -> dict[str, Any]:
    waits = sections.time_to_callback(session, widget, period)
    labels = [bin_label(lower, upper) for lower, upper in WAIT_BINS]
    titles = {
        "agent": N_("console.reports.time.agent"),
        "visitor": N_("console.reports.time.visitor"),
    }
    measures = []
    for name, pair in waits.items():
        title = gettext(titles[name])
        chart = charts.histogram(
            list(zip(labels, pair.current.bins, strict=True)),
            chart_id=f"wait-{name}",
            title=title,
            description=gettext(N_("console.reports.time.chart_description")),
            empty_text=gettext(N_("console.reports.no_data")),
        )
        measures.append({"name": name, "title": title, "chart": chart, "waits": pair})
    return {"measures": measures, "seconds": seconds}


def _agents_view(session: Session, widget: Widget, period: Period) -> dict[str, Any]:
    rows = sections.agents(session, widget, period)
    removed = gettext(N_("console.reports.removed_agent"))

    def name(pair: sections.Compared[Any]) -> str:
        row = pair.current or pair.previous
        return row.name if row is not None and row.name is not None else removed

    chart = charts.bars(
        [
            (
                name(pair),
                pair.current.answer_rate if pair.current else None,
                pair.previous.answer_rate if pair.previous else None,
            )
            for pair in rows
        ],
        chart_id="answer-rate",
        title=gettext(N_("console.reports.agents.chart_title")),
        description=gettext(N_("console.reports.agents.chart_description")),
        empty_text=gettext(N_("console.reports.no_data")),
        value_text=percent,
        maximum=1.0,
        period_labels=_period_labels(),
    )
    return {"rows": [(name(pair), pair) for pair in rows], "chart": chart, "seconds": seconds}


def _outcomes_view(by: str) -> Callable[[Session, Widget, Period], dict[str, Any]]:
    def view(session: Session, widget: Widget, period: Period) -> dict[str, Any]:
        outcomes = sections.outcomes(session, widget, period, by)
        total = outcomes.total.current
        chart = charts.funnel(
            _stages(total),
            chart_id=f"funnel-{by}",
            title=gettext(N_("console.reports.outcomes.chart_title")),
            description=gettext(N_("console.reports.outcomes.chart_description")),
            empty_text=gettext(N_("console.reports.no_data")),
            share_text=percent,
        )
        return {"outcomes": outcomes, "chart": chart, "by": by, "share": _talked_share}

    return view


def _hours_view(session: Session, widget: Widget, period: Period) -> dict[str, Any]:
    hours = sections.hours(session, widget, period)
    chart = charts.heatmap(
        hours.requests.current,
        hours.open_hours,
        chart_id="week-hours",
        title=gettext(N_("console.reports.hours.chart_title")).format(zone=widget.timezone),
        description=gettext(N_("console.reports.hours.chart_description")),
        weekday_labels=[gettext(day) for day in WEEKDAYS],
        open_label=gettext(N_("console.reports.hours.open_label")),
    )
    totals = (sum(map(sum, hours.requests.current)), sum(map(sum, hours.requests.previous)))
    return {"chart": chart, "totals": totals}


def _on_time_view(session: Session, widget: Widget, period: Period) -> dict[str, Any]:
    kept = sections.on_time(session, widget, period)
    chart = charts.bars(
        [(gettext(N_("console.reports.on_time.kept")), kept.current.share, kept.previous.share)],
        chart_id="on-time",
        title=gettext(N_("console.reports.on_time.chart_title")),
        description=gettext(N_("console.reports.on_time.chart_description")),
        empty_text=gettext(N_("console.reports.no_data")),
        value_text=percent,
        maximum=1.0,
        period_labels=_period_labels(),
    )
    return {"kept": kept, "chart": chart}


def _line_view(session: Session, widget: Widget, period: Period) -> dict[str, Any]:
    line = sections.line(session, widget, period)
    rows = [
        (N_("console.reports.line.callers"), "callers", number),
        (N_("console.reports.line.answered"), "answered", number),
        (N_("console.reports.line.abandoned"), "abandoned", number),
        (N_("console.reports.line.abandon_rate"), "abandon_rate", percent),
        (N_("console.reports.line.offered"), "offered", number),
        (N_("console.reports.line.taken"), "taken", number),
        (N_("console.reports.line.take_rate"), "take_rate", percent),
        (N_("console.reports.line.callbacks_completed"), "callbacks_completed", number),
    ]
    shown = [
        (gettext(label), text(getattr(line.current, name)), text(getattr(line.previous, name)))
        for label, name, text in rows
    ]
    called = line.current.callers or line.previous.callers
    rates = [
        (
            gettext(N_("console.reports.line.abandon_rate")),
            line.current.abandon_rate,
            line.previous.abandon_rate,
        ),
        (
            gettext(N_("console.reports.line.take_rate")),
            line.current.take_rate,
            line.previous.take_rate,
        ),
    ]
    chart = charts.bars(
        rates if called else [],
        chart_id="line-rates",
        title=gettext(N_("console.reports.line.chart_title")),
        description=gettext(N_("console.reports.line.chart_description")),
        empty_text=gettext(N_("console.reports.line.none")),
        value_text=percent,
        maximum=1.0,
        period_labels=_period_labels(),
    )
    return {"line": line, "line_rows": shown, "chart": chart}


VIEWS: dict[str, Callable[[Session, Widget, Period], dict[str, Any]]] = {
    "time": _time_view,
    "agents": _agents_view,
    "pages": _outcomes_view("page"),
    "campaigns": _outcomes_view("campaign"),
    "hours": _hours_view,
    "on-time": _on_time_view,
    "line": _line_view,
}


def _stages(funnel: Funnel) -> list[tuple[str, int]]:
    return [
        (gettext(N_("console.reports.outcomes.requested")), funnel.requested),
        (gettext(N_("console.reports.outcomes.agent_reached")), funnel.agent_reached),
        (gettext(N_("console.reports.outcomes.visitor_reached")), funnel.visitor_reached),
        (gettext(N_("console.reports.outcomes.talked")), funnel.talked),
    ]


def _talked_share(funnel: Funnel | None) -> str:
    if funnel is None or not funnel.requested:
        return MISSING
    return percent(funnel.talked / funnel.requested)


def _period_labels() -> tuple[str, str]:
    return (
        gettext(N_("console.reports.this_period")),
        gettext(N_("console.reports.previous_period")),
    )
