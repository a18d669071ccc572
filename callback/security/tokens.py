"""Status tokens: unguessable, derived from the request id, never stored."""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid

from flask import current_app

from callback import db
from callback.models import CallbackRequest


def status_token(request_id: uuid.UUID) -> str:
    """Return the token that lets a visitor see or withdraw request `request_id`."""
    key = current_app.config["SECRET_KEY"].encode()
    digest = hmac.new(key, b"status-token:" + request_id.bytes, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:24]).decode().rstrip("=")


def token_matches(request_id: uuid.UUID, token: str | None) -> bool:
    """Return whether `token` is the request's status token, in constant time."""
    # As bytes: compare_digest refuses a str with non-ASCII characters (a TypeError, a 500).
    return hmac.compare_digest(status_token(request_id).encode(), (token or "").encode())


def owned_request(request_id: str, token: str | None) -> CallbackRequest | None:
    """Return the request whose status token is `token`; None for any other case alike.

    A malformed id, an unknown id and a wrong token are indistinguishable, so ids
    cannot be probed.
    """
    try:
        parsed = uuid.UUID(request_id)
    except ValueError:
        return None
    found = db.session().get(CallbackRequest, parsed)
    return found if found is not None and token_matches(parsed, token) else None
