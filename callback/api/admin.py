"""The admin API: widgets, agents and a masked view of recent requests."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request
from sqlalchemy import select

from callback import db
from callback.agents.roster import make_available, pause, remove
from callback.api import validation as v
from callback.errors import NotFound
from callback.lifecycle.visitor import iso
from callback.models import Agent, CallbackRequest, Widget
from callback.models.widget import DEFAULT_ALLOWED_NUMBER_TYPES
from callback.phones.policy import mask
from callback.schedule.hours import validate_hours
from callback.security.admin_auth import require_admin
from callback.texts import LANGUAGES
from callback.widgets import theme

bp = Blueprint("admin_api", __name__, url_prefix="/api/v1/admin")
bp.before_request(require_admin(lambda: None))

WIDGET_FIELDS: dict[str, v.Validator] = {
    "name": v.text(200),
    "allowed_origins": v.list_of(v.origin),
    "default_region": v.region,
    "allowed_countries": v.list_of(v.region, 250),
    "allowed_number_types": v.list_of(v.number_type),
    "caller_id": v.optional(v.e164),
    "language": v.one_of(*LANGUAGES),
    "timezone": v.timezone,
    "team": v.text(64),
    "ring_strategy": v.one_of(*v.RING_STRATEGIES),
    "retry_attempts": v.integer(1, 10),
    "retry_intervals": v.list_of(v.integer(0, 86400), 9),
    "privacy_policy_url": v.optional(v.url),
    "consent_version": v.text(40),
    "privacy_notice": v.optional(v.text(1000)),
    "daily_call_cap": v.integer(0, 100_000),
    "theme_color": v.optional(theme.colour),
    "theme_position": v.optional(theme.position),
    "theme_texts": v.optional(theme.texts),
    "business_hours": v.optional(validate_hours),
    "holidays_region": v.optional(v.holidays_region),
    "closed_dates": v.list_of(v.iso_date, 366),
    "max_wait_minutes": v.integer(1, 7 * 24 * 60),
    "slot_minutes": v.one_of_ints(5, 10, 15, 20, 30, 60),
}
AGENT_FIELDS: dict[str, v.Validator] = {
    "name": v.text(200),
    "phone": v.e164,
    "team": v.text(64),
    "priority": v.integer(0, 10000),
    "active": v.boolean,
    "available": v.boolean,
    "languages": v.list_of(v.one_of(*LANGUAGES)),
    "hours": v.optional(validate_hours),
    "timezone": v.timezone,
    "missed_in_row": v.integer(0, 0),  # only to clear the count; it is counted by calls
}


def widget_json(widget: Widget) -> dict[str, Any]:
    fields = {name: getattr(widget, name) for name in WIDGET_FIELDS}
    return {"key": widget.key, **fields, "created_at": iso(widget.created_at)}


def agent_json(agent: Agent) -> dict[str, Any]:
    fields = {name: getattr(agent, name) for name in AGENT_FIELDS}
    return {
        "id": agent.id,
        **fields,
        "paused_reason": agent.paused_reason,
        "created_at": iso(agent.created_at),
    }


def _widget(key: str) -> Widget:
    widget = db.session().scalars(select(Widget).filter_by(key=key)).one_or_none()
    if widget is None:
        raise NotFound("unknown_widget", "No widget has that key.")
    return widget


def _agent(agent_id: int) -> Agent:
    agent = db.session().get(Agent, agent_id)
    if agent is None:
        raise NotFound("unknown_agent", "No agent has that id.")
    return agent


@bp.post("/widgets")
def create_widget() -> tuple[Response, int]:
    fields = v.clean(request.get_json(silent=True), WIDGET_FIELDS, ("name", "default_region"))
    fields.setdefault("allowed_countries", [fields["default_region"]])
    fields.setdefault("allowed_number_types", list(DEFAULT_ALLOWED_NUMBER_TYPES))
    widget = Widget(**fields)
    db.session().add(widget)
    db.session().commit()
    return jsonify(widget_json(widget)), 201


@bp.get("/widgets")
def list_widgets() -> Response:
    widgets = db.session().scalars(select(Widget).order_by(Widget.id)).all()
    return jsonify(widgets=[widget_json(w) for w in widgets])


@bp.get("/widgets/<key>")
def get_widget(key: str) -> Response:
    return jsonify(widget_json(_widget(key)))


@bp.patch("/widgets/<key>")
def update_widget(key: str) -> Response:
    widget = _widget(key)
    for name, value in v.clean(request.get_json(silent=True), WIDGET_FIELDS, ()).items():
        setattr(widget, name, value)
    db.session().commit()
    return jsonify(widget_json(widget))


@bp.delete("/widgets/<key>")
def delete_widget(key: str) -> tuple[str, int]:
    db.session().delete(_widget(key))
    db.session().commit()
    return "", 204


@bp.post("/agents")
def create_agent() -> tuple[Response, int]:
    agent = Agent(**v.clean(request.get_json(silent=True), AGENT_FIELDS, ("name", "phone")))
    db.session().add(agent)
    db.session().commit()
    return jsonify(agent_json(agent)), 201


@bp.get("/agents")
def list_agents() -> Response:
    agents = db.session().scalars(select(Agent).order_by(Agent.team, Agent.priority)).all()
    return jsonify(agents=[agent_json(a) for a in agents])


@bp.get("/agents/<int:agent_id>")
def get_agent(agent_id: int) -> Response:
    return jsonify(agent_json(_agent(agent_id)))


@bp.patch("/agents/<int:agent_id>")
def update_agent(agent_id: int) -> Response:
    agent = _agent(agent_id)
    changes = v.clean(request.get_json(silent=True), AGENT_FIELDS, ())
    available = changes.pop("available", None)
    if available is True:
        make_available(db.session(), agent, "admin_api")
    elif available is False:
        pause(db.session(), agent, "paused through the admin API")
    for name, value in changes.items():
        setattr(agent, name, value)
    db.session().commit()
    return jsonify(agent_json(agent))


@bp.delete("/agents/<int:agent_id>")
def delete_agent(agent_id: int) -> tuple[Response | str, int]:
    """Delete an agent; one whose calls may still be reported is deactivated instead."""
    agent = _agent(agent_id)
    deleted = remove(db.session(), agent, "admin_api")
    db.session().commit()
    if deleted:
        return "", 204
    return jsonify(agent=agent_json(agent), deactivated=True), 200


@bp.get("/callbacks")
def list_callbacks() -> Response:
    # Clamped both ways: a negative LIMIT means "no limit" to SQLite, a huge one overflows.
    limit = max(1, min(request.args.get("limit", 100, type=int) or 100, 500))
    rows = db.session().scalars(
        select(CallbackRequest).order_by(CallbackRequest.created_at.desc()).limit(limit)
    )
    return jsonify(callbacks=[_request_json(r) for r in rows])


def _request_json(row: CallbackRequest) -> dict[str, Any]:
    return {
        "id": str(row.id),
        "widget": row.widget.key,
        "phone": mask(row.phone),
        "country": row.country,
        "number_type": row.number_type,
        "status": row.status.value,
        "outcome": row.outcome,
        "page_url": row.page_url,
        "created_at": iso(row.created_at),
        "scheduled_for": iso(row.scheduled_for),
        "ended_at": iso(row.ended_at),
        "erased": row.erased_at is not None,
    }
