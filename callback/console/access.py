"""Who may open which console page: signed in, then the role the page is for.

Every console page needs a signed-in account, except joining by invitation; unsafe
methods must carry the form's CSRF token. Pages then narrow by role with `for_roles`,
and each query narrows by the account's widgets (callback.accounts.roles).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from flask import abort, redirect, request, url_for
from flask_login import current_user

from callback.console.auth import CSRF
from callback.console.blueprint import bp
from callback.models import Account

F = TypeVar("F", bound=Callable[..., Any])
PUBLIC_ENDPOINTS = {"console.join", "console.static"}


def account() -> Account:
    """The signed-in account (pages only run for one)."""
    return cast(Account, current_user._get_current_object())


def require_sign_in() -> Any:
    """Before every console page: send strangers to sign in; check CSRF on changes."""
    if request.endpoint in PUBLIC_ENDPOINTS:
        if request.method not in {"GET", "HEAD", "OPTIONS"}:
            CSRF.protect()
        return None
    if not current_user.is_authenticated:
        return redirect(url_for("security.login", next=request.full_path.rstrip("?")))
    if request.method not in {"GET", "HEAD", "OPTIONS"}:
        CSRF.protect()
    return None


bp.before_request(require_sign_in)


def for_roles(*roles: str) -> Callable[[F], F]:
    """Let only accounts holding one of `roles` open the page (403 for the others)."""

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if account().role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return cast(F, wrapper)

    return decorate
