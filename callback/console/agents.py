"""Agents: the ones a manager may see, adding and editing one, pausing, removing, inviting.

An agent outside the account's reach answers 404, as if it did not exist. Pausing and
making available also serve an agent's own switch (my_calls.py): for an agent account
the only agent in reach is their own.
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from sqlalchemy import select
from werkzeug.wrappers import Response

from callback import db
from callback.accounts import audit, invitations, roles
from callback.agents import roster, routing
from callback.console import agent_form, links, my_calls
from callback.console.access import account, for_roles
from callback.console.blueprint import bp
from callback.errors import Refused
from callback.models import Account, Agent, Widget
from callback.phones.masking import mask
from callback.schemas.admin import AgentCreate, AgentUpdate
from callback.setup import making
from callback.texts import LANGUAGES, N_

MAX_REASON = 200
DAYS = {
    "mon": N_("console.agents.day.mon"),
    "tue": N_("console.agents.day.tue"),
    "wed": N_("console.agents.day.wed"),
    "thu": N_("console.agents.day.thu"),
    "fri": N_("console.agents.day.fri"),
    "sat": N_("console.agents.day.sat"),
    "sun": N_("console.agents.day.sun"),
}
INVITE_REFUSALS = {
    "invalid_email": N_("console.agents.invite_invalid_email"),
    "email_taken": N_("console.agents.invite_email_taken"),
    "account_exists": N_("console.agents.invite_joined"),
    "agent_taken": N_("console.agents.invite_agent_taken"),
}


@bp.get("/agents")
@for_roles("owner", "manager")
def agents() -> str:
    mine = account()
    session = db.session()
    rows = session.scalars(
        select(Agent)
        .where(roles.agent_filter(mine))
        .order_by(Agent.team, Agent.priority, Agent.name)
    ).all()
    busy = routing.agents_on_a_call(session, [agent.id for agent in rows])
    return render_template(
        "console/agents/list.html", agents=rows, busy=busy, mask=mask, may_add=bool(_teams(mine))
    )


@bp.route("/agents/new", methods=["GET", "POST"])
@for_roles("owner", "manager")
def new_agent() -> Response | tuple[str, int]:
    mine = account()
    if request.method == "GET":
        return _form_page(None, agent_form.blank())
    values = agent_form.typed(request.form)
    fields, errors = agent_form.check(AgentCreate, agent_form.payload(values, creating=True))
    errors = errors or _team_refusal(mine, fields.get("team", "default"))
    if errors:
        return _form_page(None, values, errors, 400)
    session = db.session()
    agent = making.add_agent(session, fields, audit.actor_of(mine), team=fields.get("team"))
    session.commit()
    flash(gettext(N_("console.agents.created")).format(name=agent.name), "success")
    return redirect(url_for("console.agent", agent_id=agent.id))


@bp.route("/agents/<int:agent_id>", methods=["GET", "POST"])
@for_roles("owner", "manager")
def agent(agent_id: int) -> Response | tuple[str, int]:
    mine, found = account(), _agent_in_reach(agent_id)
    if request.method == "GET":
        return _form_page(found, agent_form.of_agent(found))
    values = agent_form.typed(request.form)
    fields, errors = agent_form.check(AgentUpdate, agent_form.payload(values, creating=False))
    errors = errors or _team_refusal(mine, fields.get("team", found.team))
    if errors:
        return _form_page(found, values, errors, 400)
    changed = audit.changes({name: getattr(found, name) for name in fields}, fields)
    for name, value in fields.items():
        setattr(found, name, value)
    if changed:
        if "phone" in changed:  # the agent's own number, yet an audit log shows only its end
            changed["phone"] = [mask(number) for number in changed["phone"]]
        audit.record(db.session(), audit.actor_of(mine), "agent_updated", agent_id=found.id,
                     changes=changed)  # fmt: skip
    db.session().commit()
    flash(gettext(N_("console.agents.saved")), "success")
    return redirect(url_for("console.agent", agent_id=found.id))


@bp.post("/agents/<int:agent_id>/pause")
@for_roles("owner", "manager", "agent")
def pause_agent(agent_id: int) -> Response | tuple[str, int]:
    """Take the agent out of rotation: managers say why; an agent going away may."""
    mine, found = account(), _agent_in_reach(agent_id)
    reason = request.form.get("reason", "").strip()
    if len(reason) > MAX_REASON or (not reason and mine.role != roles.AGENT):
        error = gettext(N_("console.agents.reason_invalid"))
        if mine.role == roles.AGENT:
            return my_calls.page(mine, pause_error=error, reason=reason, status=400)
        return _form_page(found, agent_form.of_agent(found), pause_error=error, reason=reason,
                          status=400)  # fmt: skip
    try:
        roster.pause(db.session(), found, reason, actor=audit.actor_of(mine))
    except Refused:  # control characters: the only refusal of a reason the form lets through
        db.session().rollback()
        error = gettext(N_("console.agents.reason_control"))
        if mine.role == roles.AGENT:
            return my_calls.page(mine, pause_error=error, reason=reason, status=400)
        return _form_page(found, agent_form.of_agent(found), pause_error=error, reason=reason,
                          status=400)  # fmt: skip
    db.session().commit()
    flash(gettext(N_("console.agents.paused")).format(name=found.name), "success")
    return _back(mine, found)


@bp.post("/agents/<int:agent_id>/available")
@for_roles("owner", "manager", "agent")
def make_agent_available(agent_id: int) -> Response:
    mine, found = account(), _agent_in_reach(agent_id)
    roster.make_available(db.session(), found, audit.actor_of(mine))
    db.session().commit()
    flash(gettext(N_("console.agents.made_available")).format(name=found.name), "success")
    return _back(mine, found)


@bp.post("/agents/<int:agent_id>/remove")
@for_roles("owner", "manager")
def remove_agent(agent_id: int) -> Response:
    """Delete the agent, or deactivate one whose recent calls may still be reported."""
    mine, found = account(), _agent_in_reach(agent_id)
    name = found.name
    deleted = roster.remove(db.session(), found, audit.actor_of(mine))
    db.session().commit()
    said = N_("console.agents.deleted") if deleted else N_("console.agents.deactivated")
    flash(gettext(said).format(name=name), "success")
    return redirect(url_for("console.agents"))


@bp.post("/agents/<int:agent_id>/reactivate")
@for_roles("owner", "manager")
def reactivate_agent(agent_id: int) -> Response:
    """Bring back an agent that was deactivated (removed while their calls mattered)."""
    mine, found = account(), _agent_in_reach(agent_id)
    roster.reactivate(db.session(), found, audit.actor_of(mine))
    db.session().commit()
    flash(gettext(N_("console.agents.reactivated")).format(name=found.name), "success")
    return _back(mine, found)


@bp.post("/agents/<int:agent_id>/invite")
@for_roles("owner", "manager")
def invite_agent(agent_id: int) -> tuple[str, int, dict[str, str]]:
    """Invite the person behind the agent; show their one-time link on this answer only."""
    mine, found = account(), _agent_in_reach(agent_id)
    session = db.session()
    email = request.form.get("email", "").strip()
    widgets = session.scalars(
        select(Widget)
        .where(roles.widget_filter(mine), Widget.team == found.team)
        .order_by(Widget.name)
    ).all()
    try:
        _refuse_someone_elses(session, email, found)
        _invited, token = invitations.invite(
            session, email=email, name=found.name, role=roles.AGENT, widgets=widgets,
            agent=found, actor=audit.actor_of(mine),
        )  # fmt: skip
    except Refused as exc:
        session.rollback()
        said = INVITE_REFUSALS.get(exc.code)
        page, status = _form_page(found, agent_form.of_agent(found), email=email, status=400,
                                  invite_error=gettext(said) if said else exc.message)  # fmt: skip
        return page, status, {}
    session.commit()
    link = links.invitation_link(token)
    page, status = _form_page(found, agent_form.of_agent(found), link=link, email=email)
    return page, status, {"Cache-Control": "no-store"}  # the link is shown once


def _agent_in_reach(agent_id: int) -> Agent:
    """The agent if the signed-in account may act on it; 404 for any other, seen or not."""
    found = (
        db.session()
        .scalars(select(Agent).where(Agent.id == agent_id, roles.agent_filter(account())))
        .one_or_none()
    )
    if found is None:
        abort(404)
    return found


def _teams(mine: Account) -> list[str]:
    """The teams `mine` may put an agent in: a manager's widgets' teams; any for an owner."""
    if roles.is_owner(mine):
        session = db.session()
        known = set(session.scalars(select(Widget.team))) | set(session.scalars(select(Agent.team)))
        return sorted(known | {"default"})
    return sorted(roles.teams_of(mine))


def _team_refusal(mine: Account, team: str) -> dict[str, str]:
    if roles.is_owner(mine) or team in roles.teams_of(mine):
        return {}
    return {"team": gettext(N_("console.agents.team_not_yours"))}


def _refuse_someone_elses(session: Any, email: str, found: Agent) -> None:
    """Refuse an address whose account is not this agent's: an invitation would recast it."""
    try:
        normal = invitations.normal_email(email)
    except Refused:
        return  # invite() refuses it in its own words
    holder = session.scalars(select(Account).filter_by(email=normal)).one_or_none()
    if holder is not None and holder.agent_id != found.id:
        raise Refused("email_taken", "email: another account has that address", "email")


def _back(mine: Account, found: Agent) -> Response:
    if mine.role == roles.AGENT:
        return redirect(url_for("console.home"))
    return redirect(url_for("console.agent", agent_id=found.id))


def _form_page(
    found: Agent | None,
    values: dict[str, Any],
    errors: dict[str, str] | None = None,
    status: int = 200,
    **extra: Any,
) -> tuple[str, int]:
    session = db.session()
    holder = None
    if found is not None:
        holder = session.scalars(select(Account).filter_by(agent_id=found.id)).one_or_none()
    page = render_template(
        "console/agents/form.html",
        agent=found,
        values=values,
        errors=errors or {},
        teams=_teams(account()),
        owner=roles.is_owner(account()),
        languages=LANGUAGES,
        days=DAYS,
        on_call=found is not None and bool(routing.agents_on_a_call(session, [found.id])),
        holder=holder,
        mask=mask,
        **extra,
    )
    return page, status
