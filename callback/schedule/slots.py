"""Bookable callback times: the team's open hours cut into slots, minus full slots.

A slot can take as many scheduled callbacks as the team has active agents.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from callback.models import Agent, CallbackRequest, RequestStatus, Widget
from callback.schedule.hours import widget_schedule

SLOT_DAYS = 7
MAX_SLOTS = 300


@dataclass(frozen=True)
class Slot:
    start: datetime
    end: datetime
    free: int


def _aligned(instant: datetime, minutes: int) -> datetime:
    """Round `instant` up to the next whole slot (slots start on the hour and every N min)."""
    floor = instant.replace(second=0, microsecond=0)
    floor -= timedelta(minutes=floor.minute % minutes)
    return floor if floor == instant else floor + timedelta(minutes=minutes)


def _starts(widget: Widget, now: datetime) -> list[tuple[datetime, datetime]]:
    length = timedelta(minutes=widget.slot_minutes)
    first = _aligned(now + length, widget.slot_minutes)  # at least one slot ahead
    schedule = widget_schedule(widget)
    if schedule.hours is None:
        periods = [(first, first + timedelta(days=1))]  # always open: the next day
    else:
        periods = list(schedule.periods(first, days=SLOT_DAYS))
    starts: list[tuple[datetime, datetime]] = []
    for begin, end in periods:
        slot = _aligned(begin, widget.slot_minutes)
        while slot + length <= end and len(starts) < MAX_SLOTS:
            starts.append((slot, slot + length))
            slot += length
    return starts


def _capacity(session: Session, widget: Widget) -> int:
    count = session.scalar(
        select(func.count()).select_from(Agent).where(Agent.team == widget.team, Agent.active)
    )
    return int(count or 0)


def _booked(session: Session, widget: Widget, since: datetime, until: datetime) -> list[datetime]:
    rows = session.scalars(
        select(CallbackRequest.scheduled_for)
        .join(Widget, CallbackRequest.widget_id == Widget.id)
        .where(
            Widget.team == widget.team,
            CallbackRequest.status == RequestStatus.SCHEDULED,
            CallbackRequest.scheduled_for >= since,
            CallbackRequest.scheduled_for < until,
        )
    )
    return [row for row in rows if row is not None]


def bookable_slots(session: Session, widget: Widget, now: datetime) -> list[Slot]:
    """Return the slots of the next days that can still take a callback."""
    starts = _starts(widget, now)
    if not starts:
        return []
    capacity = _capacity(session, widget)
    booked = _booked(session, widget, starts[0][0], starts[-1][1])
    slots = []
    for begin, end in starts:
        free = capacity - sum(1 for when in booked if begin <= when < end)
        if free > 0:
            slots.append(Slot(begin, end, free))
    return slots


def slot_taking(session: Session, widget: Widget, when: datetime, now: datetime) -> Slot | None:
    """Return the bookable slot that holds instant `when`, or None."""
    return next(
        (slot for slot in bookable_slots(session, widget, now) if slot.start <= when < slot.end),
        None,
    )
