"""An owner changing other people's accounts: role and widgets, disabling, enabling.

Inviting is in invitations.py, removing in personal.py (the same rules whoever asks).
There is always an active owner: the last one can be neither demoted nor disabled,
or nobody could manage accounts again without a break-glass token.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from callback.accounts import audit
from callback.accounts.personal import owners_left
from callback.accounts.roles import AGENT, OWNER, ROLES
from callback.errors import Invalid, NotAllowed
from callback.models import Account, Agent, ApiKey, Role, WebAuthnCredential, Widget
from callback.texts.plain import has_control_characters

NAME_LENGTH = 200


def checked_name(name: str) -> str:
    """Return a person's name as stored (stripped), or raise Invalid saying what is wrong.

    Invitations use it, and so should anything else that sets `Account.name`.
    """
    name = name.strip()
    if not name or len(name) > NAME_LENGTH:
        raise Invalid("invalid_name", f"name: give a name of 1 to {NAME_LENGTH} characters", "name")
    if has_control_characters(name):
        raise Invalid("name_control", "name: must not contain control characters", "name")
    return name


def state_of(account: Account) -> str:
    """ "disabled", "invited" (has not set a password yet) or "active"."""
    if not account.active:
        return "disabled"
    return "invited" if account.password is None else "active"


def check_role(
    session: Session, account: Account | None, role: str, widgets: Sequence[Widget],
    agent: Agent | None,
) -> None:  # fmt: skip
    """Refuse a role that does not fit: an owner with widgets, an agent without an agent.

    `account` is the one being given the role (None for a new one): it may keep its own
    agent row, which no other account may hold.
    """
    if role not in ROLES:
        raise Invalid("invalid_role", f"role: one of {', '.join(ROLES)}", "role")
    if role == OWNER and widgets:
        raise Invalid("invalid_widgets", "widgets: an owner sees every widget already", "widgets")
    if role == AGENT and agent is None:
        raise Invalid("agent_required", "agent: an agent's account is for one agent", "agent")
    if role != AGENT and agent is not None:
        raise Invalid("invalid_agent", "agent: only an agent's account has one", "agent")
    if agent is not None:
        holder = session.scalars(select(Account).filter_by(agent_id=agent.id)).one_or_none()
        if holder is not None and holder is not account:
            raise Invalid("agent_taken", "agent: another account is that agent's", "agent")


def _keep_an_owner(session: Session, account: Account) -> None:
    if account.role == OWNER and owners_left(session, account) == 0:
        raise NotAllowed("last_owner", "The last owner must stay an active owner.")


def change_role(
    session: Session,
    account: Account,
    *,
    role: str,
    widgets: Sequence[Widget],
    agent: Agent | None,
    actor: str,
) -> None:
    """Give `account` `role`, `widgets` and (for an agent) `agent`; audit what changed."""
    check_role(session, account, role, widgets, agent)
    if role != OWNER:
        _keep_an_owner(session, account)
    before = {
        "role": account.role,
        "widgets": [widget.key for widget in account.widgets],
        "agent_id": account.agent_id,
    }
    account.roles = [session.scalars(select(Role).filter_by(name=role)).one()]
    account.widgets = list(widgets)
    account.agent_id = agent.id if agent is not None else None
    after = {
        "role": role,
        "widgets": [widget.key for widget in widgets],
        "agent_id": account.agent_id,
    }
    changed = audit.changes(before, after)
    if changed:
        audit.record(session, actor, "account_updated", account_id=account.id, changes=changed)


def set_active(session: Session, account: Account, active: bool, actor: str) -> None:
    """Enable or disable `account`; disabling ends its sessions everywhere at once.

    Sessions carry the account's `fs_uniquifier`: a new one makes every old session
    fail Flask-Security's check on its next request. API keys stop working too
    (api_keys.account_for refuses a disabled account).
    """
    if account.active == active:
        return
    if not active:
        _keep_an_owner(session, account)
        account.fs_uniquifier = uuid.uuid4().hex
    account.active = active
    audit.record(
        session, actor, "account_enabled" if active else "account_disabled", account_id=account.id
    )


def reset_second_factor(session: Session, account: Account, actor: str) -> None:
    """Turn off `account`'s authenticator app (a lost phone), and end its sessions.

    The person signs in with their password (or a passkey) and may set up a new one.
    Also the way back in after SECRET_KEY is rotated: the authenticator secrets are
    encrypted with a key derived from it (SECURITY.md).
    """
    if account.tf_primary_method is None and account.tf_totp_secret is None:
        return
    account.tf_primary_method, account.tf_totp_secret = None, None
    account.fs_uniquifier = uuid.uuid4().hex
    audit.record(session, actor, "second_factor_reset", account_id=account.id)


def counts(session: Session) -> tuple[dict[int, int], dict[int, int]]:
    """Return {account id: live API keys} and {account id: passkeys}, for the list page."""
    keys = session.execute(
        select(ApiKey.account_id, func.count())
        .where(ApiKey.revoked_at.is_(None))
        .group_by(ApiKey.account_id)
    )
    passkeys = session.execute(
        select(WebAuthnCredential.account_id, func.count()).group_by(WebAuthnCredential.account_id)
    )
    return {i: n for i, n in keys}, {i: n for i, n in passkeys}
