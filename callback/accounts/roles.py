"""The three roles and what each account may see and change.

- owner: everything, including accounts and API keys;
- manager: the widgets they are given, with those widgets' agents and requests;
- agent: their own availability and the callbacks of the widgets they answer for.

Agents belong to widgets through their team (a widget rings the agents of its team).
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, false, or_, select, true

from callback.accounts.audit import actor_of
from callback.models import Account, Agent, AuditEntry, CallbackRequest, Widget

OWNER, MANAGER, AGENT = "owner", "manager", "agent"
ROLES = (OWNER, MANAGER, AGENT)


def is_owner(account: Account) -> bool:
    return account.role == OWNER


def may_manage(account: Account, widget: Widget) -> bool:
    """Return whether `account` may change `widget`'s settings and act on its requests."""
    if account.role == OWNER:
        return True
    return account.role == MANAGER and any(mine.id == widget.id for mine in account.widgets)


def may_manage_agent(account: Account, agent: Agent) -> bool:
    """Return whether `account` may edit, pause or remove `agent`."""
    if account.role == OWNER:
        return True
    return account.role == MANAGER and agent.team in teams_of(account)


def teams_of(account: Account) -> set[str]:
    return {widget.team for widget in account.widgets}


def widget_filter(account: Account) -> ColumnElement[bool]:
    """A WHERE clause on Widget for the widgets `account` manages."""
    if account.role == OWNER:
        return true()
    if account.role == MANAGER:
        return Widget.id.in_([widget.id for widget in account.widgets])
    return false()


def agent_filter(account: Account) -> ColumnElement[bool]:
    """A WHERE clause on Agent for the agents `account` may see."""
    if account.role == OWNER:
        return true()
    if account.role == MANAGER:
        return Agent.team.in_(sorted(teams_of(account)))
    return Agent.id == account.agent_id if account.agent_id is not None else false()


def request_filter(account: Account) -> ColumnElement[bool]:
    """A WHERE clause on CallbackRequest for the requests `account` may see."""
    if account.role == OWNER:
        return true()
    return CallbackRequest.widget_id.in_([widget.id for widget in account.widgets])


def audit_filter(account: Account) -> ColumnElement[bool]:
    """A WHERE clause on AuditEntry for the entries `account` may read.

    An owner reads every entry. A manager reads their own actions and the entries about
    what they manage: a request of one of their widgets (the entry's request_id), one of
    their widgets (details "widget", its key) or an agent of their widgets' teams
    (details "agent_id"). Entries about accounts, privacy requests or other widgets stay
    the owner's. An entry about a since-deleted agent or request no longer matches. An
    agent reads none (the log is not on their menu).
    """
    if account.role == OWNER:
        return true()
    if account.role != MANAGER:
        return false()
    widget_keys = [widget.key for widget in account.widgets]
    return or_(
        AuditEntry.actor == actor_of(account),
        AuditEntry.request_id.in_(select(CallbackRequest.id).where(request_filter(account))),
        AuditEntry.details["widget"].as_string().in_(widget_keys),
        AuditEntry.details["agent_id"]
        .as_integer()
        .in_(select(Agent.id).where(agent_filter(account))),
    )
