"""Who did what, when: one audit entry per settings change and per action.

Entries name accounts by id ("account:7"), so removing a person's account leaves an
audit trail that no longer says who they were. Details never hold a visitor's number.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.orm import Session

from callback.models import Account, AuditEntry

BREAK_GLASS_ACTOR = "admin"


def actor_of(account: Account | None) -> str:
    """Return how audit entries name `account`; None is a break-glass admin token."""
    return f"account:{account.id}" if account is not None else BREAK_GLASS_ACTOR


def record(
    session: Session,
    actor: str,
    action: str,
    request_id: uuid.UUID | None = None,
    **details: Any,
) -> None:
    session.add(AuditEntry(actor=actor, action=action, request_id=request_id, details=details))


def changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """Return {field: [old, new]} for every field whose value changed."""
    return {
        name: [before.get(name), value]
        for name, value in after.items()
        if before.get(name) != value
    }
