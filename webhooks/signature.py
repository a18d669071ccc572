"""One decorator for every Twilio-facing route: a valid X-Twilio-Signature or 403.

A signed request whose values hold a NUL character is answered 400: Twilio never sends
one, and no text column (PostgreSQL's least of all) can store it.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort, current_app, request
from twilio.request_validator import RequestValidator

F = TypeVar("F", bound=Callable[..., Any])


def signed_url() -> str:
    """Return the URL Twilio signed: PUBLIC_BASE_URL (if set) + path + query."""
    base = current_app.config.get("PUBLIC_BASE_URL")
    if not base:
        return request.url
    query = request.query_string.decode()
    return base.rstrip("/") + request.path + (f"?{query}" if query else "")


def twilio_signed(view: F) -> F:
    """Refuse any request whose signature does not match the auth token, URL and body."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        token = current_app.config.get("TWILIO_AUTH_TOKEN")
        signature = request.headers.get("X-Twilio-Signature", "")
        params = request.form.to_dict(flat=True) if request.method == "POST" else {}
        if not token or not signature:
            abort(403)
        if not RequestValidator(token).validate(signed_url(), params, signature):
            abort(403)
        if any("\x00" in value for value in params.values()):
            abort(400)
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]
