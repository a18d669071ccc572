"""Who is calling the admin API: a break-glass admin token, or an account's API key.

Two kinds of bearer credential are accepted on `Authorization: Bearer ...`:

- a token from ADMIN_TOKENS: the bootstrap and break-glass path, allowed everything,
  audited as "admin" (callback.security.admin_auth checks it, unchanged);
- a personal API key (`cbk_...`, callback.accounts.api_keys): the call acts as that
  account, with its role and widgets (callback.accounts.roles), audited as
  "account:<id>".

With no ADMIN_TOKENS set, the admin API still answers 404 to anything but an API key,
as it always has: a service without admin tokens shows no admin API to strangers.
Scope: what an account may not see answers 404 (as if absent, so ids cannot be
probed); what it may see but not do answers 403.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeVar

from flask import abort, current_app, g, request

from callback import db
from callback.accounts import api_keys, audit
from callback.accounts.roles import OWNER
from callback.errors import NotAllowed, Unauthorized
from callback.models import Account
from callback.security.admin_auth import token_is_valid

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class Caller:
    """The admin API's caller: an account, or None for a break-glass admin token."""

    account: Account | None

    @property
    def actor(self) -> str:
        return audit.actor_of(self.account)

    @property
    def sees_everything(self) -> bool:
        return self.account is None or self.account.role == OWNER

    @property
    def role(self) -> str:
        return OWNER if self.account is None else self.account.role


def _authenticate() -> Caller:
    scheme, _, presented = request.headers.get("Authorization", "").partition(" ")
    presented = presented.strip()
    bearer = scheme.lower() == "bearer"
    if bearer and api_keys.looks_like_key(presented):
        account = api_keys.account_for(db.session(), presented)
        if account is None:
            raise Unauthorized("unauthorized", "That API key is unknown, revoked or disabled.")
        return Caller(account)
    if not current_app.config["ADMIN_TOKENS"]:
        abort(404)  # admin disabled: nothing to find here
    if not bearer or not token_is_valid(presented):
        raise Unauthorized("unauthorized", "A valid admin bearer token is required.")
    return Caller(None)


def require_caller(view: F) -> F:
    """Refuse the request unless it carries an admin token or a live API key."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        g.api_caller = _authenticate()
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def caller() -> Caller:
    """The caller `require_caller` let in for this request."""
    found: Caller = g.api_caller
    return found


def only_for(*roles: str) -> Caller:
    """Return the caller if their role is one of `roles` (a token counts as owner); else 403."""
    who = caller()
    if who.role not in roles:
        raise NotAllowed("forbidden", "This API key's role may not do that.")
    return who
