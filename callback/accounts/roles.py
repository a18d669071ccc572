"""The three roles and what each account may see and change.

- owner: everything, including accounts and API keys;
- manager: the widgets they are given, with those widgets' agents and requests;
- agent: their own availability and the callbacks of the widgets they answer for.

Agents belong to widgets through their team (a widget rings the agents of its team).
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, false, true

from callback.models import Account, Agent, CallbackRequest, Widget

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
