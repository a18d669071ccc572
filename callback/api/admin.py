"""The admin API: widgets, agents and a masked view of recent requests.

Callers (callback.accounts.access): an ADMIN_TOKENS token or an owner's API key may do
everything; a manager's key sees their widgets, the agents of those widgets' teams and
their requests, and may not create or delete widgets or move anything to a team that
is not theirs; an agent's key may only read and set its own agent's availability.
Objects out of a caller's scope answer 404, as if absent; operations its role may not
do answer 403. Every change is audited with the caller as actor.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request
from pydantic import BaseModel
from sqlalchemy import select

from callback import db
from callback.accounts import audit, roles
from callback.accounts.access import caller, only_for, require_caller
from callback.accounts.roles import AGENT, MANAGER, OWNER
from callback.agents.roster import make_available, pause, remove
from callback.errors import Malformed, NotAllowed, NotFound
from callback.integrations.alerts import chat_url_for_audit, checked_chat_url
from callback.integrations.endpoints import check_number_sharing, stop_sharing_if_notice_changed
from callback.models import Agent, CallbackRequest, Widget, iso
from callback.phones.masking import mask
from callback.schemas import answers as bodies
from callback.schemas.admin import (
    AgentCreate,
    AgentUpdate,
    WidgetCreate,
    WidgetUpdate,
    checked_fields,
)
from callback.setup import making

bp = Blueprint("admin_api", __name__, url_prefix="/api/v1/admin")
bp.before_request(require_caller(lambda: None))
STAFF = (OWNER, MANAGER)


def widget_json(widget: Widget) -> dict[str, Any]:
    return bodies.shown(bodies.Widget, widget)


def agent_json(agent: Agent) -> dict[str, Any]:
    return bodies.shown(bodies.Agent, agent)


def checked_body(model: type[BaseModel]) -> dict[str, Any]:
    """Return the fields the JSON body gave, checked by `model`, or refuse it."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise Malformed("malformed_json", "The request body must be a JSON object.")
    return checked_fields(model, body)


def managed_widget(key: str) -> Widget:
    """The widget `key`, if the caller may manage it; else 404 as for no such widget."""
    who = only_for(*STAFF)
    widget = db.session().scalars(select(Widget).filter_by(key=key)).one_or_none()
    if widget is None or not (who.account is None or roles.may_manage(who.account, widget)):
        raise NotFound("unknown_widget", "No widget has that key.")
    return widget


def _agent(agent_id: int) -> Agent:
    """The agent `agent_id`, if the caller may see it; else 404 as for no such agent."""
    who = caller()
    agent = db.session().get(Agent, agent_id)
    if who.account is None or agent is None:
        visible = agent is not None
    elif who.role == AGENT:
        visible = who.account.agent_id == agent.id
    else:
        visible = roles.may_manage_agent(who.account, agent)
    if agent is None or not visible:
        raise NotFound("unknown_agent", "No agent has that id.")
    return agent


def _check_team(team: str | None) -> None:
    """A manager may put widgets and agents only in their own widgets' teams."""
    who = caller()
    if team is None or who.sees_everything or who.account is None:
        return
    if team not in roles.teams_of(who.account):
        raise NotAllowed("forbidden_team", "team: this API key may only use its own teams.")


def _checked_alerts(fields: dict[str, Any]) -> dict[str, Any]:
    """Refuse a chat URL a webhook could not be sent to (the schema checks the rest)."""
    if fields.get("alert_chat_url"):
        fields["alert_chat_url"] = checked_chat_url(fields["alert_chat_url"])
    return fields


@bp.post("/widgets")
def create_widget() -> tuple[Response, int]:
    who = only_for(OWNER)
    fields = checked_body(WidgetCreate)
    from_number = current_app.config.get("TWILIO_FROM_NUMBER")
    widget = making.create_widget(db.session(), fields, who.actor, from_number)
    db.session().commit()
    return jsonify(widget_json(widget)), 201


@bp.get("/widgets")
def list_widgets() -> Response:
    who = only_for(*STAFF)
    query = select(Widget).order_by(Widget.id)
    if who.account is not None:
        query = query.where(roles.widget_filter(who.account))
    widgets = db.session().scalars(query).all()
    return jsonify(widgets=[widget_json(w) for w in widgets])


@bp.get("/widgets/<key>")
def get_widget(key: str) -> Response:
    return jsonify(widget_json(managed_widget(key)))


@bp.patch("/widgets/<key>")
def update_widget(key: str) -> Response:
    widget = managed_widget(key)
    fields = _checked_alerts(checked_body(WidgetUpdate))
    _check_team(fields.get("team"))
    before = widget_json(widget)
    if "webhook_number_consent_version" in fields:
        # Passing visitors' numbers on is the owner's decision, as in the console.
        if fields["webhook_number_consent_version"] != widget.webhook_number_consent_version:
            only_for(OWNER)
        check_number_sharing({**before, **fields})
    for name, value in fields.items():
        setattr(widget, name, value)
    if "webhook_number_consent_version" not in fields:
        stop_sharing_if_notice_changed(widget, before)
    db.session().flush()
    changed = audit.changes(before, widget_json(widget))
    if "alert_chat_url" in changed:
        changed["alert_chat_url"] = [chat_url_for_audit(url) for url in changed["alert_chat_url"]]
    if changed:
        audit.record(db.session(), caller().actor, "widget_updated", widget=widget.key,
                     changes=changed)  # fmt: skip
    db.session().commit()
    return jsonify(widget_json(widget))


@bp.delete("/widgets/<key>")
def delete_widget(key: str) -> tuple[str, int]:
    who = only_for(OWNER)
    widget = managed_widget(key)
    audit.record(db.session(), who.actor, "widget_deleted", widget=widget.key)
    db.session().delete(widget)
    db.session().commit()
    return "", 204


@bp.post("/agents")
def create_agent() -> tuple[Response, int]:
    who = only_for(*STAFF)
    fields = checked_body(AgentCreate)
    _check_team(fields.get("team") or "default")
    agent = making.add_agent(db.session(), fields, who.actor)
    db.session().commit()
    return jsonify(agent_json(agent)), 201


@bp.get("/agents")
def list_agents() -> Response:
    who = only_for(*STAFF)
    query = select(Agent).order_by(Agent.team, Agent.priority)
    if who.account is not None:
        query = query.where(roles.agent_filter(who.account))
    agents = db.session().scalars(query).all()
    return jsonify(agents=[agent_json(a) for a in agents])


@bp.get("/agents/<int:agent_id>")
def get_agent(agent_id: int) -> Response:
    return jsonify(agent_json(_agent(agent_id)))


@bp.patch("/agents/<int:agent_id>")
def update_agent(agent_id: int) -> Response:
    agent = _agent(agent_id)
    who = caller()
    changes = checked_body(AgentUpdate)
    available = changes.pop("available", None)
    if who.role == AGENT and changes:
        raise NotAllowed("forbidden", "An agent's API key may change only `available`.")
    _check_team(changes.get("team"))
    if available is True:
        make_available(db.session(), agent, who.actor)
    elif available is False:
        pause(db.session(), agent, "paused through the admin API")
    before = agent_json(agent)
    for name, value in changes.items():
        setattr(agent, name, value)
    db.session().flush()
    changed = audit.changes(before, agent_json(agent))
    changed.pop("available", None)  # make_available and pause audit that themselves
    if changed:
        # Field names only: an agent's phone is an employee's, and the log outlives it.
        audit.record(db.session(), who.actor, "agent_updated", agent_id=agent.id,
                     fields=sorted(changed))  # fmt: skip
    db.session().commit()
    return jsonify(agent_json(agent))


@bp.delete("/agents/<int:agent_id>")
def delete_agent(agent_id: int) -> tuple[Response | str, int]:
    """Delete an agent; one whose calls may still be reported is deactivated instead."""
    who = only_for(*STAFF)
    agent = _agent(agent_id)
    deleted = remove(db.session(), agent, who.actor)
    db.session().commit()
    if deleted:
        return "", 204
    return jsonify(agent=agent_json(agent), deactivated=True), 200


@bp.get("/callbacks")
def list_callbacks() -> Response:
    # Clamped both ways: a negative LIMIT means "no limit" to SQLite, a huge one overflows.
    who = only_for(*STAFF)
    limit = max(1, min(request.args.get("limit", 100, type=int) or 100, 500))
    query = select(CallbackRequest).order_by(CallbackRequest.created_at.desc()).limit(limit)
    if who.account is not None:
        query = query.where(roles.request_filter(who.account))
    rows = db.session().scalars(query)
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
