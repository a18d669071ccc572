"""API keys: each acts for one account, with its role and widgets, until revoked.

A key is shown once, when made; only its SHA-256 is stored (256 random bits need no slow
hash), with its first characters so a person can tell their keys apart.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from callback.accounts import audit
from callback.errors import Invalid
from callback.models import Account, ApiKey, utcnow
from callback.texts.plain import has_control_characters

KEY_PREFIX = "cbk_"
SHOWN_CHARACTERS = 12
# Last use is written at most this often per key, not once per API call.
LAST_USE_GRANULARITY = timedelta(minutes=1)


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def looks_like_key(presented: str) -> bool:
    return presented.startswith(KEY_PREFIX)


def issue(session: Session, account: Account, name: str, actor: str) -> tuple[ApiKey, str]:
    """Make a key for `account`; return the row and the key itself (shown once)."""
    name = name.strip()
    if not name or len(name) > 100:
        raise Invalid("invalid_name", "name: give the key a name of 1 to 100 characters", "name")
    if has_control_characters(name):
        raise Invalid("name_control", "name: must not contain control characters", "name")
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    row = ApiKey(account=account, name=name, prefix=key[:SHOWN_CHARACTERS], key_hash=_hash(key))
    session.add(row)
    session.flush()
    audit.record(session, actor, "api_key_issued", account_id=account.id, key_id=row.id)
    return row, key


def revoke(session: Session, key: ApiKey, actor: str) -> None:
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        audit.record(session, actor, "api_key_revoked", account_id=key.account_id, key_id=key.id)


def keys_of(session: Session, account: Account) -> list[ApiKey]:
    return list(
        session.scalars(
            select(ApiKey).filter_by(account_id=account.id).order_by(ApiKey.created_at.desc())
        )
    )


def account_for(session: Session, presented: str) -> Account | None:
    """Return the active account whose unrevoked key is `presented`, noting its use."""
    key = session.scalars(select(ApiKey).filter_by(key_hash=_hash(presented))).one_or_none()
    if key is None or key.revoked_at is not None:
        return None
    account = key.account
    if not account.active or account.password is None:
        return None
    now = utcnow()
    if key.last_used_at is None or now - key.last_used_at >= LAST_USE_GRANULARITY:
        session.execute(
            update(ApiKey)
            .where(ApiKey.id == key.id)
            .values(last_used_at=now)
            .execution_options(synchronize_session=False)
        )
        session.commit()
    return account
