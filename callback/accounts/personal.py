"""An account is personal data of its holder: they may download it and delete it.

What is kept, and for how long, is stated in PRIVACY.md ("Console accounts").
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from callback.accounts import audit
from callback.accounts.roles import OWNER
from callback.errors import NotAllowed
from callback.models import Account, ApiKey, AuditEntry, Invitation, Role, iso
from callback.models.account import accounts_roles


def export(session: Session, account: Account) -> dict[str, Any]:
    """Return everything stored about `account`'s holder, secrets left out."""
    actor = audit.actor_of(account)
    keys = session.scalars(select(ApiKey).filter_by(account_id=account.id).order_by(ApiKey.id))
    invitations = session.scalars(
        select(Invitation).filter_by(account_id=account.id).order_by(Invitation.id)
    )
    actions = session.scalars(
        select(AuditEntry).filter_by(actor=actor).order_by(AuditEntry.at, AuditEntry.id)
    )
    return {
        "account": {
            "id": account.id,
            "email": account.email,
            "name": account.name,
            "role": account.role,
            "language": account.language,
            "widgets": [widget.key for widget in account.widgets],
            "agent_id": account.agent_id,
            "active": account.active,
            "created_at": iso(account.created_at),
            "last_sign_in_at": iso(account.last_login_at),
            "second_factor": account.tf_primary_method,
        },
        "passkeys": [
            {
                "name": key.name,
                "created_at": iso(key.create_datetime),
                "last_used_at": iso(key.lastuse_datetime),
            }
            for key in account.webauthn
        ],
        "api_keys": [
            {
                "name": key.name,
                "prefix": key.prefix,
                "created_at": iso(key.created_at),
                "last_used_at": iso(key.last_used_at),
                "revoked_at": iso(key.revoked_at),
            }
            for key in keys
        ],
        "invitations": [
            {
                "invited_by": item.invited_by,
                "created_at": iso(item.created_at),
                "expires_at": iso(item.expires_at),
                "used_at": iso(item.used_at),
            }
            for item in invitations
        ],
        "actions": [
            {
                "at": iso(entry.at),
                "action": entry.action,
                "details": entry.details,
                "request_id": str(entry.request_id) if entry.request_id else None,
            }
            for entry in actions
        ],
    }


def owners_left(session: Session, without: Account) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(Account)
            .join(accounts_roles, accounts_roles.c.account_id == Account.id)
            .join(Role, Role.id == accounts_roles.c.role_id)
            .where(Role.name == OWNER, Account.active, Account.id != without.id)
        )
        or 0
    )


def delete(session: Session, account: Account, actor: str) -> None:
    """Delete the account, its keys, passkeys and invitations; its audit entries stay.

    The entries name it only as "account:<id>", so once it is gone they say what was
    done, and when, but no longer by whom. The last owner cannot be removed: nobody
    could then manage accounts except with a break-glass token.
    """
    if account.role == OWNER and owners_left(session, account) == 0:
        raise NotAllowed("last_owner", "The last owner cannot be removed; make another first.")
    audit.record(session, actor, "account_removed", account_id=account.id)
    session.delete(account)
