"""The callbacks' figures, read from the database: outcomes, waits and per-minute series."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Integer, cast, func, select
from sqlalchemy.orm import Session

from callback.lifecycle.states import PENDING_STATUSES
from callback.lines.order import PHONE
from callback.metrics import waited_seconds
from callback.models import CallbackRequest, RequestStatus, Widget

FAILURE_STATUSES = frozenset({RequestStatus.FAILED, RequestStatus.EXPIRED})
# Enough rows for any realistic hour; a flood beyond it is summarised by its newest part.
ROW_LIMIT = 20000


def percentile(values: list[float], fraction: float) -> float | None:
    """Return the nearest-rank percentile of `values`, or None when there are none."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(math.ceil(fraction * len(ordered)) - 1, 0)]


@dataclass
class Outcomes:
    submitted: int
    ended: int
    failed: int
    by_outcome: dict[str, int]

    @property
    def failure_rate(self) -> float | None:
        return self.failed / self.ended if self.ended else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "submitted": self.submitted,
            "ended": self.ended,
            "failed": self.failed,
            "failure_rate": self.failure_rate,
            "by_outcome": self.by_outcome,
        }


def outcomes(session: Session, since: datetime) -> Outcomes:
    """Count requests submitted since `since`, and those that ended, by status/outcome."""
    submitted = session.scalar(
        select(func.count()).select_from(CallbackRequest).where(CallbackRequest.created_at >= since)
    )
    rows = session.execute(
        select(CallbackRequest.status, CallbackRequest.outcome, func.count())
        .where(CallbackRequest.ended_at >= since)
        .group_by(CallbackRequest.status, CallbackRequest.outcome)
    ).all()
    by_outcome = {f"{status.value}/{outcome or '-'}": count for status, outcome, count in rows}
    return Outcomes(
        submitted=submitted or 0,
        ended=sum(count for _, _, count in rows),
        failed=sum(count for status, _, count in rows if status in FAILURE_STATUSES),
        by_outcome=dict(sorted(by_outcome.items(), key=lambda item: -item[1])),
    )


def no_line() -> dict[str, Any]:
    """Return a phone-line summary with no one waiting."""
    return {"callers_on_line": 0, "callbacks_waiting": 0, "widgets": []}


def phone_line(session: Session) -> dict[str, Any]:
    """Return the phone line's callers still waiting on the phone (on_line) and its
    callbacks waiting (a caller who took one, no longer on the phone), per widget."""
    rows = session.execute(
        select(Widget.key, Widget.name, CallbackRequest.on_line, func.count())
        .join(Widget, Widget.id == CallbackRequest.widget_id)
        .where(
            CallbackRequest.channel == PHONE,
            CallbackRequest.status.in_(PENDING_STATUSES),
        )
        .group_by(Widget.key, Widget.name, CallbackRequest.on_line)
    ).all()
    widgets: dict[str, dict[str, Any]] = {}
    for key, name, on_line, count in rows:
        shown = widgets.setdefault(
            key, {"key": key, "name": name, "callers_on_line": 0, "callbacks_waiting": 0}
        )
        shown["callers_on_line" if on_line else "callbacks_waiting"] += count
    listed = sorted(widgets.values(), key=lambda widget: (widget["name"], widget["key"]))
    return {
        "callers_on_line": sum(widget["callers_on_line"] for widget in listed),
        "callbacks_waiting": sum(widget["callbacks_waiting"] for widget in listed),
        "widgets": listed,
    }


def _waits(session: Session, column: Any, since: datetime) -> list[tuple[datetime, float]]:
    rows = session.execute(
        select(
            CallbackRequest.created_at, CallbackRequest.scheduled_for, CallbackRequest.round, column
        )
        .where(column >= since)
        .order_by(column.desc())
        .limit(ROW_LIMIT)
    ).all()
    return [
        (at, waited_seconds(created, scheduled, rnd, at)) for created, scheduled, rnd, at in rows
    ]


WAIT_NAMES = ("time_to_ring", "time_to_bridge")


def no_waits() -> dict[str, dict[str, Any]]:
    """Return a wait summary with nothing measured."""
    return {name: {"count": 0, "p50_seconds": None, "p95_seconds": None} for name in WAIT_NAMES}


def wait_summary(session: Session, since: datetime) -> dict[str, dict[str, Any]]:
    """Return count, p50 and p95 of time-to-ring and time-to-bridge since `since`."""
    summary = {}
    for name, column in (
        ("time_to_ring", CallbackRequest.agent_ringing_at),
        ("time_to_bridge", CallbackRequest.connected_at),
    ):
        values = [wait for _, wait in _waits(session, column, since)]
        summary[name] = {
            "count": len(values),
            "p50_seconds": percentile(values, 0.5),
            "p95_seconds": percentile(values, 0.95),
        }
    return summary


def _epoch_minute(column: Any, dialect: str) -> Any:
    """Return SQL for the whole minutes from 1970-01-01 UTC to `column` (a UTC timestamp)."""
    if dialect == "postgresql":
        return func.floor(func.extract("epoch", column) / 60)
    # SQLite keeps the UTC time as text, "YYYY-MM-DD HH:MM:SS.ffffff"; strftime('%s')
    # reads it as seconds since 1970, rounding to the millisecond: whole seconds only.
    return cast(func.strftime("%s", func.substr(column, 1, 19)), Integer) // 60


def series(
    session: Session, now: datetime, hours: int, ring_bucket_minutes: int = 10
) -> dict[str, Any]:
    """Return requests per minute and the p50 time-to-ring per bucket for the last `hours`."""
    start = (now - timedelta(hours=hours)).replace(second=0, microsecond=0)
    # Counted in the database: the answer is one row a minute, however many came.
    minute = _epoch_minute(CallbackRequest.created_at, session.get_bind().dialect.name)
    counted = session.execute(
        select(minute, func.count()).where(CallbackRequest.created_at >= start).group_by(minute)
    ).all()
    first = int(start.timestamp()) // 60
    per_minute = {int(at) - first: count for at, count in counted}
    minutes = hours * 60 + 1
    buckets: dict[int, list[float]] = {}
    for at, wait in _waits(session, CallbackRequest.agent_ringing_at, start):
        index = int((at - start).total_seconds() // (ring_bucket_minutes * 60))
        buckets.setdefault(index, []).append(wait)
    return {
        "start": start.isoformat(),
        "requests_per_minute": [per_minute.get(i, 0) for i in range(minutes)],
        "ring_bucket_minutes": ring_bucket_minutes,
        "time_to_ring_p50": [
            percentile(buckets.get(i, []), 0.5)
            for i in range(math.ceil(minutes / ring_bucket_minutes))
        ],
    }
