"""People: the owner's page of every account; invite, change role and widgets, disable, remove.

Owners only. The rules (the last owner stays, an agent's account is one agent's) are
the accounts domain's; this page turns its refusals into form errors. Every action is
audited there, with the signed-in owner as actor.
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from sqlalchemy import select
from werkzeug.wrappers import Response

from callback import db
from callback.accounts import api_keys, audit, invitations, management, personal
from callback.accounts.roles import AGENT, OWNER, ROLES
from callback.console import links
from callback.console.access import account, for_roles
from callback.console.blueprint import bp
from callback.console.params import whole_id
from callback.errors import Refused
from callback.models import Account, Agent, ApiKey, Widget
from callback.texts import N_

# The domain's refusal codes, worded for the page.
REFUSALS = {
    "invalid_email": N_("console.accounts.refused.invalid_email"),
    "invalid_name": N_("console.accounts.refused.invalid_name"),
    "name_control": N_("console.accounts.refused.name_control"),
    "invalid_role": N_("console.accounts.refused.invalid_role"),
    "invalid_widgets": N_("console.accounts.refused.invalid_widgets"),
    "agent_required": N_("console.accounts.refused.agent_required"),
    "invalid_agent": N_("console.accounts.refused.invalid_agent"),
    "agent_taken": N_("console.accounts.refused.agent_taken"),
    "account_exists": N_("console.accounts.refused.account_exists"),
    "last_owner": N_("console.accounts.refused.last_owner"),
}
STATES = {
    "invited": N_("console.accounts.state.invited"),
    "active": N_("console.accounts.state.active"),
    "disabled": N_("console.accounts.state.disabled"),
}
DONE = {
    "saved": N_("console.accounts.saved"),
    "enabled": N_("console.accounts.enabled"),
    "disabled": N_("console.accounts.disabled"),
    "removed": N_("console.accounts.removed"),
    "key_revoked": N_("console.accounts.key_revoked"),
    "second_factor_reset": N_("console.accounts.second_factor_reset"),
}


def _refusal(refused: Refused) -> dict[str, str]:
    """{field: text} for the form, in the page's language."""
    text = gettext(REFUSALS[refused.code]) if refused.code in REFUSALS else refused.message
    return {refused.field or "form": text}


def _choices() -> dict[str, Any]:
    session = db.session()
    return {
        "roles": ROLES,
        "all_widgets": session.scalars(select(Widget).order_by(Widget.name)).all(),
        "all_agents": session.scalars(select(Agent).order_by(Agent.name)).all(),
    }


def _chosen() -> tuple[str, list[Widget], Agent | None]:
    """The role, widgets and agent the form asks for (widgets dropped for an owner)."""
    session = db.session()
    role = request.form.get("role", "")
    ids = [i for i in map(whole_id, request.form.getlist("widgets")) if i is not None]
    widgets = (
        list(session.scalars(select(Widget).where(Widget.id.in_(ids)).order_by(Widget.id)))
        if role != OWNER
        else []
    )
    agent_id = whole_id(request.form.get("agent"))
    agent = session.get(Agent, agent_id) if role == AGENT and agent_id is not None else None
    return role, widgets, agent


def _person(account_id: int) -> Account:
    found = db.session().get(Account, account_id)
    if found is None:
        abort(404)
    return found


@bp.get("/accounts")
@for_roles(OWNER)
def accounts() -> str:
    session = db.session()
    people = session.scalars(select(Account).order_by(Account.name, Account.id)).all()
    keys, passkeys = management.counts(session)
    return render_template(
        "console/accounts/list.html",
        people=people,
        keys=keys,
        passkeys=passkeys,
        state_of=management.state_of,
        states=STATES,
    )


@bp.get("/accounts/invite")
@for_roles(OWNER)
def invite_form() -> str:
    return render_template(
        "console/accounts/invite.html", form={"role": "manager"}, errors={}, **_choices()
    )


@bp.post("/accounts/invite")
@for_roles(OWNER)
def invite() -> tuple[str, int, dict[str, str]]:
    session = db.session()
    role, widgets, agent = _chosen()
    try:
        invited, token = invitations.invite(
            session,
            email=request.form.get("email", ""),
            name=request.form.get("name", ""),
            role=role,
            widgets=widgets,
            agent=agent,
            actor=audit.actor_of(account()),
        )
    except Refused as refused:
        session.rollback()
        form = {**request.form, "widgets": [w.id for w in widgets]}
        page = render_template(
            "console/accounts/invite.html", form=form, errors=_refusal(refused), **_choices()
        )
        return page, 400, {}
    session.commit()
    return _link_page(invited, token)


def _link_page(person: Account, token: str) -> tuple[str, int, dict[str, str]]:
    """Show the invitation link, this once; only its hash is stored."""
    link = links.invitation_link(token)
    page = render_template("console/accounts/invited.html", person=person, link=link)
    # Neither a browser's history nor a proxy may keep the page that shows it.
    return page, 200, {"Cache-Control": "no-store"}


def _edit_page(person: Account, errors: dict[str, str], status: int = 200) -> tuple[str, int]:
    form = {
        "role": request.form.get("role", person.role) if errors else person.role,
        "widgets": [w.id for w in person.widgets],
        "agent": str(person.agent_id or ""),
    }
    if errors and request.form:
        _role, widgets, agent = _chosen()
        form.update(widgets=[w.id for w in widgets], agent=str(agent.id if agent else ""))
    return render_template(
        "console/accounts/edit.html",
        person=person,
        form=form,
        errors=errors,
        state=management.state_of(person),
        states=STATES,
        keys=api_keys.keys_of(db.session(), person),
        is_me=person.id == account().id,
        **_choices(),
    ), status


@bp.get("/accounts/<int:account_id>")
@for_roles(OWNER)
def edit_account(account_id: int) -> tuple[str, int]:
    return _edit_page(_person(account_id), {})


@bp.post("/accounts/<int:account_id>")
@for_roles(OWNER)
def save_account(account_id: int) -> Response | tuple[str, int]:
    person = _person(account_id)
    session = db.session()
    role, widgets, agent = _chosen()
    try:
        management.change_role(session, person, role=role, widgets=widgets, agent=agent,
                               actor=audit.actor_of(account()))  # fmt: skip
    except Refused as refused:
        session.rollback()
        return _edit_page(_person(account_id), _refusal(refused), 400)
    session.commit()
    flash(gettext(DONE["saved"]), "success")
    return redirect(url_for("console.edit_account", account_id=account_id))


@bp.post("/accounts/<int:account_id>/active")
@for_roles(OWNER)
def set_active(account_id: int) -> Response | tuple[str, int]:
    person = _person(account_id)
    session = db.session()
    active = request.form.get("active") == "1"
    try:
        management.set_active(session, person, active, audit.actor_of(account()))
    except Refused as refused:
        session.rollback()
        return _edit_page(_person(account_id), _refusal(refused), 400)
    session.commit()
    flash(gettext(DONE["enabled" if active else "disabled"]), "success")
    return redirect(url_for("console.edit_account", account_id=account_id))


@bp.post("/accounts/<int:account_id>/second-factor/reset")
@for_roles(OWNER)
def reset_second_factor(account_id: int) -> Response:
    """Turn off someone's authenticator app: a lost phone, or SECRET_KEY rotated."""
    person = _person(account_id)
    management.reset_second_factor(db.session(), person, audit.actor_of(account()))
    db.session().commit()
    flash(gettext(DONE["second_factor_reset"]), "success")
    return redirect(url_for("console.edit_account", account_id=account_id))


@bp.post("/accounts/<int:account_id>/remove")
@for_roles(OWNER)
def remove_account(account_id: int) -> Response | tuple[str, int]:
    person = _person(account_id)
    session = db.session()
    if request.form.get("confirm_email", "").strip().lower() != person.email:
        errors = {"confirm_email": gettext(N_("console.accounts.confirm_remove_error"))}
        return _edit_page(person, errors, 400)
    try:
        personal.delete(session, person, audit.actor_of(account()))
    except Refused as refused:
        session.rollback()
        return _edit_page(_person(account_id), _refusal(refused), 400)
    session.commit()
    flash(gettext(DONE["removed"]), "success")
    return redirect(url_for("console.accounts"))


@bp.post("/accounts/<int:account_id>/keys/<int:key_id>/revoke")
@for_roles(OWNER)
def revoke_account_key(account_id: int, key_id: int) -> Response:
    key = db.session().get(ApiKey, key_id)
    if key is None or key.account_id != account_id:
        abort(404)
    api_keys.revoke(db.session(), key, audit.actor_of(account()))
    db.session().commit()
    flash(gettext(DONE["key_revoked"]), "success")
    return redirect(url_for("console.edit_account", account_id=account_id))


@bp.post("/accounts/<int:account_id>/invite-again")
@for_roles(OWNER)
def invite_again(account_id: int) -> Response | tuple[str, int, dict[str, str]]:
    """A fresh link for someone who has not joined yet (the old one stops working)."""
    person = _person(account_id)
    if management.state_of(person) != "invited":
        abort(404)
    session = db.session()
    agent = session.get(Agent, person.agent_id) if person.agent_id is not None else None
    try:
        _same, token = invitations.invite(
            session, email=person.email, name=person.name, role=person.role,
            widgets=person.widgets, agent=agent, actor=audit.actor_of(account()),
        )  # fmt: skip
    except Refused as refused:  # e.g. the agent row behind an agent's account was deleted
        session.rollback()
        page, status = _edit_page(_person(account_id), _refusal(refused), 400)
        return page, status, {}
    session.commit()
    return _link_page(person, token)
