"""Bearer-token protection for the admin API and ops pages: the ADMIN_TOKENS.

These are the bootstrap and break-glass credentials. The admin API also accepts
personal API keys; callback/accounts/access.py decides between the two (this layer
knows nothing of accounts).
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort, current_app, request

from callback.errors import Unauthorized

F = TypeVar("F", bound=Callable[..., Any])


def token_is_valid(presented: str) -> bool:
    """Compare `presented` with every configured token in constant time."""
    found = False
    for token in current_app.config["ADMIN_TOKENS"]:
        found |= hmac.compare_digest(token.encode(), presented.encode())
    return found


def require_admin(view: F) -> F:
    """Refuse the request unless it carries a configured admin token."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not current_app.config["ADMIN_TOKENS"]:
            abort(404)  # admin disabled: nothing to find here
        scheme, _, presented = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token_is_valid(presented.strip()):
            raise Unauthorized("unauthorized", "A valid admin bearer token is required.")
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]
