"""The audit log: who did what, when; newest first, 50 a page, filtered by action and actor.

Owners read every entry; managers the entries about their widgets, their requests and
their teams' agents, and their own actions (callback.accounts.roles.audit_filter).
Entries name people by account id; a removed account's entries stay, shown by number.
No entry holds a visitor's number, so none can be shown.
"""

from __future__ import annotations

import json
from typing import Any

from flask import render_template, request
from flask_babel import gettext
from sqlalchemy import select

from callback import db
from callback.accounts import roles
from callback.console.access import account, for_roles
from callback.console.blueprint import bp
from callback.console.params import whole_id
from callback.models import Account, Agent, AuditEntry, Widget
from callback.texts import N_

PAGE_SIZE = 50
# Actors that are not accounts.
ACTORS = {
    "system": N_("console.audit.actor.system"),
    "cli": N_("console.audit.actor.cli"),
    "admin": N_("console.audit.actor.admin"),
    "admin_api": N_("console.audit.actor.admin"),
}
ACTIONS = {
    "signed_in": N_("console.audit.action.signed_in"),
    "account_invited": N_("console.audit.action.account_invited"),
    "account_joined": N_("console.audit.action.account_joined"),
    "account_updated": N_("console.audit.action.account_updated"),
    "account_enabled": N_("console.audit.action.account_enabled"),
    "account_disabled": N_("console.audit.action.account_disabled"),
    "account_removed": N_("console.audit.action.account_removed"),
    "api_key_issued": N_("console.audit.action.api_key_issued"),
    "api_key_revoked": N_("console.audit.action.api_key_revoked"),
    "widget_created": N_("console.audit.action.widget_created"),
    "widget_updated": N_("console.audit.action.widget_updated"),
    "widget_deleted": N_("console.audit.action.widget_deleted"),
    "agent_created": N_("console.audit.action.agent_created"),
    "agent_updated": N_("console.audit.action.agent_updated"),
    "agent_paused": N_("console.audit.action.agent_paused"),
    "agent_available": N_("console.audit.action.agent_available"),
    "agent_deleted": N_("console.audit.action.agent_deleted"),
    "agent_deactivated": N_("console.audit.action.agent_deactivated"),
    "subject_export": N_("console.audit.action.subject_export"),
    "subject_erasure": N_("console.audit.action.subject_erasure"),
    "number_erased": N_("console.audit.action.number_erased"),
    "request_completed": N_("console.audit.action.request_completed"),
    "request_failed": N_("console.audit.action.request_failed"),
    "request_canceled": N_("console.audit.action.request_canceled"),
    "request_expired": N_("console.audit.action.request_expired"),
}
DETAIL_NAMES = {
    "account_id": N_("console.audit.detail.account"),
    "agent_id": N_("console.audit.detail.agent"),
    "widget": N_("console.audit.detail.widget"),
    "widgets": N_("console.audit.detail.widgets"),
    "role": N_("console.audit.detail.role"),
    "changes": N_("console.audit.detail.changes"),
    "fields": N_("console.audit.detail.fields"),
    "reason": N_("console.audit.detail.reason"),
    "outcome": N_("console.audit.detail.outcome"),
    "key_id": N_("console.audit.detail.key"),
    "requests": N_("console.audit.detail.requests"),
}


class Names:
    """Names for the ids on one page, looked up in three queries rather than per entry."""

    def __init__(self, actors: list[str], details: list[dict[str, Any]]) -> None:
        session = db.session()
        account_ids = {_account_id(actor) for actor in actors}
        account_ids |= {found.get("account_id") for found in details}
        agent_ids = {found.get("agent_id") for found in details}
        widget_keys = {found.get("widget") for found in details}
        self.accounts = _names(session, Account, Account.id, account_ids)
        self.agents = _names(session, Agent, Agent.id, agent_ids)
        self.widgets = _names(session, Widget, Widget.key, widget_keys)

    def actor(self, actor: str) -> str:
        if actor in ACTORS:
            return gettext(ACTORS[actor])
        account_id = _account_id(actor)
        if account_id is None:
            return actor
        return self.account(account_id)

    def account(self, account_id: Any) -> str:
        if account_id in self.accounts:
            return self.accounts[account_id]
        return gettext(N_("console.audit.removed_account")).format(number=account_id)

    def detail(self, name: str, value: Any) -> str:
        """One detail's value, in words where the id names something still here."""
        if name == "account_id":
            return self.account(value)
        if name == "agent_id":
            found = self.agents.get(value)
            return f"{found} (#{value})" if found else f"#{value}"
        if name == "widget":
            found = self.widgets.get(value)
            return f"{found} ({value})" if found else str(value)
        if name == "changes" and isinstance(value, dict):
            return "; ".join(f"{field}: {_change(pair)}" for field, pair in value.items())
        return _plain(value)

    def details(self, entry: AuditEntry) -> list[tuple[str, str]]:
        return [
            (
                gettext(DETAIL_NAMES[name]) if name in DETAIL_NAMES else name,
                self.detail(name, value),
            )
            for name, value in sorted(entry.details.items())
        ]


def _account_id(actor: str | None) -> int | None:
    if actor and actor.startswith("account:"):
        return whole_id(actor.removeprefix("account:"))
    return None


def _names(session: Any, model: Any, column: Any, ids: set[Any]) -> dict[Any, str]:
    wanted = [i for i in ids if i is not None and isinstance(i, int | str)]
    if not wanted:
        return {}
    rows = session.execute(select(column, model.name).where(column.in_(wanted)))
    return {key: name for key, name in rows}


def _change(pair: Any) -> str:
    """A [before, after] pair (audit.changes) as "before → after"."""
    if isinstance(pair, list) and len(pair) == 2:
        return f"{_plain(pair[0])} → {_plain(pair[1])}"
    return _plain(pair)


def _plain(value: Any) -> str:
    """A detail's value as text: lists joined, nothing as a dash."""
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    if isinstance(value, list):
        return ", ".join(_plain(item) for item in value) or "—"
    if value is None or value == "":
        return "—"
    return str(value)


def action_name(action: str) -> str:
    return gettext(ACTIONS[action]) if action in ACTIONS else action


@bp.get("/audit")
@for_roles("owner", "manager")
def audit() -> str:
    session = db.session()
    visible = roles.audit_filter(account())
    action = request.args.get("action", "")
    actor = request.args.get("actor", "")
    before = whole_id(request.args.get("before"))
    query = select(AuditEntry).where(visible)
    if action:
        query = query.where(AuditEntry.action == action)
    if actor:
        query = query.where(AuditEntry.actor == actor)
    if before is not None:
        query = query.where(AuditEntry.id < before)
    rows = list(session.scalars(query.order_by(AuditEntry.id.desc()).limit(PAGE_SIZE + 1)))
    entries, more = rows[:PAGE_SIZE], len(rows) > PAGE_SIZE
    names = Names([e.actor for e in entries], [e.details for e in entries])
    actions = session.scalars(select(AuditEntry.action).where(visible).distinct()).all()
    actors = session.scalars(select(AuditEntry.actor).where(visible).distinct()).all()
    actor_names = Names(list(actors), [])
    return render_template(
        "console/audit.html",
        entries=entries,
        names=names,
        action_name=action_name,
        actions=sorted(actions, key=action_name),
        actors=sorted(((a, actor_names.actor(a)) for a in actors), key=lambda pair: pair[1]),
        chosen={"action": action, "actor": actor},
        next_before=entries[-1].id if more else None,
        first_page=before is None,
    )
