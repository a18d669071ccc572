"""When a widget's team can call back: the bookable slots a visitor may pick from."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from callback import db
from callback.models import iso, utcnow
from callback.schedule.hours import widget_schedule
from callback.schedule.slots import bookable_slots
from callback.widgets.cache import load_widget

bp = Blueprint("schedule_api", __name__, url_prefix="/api/v1")


@bp.get("/widgets/<key>/slots")
def list_slots(key: str) -> Response:
    widget = load_widget(key)
    now = utcnow()
    schedule = widget_schedule(widget)
    slots = bookable_slots(db.session(), widget, now)
    return jsonify(
        timezone=widget.timezone,
        open_now=schedule.is_open(now),
        next_opening=iso(schedule.next_opening(now)),
        slot_minutes=widget.slot_minutes,
        slots=[{"start": iso(s.start), "end": iso(s.end), "free": s.free} for s in slots],
    )
