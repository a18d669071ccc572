"""The admin API: widgets, agents and a masked view of recent requests."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request
from pydantic import BaseModel, ValidationError
from sqlalchemy import select

from callback import db
from callback.agents.roster import make_available, pause, remove
from callback.errors import Invalid, Malformed, NotFound
from callback.models import Agent, CallbackRequest, Widget, iso
from callback.models.widget import DEFAULT_ALLOWED_NUMBER_TYPES
from callback.phones.masking import mask
from callback.schemas import answers as bodies
from callback.schemas.admin import (
    AgentCreate,
    AgentUpdate,
    WidgetCreate,
    WidgetUpdate,
    first_refusal,
)
from callback.security.admin_auth import require_admin

bp = Blueprint("admin_api", __name__, url_prefix="/api/v1/admin")
bp.before_request(require_admin(lambda: None))


def widget_json(widget: Widget) -> dict[str, Any]:
    return bodies.shown(bodies.Widget, widget)


def agent_json(agent: Agent) -> dict[str, Any]:
    return bodies.shown(bodies.Agent, agent)


def _payload(model: type[BaseModel]) -> dict[str, Any]:
    """Return the fields the JSON body gave, checked by `model`, or refuse it."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise Malformed("malformed_json", "The request body must be a JSON object.")
    try:
        return model.model_validate(body).model_dump(mode="json", exclude_unset=True)
    except ValidationError as exc:
        field, text = first_refusal(model, body, exc)
        raise Invalid("invalid_field", f"{field}: {text}", field) from None


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
    fields = _payload(WidgetCreate)
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
    for name, value in _payload(WidgetUpdate).items():
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
    agent = Agent(**_payload(AgentCreate))
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
    changes = _payload(AgentUpdate)
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
