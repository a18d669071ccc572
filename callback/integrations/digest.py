"""The daily digest: a widget's figures for the day before, sent once a day at its hour.

A day is the widget's local day (its time zone), so a Warsaw widget's "yesterday" runs
from midnight to midnight in Warsaw whatever UTC says. Which widgets are due and the
claim that makes one digest go out once live here; the job (`workers.alerts`) sends.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from babel.dates import format_date
from babel.numbers import format_decimal, format_percent
from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from callback.integrations.alerts import Alert, console_link
from callback.models import CallbackRequest, RequestStatus, Widget
from callback.texts import N_, language_of, translate


@dataclass(frozen=True)
class DayFigures:
    """What happened to a widget's callbacks on one local day."""

    requests: int  # asked for that day
    completed: int  # ended that day, as completed
    failed: int  # ended that day, as failed
    expired: int  # ended that day, as expired
    ended: int  # ended that day, however
    reached: int  # of those ended, the visitor was bridged to an agent
    slowest: timedelta | None  # longest wait, asked (or wanted) to connected, that day

    @property
    def answer_rate(self) -> float | None:
        return self.reached / self.ended if self.ended else None


def day_bounds(day: date, zone: str) -> tuple[datetime, datetime]:
    """Return the start and end of the local `day` in `zone` (aware, for UTC columns)."""
    tz = ZoneInfo(zone)
    start = datetime.combine(day, time(), tzinfo=tz)
    end = datetime.combine(day + timedelta(days=1), time(), tzinfo=tz)
    return start, end


def day_figures(session: Session, widget: Widget, day: date) -> DayFigures:
    """Count the widget's requests of the local `day`."""
    start, end = day_bounds(day, widget.timezone)
    mine = CallbackRequest.widget_id == widget.id
    asked = session.scalar(
        select(func.count()).where(
            mine, CallbackRequest.created_at >= start, CallbackRequest.created_at < end
        )
    )
    ended_rows = session.execute(
        select(CallbackRequest.status, CallbackRequest.connected_at).where(
            mine, CallbackRequest.ended_at >= start, CallbackRequest.ended_at < end
        )
    ).all()
    statuses = [status for status, _ in ended_rows]
    # From when the visitor asked (or the time they chose) to their phone bridged.
    waits = [
        connected_at - (wanted_at or created_at)
        for created_at, wanted_at, connected_at in session.execute(
            select(
                CallbackRequest.created_at, CallbackRequest.wanted_at, CallbackRequest.connected_at
            ).where(mine, CallbackRequest.connected_at >= start, CallbackRequest.connected_at < end)
        )
        if connected_at is not None  # always, by the WHERE; said for the type checker
    ]
    return DayFigures(
        requests=asked or 0,
        completed=statuses.count(RequestStatus.COMPLETED),
        failed=statuses.count(RequestStatus.FAILED),
        expired=statuses.count(RequestStatus.EXPIRED),
        ended=len(ended_rows),
        reached=sum(1 for _, connected_at in ended_rows if connected_at is not None),
        slowest=max(waits) if waits else None,
    )


def local_yesterday(widget: Widget, now: datetime) -> tuple[date, bool]:
    """Return the widget's local yesterday, and whether its digest hour has come today."""
    local = now.astimezone(ZoneInfo(widget.timezone))
    return local.date() - timedelta(days=1), local.hour >= widget.digest_hour


def due_widgets(session: Session, now: datetime) -> list[tuple[int, date]]:
    """Return (widget id, day) for each widget whose digest of yesterday is due now."""
    widgets = session.scalars(select(Widget).where(Widget.digest_enabled.is_(True)))
    due = []
    for widget in widgets:
        if not (widget.alert_emails or widget.alert_chat_url):
            continue
        day, hour_come = local_yesterday(widget, now)
        if hour_come and (widget.digest_sent_for or "") < day.isoformat():
            due.append((widget.id, day))
    return due


def claim_digest(session: Session, widget_id: int, day: date) -> bool:
    """Mark the digest of `day` as sent, unless another run did; commit. True: ours to send."""
    claimed = session.execute(
        update(Widget)
        .where(
            Widget.id == widget_id,
            or_(Widget.digest_sent_for.is_(None), Widget.digest_sent_for < day.isoformat()),
        )
        .values(digest_sent_for=day.isoformat())
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return bool(claimed.rowcount)  # type: ignore[attr-defined]


def release_digest(session: Session, widget_id: int, day: date, before: str | None) -> None:
    """Give a claim back after a failed send, so the next run tries the day again."""
    session.rollback()  # whatever the failed send left open in the session
    session.execute(
        update(Widget)
        .where(Widget.id == widget_id, Widget.digest_sent_for == day.isoformat())
        .values(digest_sent_for=before)
        .execution_options(synchronize_session=False)
    )
    session.commit()


def digest_message(widget: Widget, day: date, figures: DayFigures) -> Alert:
    """Compose the digest of `day`, numbers written as the widget's language writes them."""
    language = language_of(widget.language)
    none = translate(N_("digest.not_applicable"), language)
    rate = figures.answer_rate
    values = {
        "widget": widget.name,
        "date": format_date(day, "long", locale=language),
        "zone": widget.timezone,
        "requests": format_decimal(figures.requests, locale=language),
        "completed": format_decimal(figures.completed, locale=language),
        "failed": format_decimal(figures.failed, locale=language),
        "expired": format_decimal(figures.expired, locale=language),
        "answer_rate": none if rate is None else format_percent(rate, locale=language),
        "slowest": none if figures.slowest is None else duration(figures.slowest, language),
        "link": console_link(
            f"/requests?widget={widget.id}&from={day.isoformat()}&to={day.isoformat()}"
        ),
    }
    subject = translate(N_("digest.subject"), language).format(**values)
    body = translate(N_("digest.body"), language).format(**values)
    chat = translate(N_("digest.chat"), language).format(**values)
    return Alert(subject, body, chat)


def duration(length: timedelta, language: str) -> str:
    """Return `length` in minutes and seconds, or hours and minutes past an hour."""
    seconds = max(int(length.total_seconds()), 0)
    if seconds < 3600:
        return translate(N_("digest.minutes"), language).format(
            minutes=seconds // 60, seconds=seconds % 60
        )
    return translate(N_("digest.hours"), language).format(
        hours=format_decimal(seconds // 3600, locale=language), minutes=seconds % 3600 // 60
    )
