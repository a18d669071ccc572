"""Joining by invitation: a one-time link, valid for 72 hours, that sets the password.

Only the SHA-256 of the link's token is stored: a copy of the database cannot be used
to take up someone's invitation.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from callback.accounts import audit
from callback.accounts.management import check_role, checked_name
from callback.errors import Invalid
from callback.models import Account, Agent, Invitation, Role, Widget, utcnow

INVITATION_HOURS = 72


def invitation_link(token: str, base_url: str | None) -> str:
    """Return the page that takes up the invitation `token`, under `base_url`.

    `base_url` is PUBLIC_BASE_URL where set, else the address the asker used (the
    console) or the development default (the CLI).
    """
    base = (base_url or "http://127.0.0.1:5000").rstrip("/")
    return f"{base}/console/join?token={token}"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def normal_email(email: str) -> str:
    """Return `email` as accounts store it, or raise Invalid naming the problem."""
    try:
        checked = validate_email(email.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise Invalid("invalid_email", f"email: {exc}", "email") from None
    return checked.normalized.lower()


def invite(
    session: Session,
    *,
    email: str,
    name: str,
    role: str,
    widgets: Sequence[Widget] = (),
    agent: Agent | None = None,
    actor: str,
) -> tuple[Account, str]:
    """Create the account (or renew a pending one's link); return it and the link's token.

    A person who already set a password is refused: an invitation must never reset
    someone's password behind their back.
    """
    email = normal_email(email)
    name = checked_name(name)
    account = session.scalars(select(Account).filter_by(email=email)).one_or_none()
    check_role(session, account, role, widgets, agent)
    if account is not None and account.password is not None:
        raise Invalid("account_exists", "email: that person has an account already", "email")
    if account is None:
        account = Account(email=email, fs_uniquifier=uuid.uuid4().hex, name=name)
        session.add(account)
    account.name, account.active = name, True
    account.roles = [session.scalars(select(Role).filter_by(name=role)).one()]
    account.widgets = list(widgets)
    account.agent_id = agent.id if agent is not None else None
    session.flush()
    # A new link replaces any earlier one: only the newest can be used.
    session.execute(
        update(Invitation)
        .where(Invitation.account_id == account.id, Invitation.used_at.is_(None))
        .values(expires_at=utcnow())
    )
    token = secrets.token_urlsafe(32)
    session.add(
        Invitation(
            account_id=account.id,
            token_hash=token_hash(token),
            invited_by=actor,
            expires_at=utcnow() + timedelta(hours=INVITATION_HOURS),
        )
    )
    audit.record(
        session,
        actor,
        "account_invited",
        account_id=account.id,
        role=role,
        widgets=[widget.key for widget in widgets],
    )
    return account, token


def open_invitation(session: Session, token: str, now: datetime | None = None) -> Invitation | None:
    """Return the unused, unexpired invitation for `token`; None for any other case alike."""
    found = session.scalars(
        select(Invitation).filter_by(token_hash=token_hash(token or ""))
    ).one_or_none()
    now = now or utcnow()
    if found is None or found.used_at is not None or found.expires_at <= now:
        return None
    if not found.account.active or found.account.password is not None:
        return None
    return found


def accept(session: Session, invitation: Invitation, password_hash: str) -> Account:
    """Set the account's password from a checked invitation and use the invitation up.

    The invitation is used up by a compare-and-set, so of two tabs submitting the same
    link at once only one sets the password.
    """
    used = session.execute(
        update(Invitation)
        .where(Invitation.id == invitation.id, Invitation.used_at.is_(None))
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if used.rowcount != 1:  # type: ignore[attr-defined]
        raise Invalid("invitation_used", "This invitation link has been used already.")
    session.refresh(invitation)
    account = invitation.account
    account.password = password_hash
    audit.record(session, audit.actor_of(account), "account_joined", account_id=account.id)
    return account
