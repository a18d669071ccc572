"""The Twilio REST client, pointed at Twilio or at the sandbox by TWILIO_API_BASE_URL."""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from typing import Any

from flask import Flask, current_app
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

RETRYABLE_HTTP_STATUSES = frozenset({429, 500, 502, 503, 504})
RETRYABLE_TWILIO_CODES = frozenset({20429, 20500, 20503})
# Errors about the account or our own settings, not the dialled agent: every call would
# meet them (not active, authentication, no such account, bad callback URL, caller ID
# not verified, invalid or missing caller ID). Any other 4xx is about one agent's number.
EVERY_CALL_TWILIO_CODES = frozenset({10001, 20003, 20005, 20404, 21205, 21210, 21212, 21213})


def twilio_client(app: Flask | None = None) -> Client:
    """Return this thread's REST client, with explicit timeouts, on the configured base URL.

    One per thread and process, kept for the app's life: its HTTP session keeps the
    connection to the API open between calls instead of a new TLS handshake per dial.
    """
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    local: threading.local = app.extensions.setdefault("twilio_clients", threading.local())
    kept: tuple[int, Client] | None = getattr(local, "client", None)
    if kept is None or kept[0] != os.getpid():  # a forked child opens its own connections
        kept = (os.getpid(), rest_client(app.config))
        local.client = kept
    return kept[1]


def rest_client(config: Mapping[str, Any]) -> Client:
    """Return a new REST client built from `config` (timeouts, credentials, base URL)."""
    http_client = TwilioHttpClient()
    # requests takes a (connect, read) pair; the constructor's check only allows one float.
    http_client.timeout = (config["TWILIO_CONNECT_TIMEOUT"], config["TWILIO_READ_TIMEOUT"])
    client = Client(
        config["TWILIO_ACCOUNT_SID"], config["TWILIO_AUTH_TOKEN"], http_client=http_client
    )
    client.api.base_url = config["TWILIO_API_BASE_URL"].rstrip("/")
    return client


def preload_call_api(app: Flask) -> None:
    """Import the Calls API modules now; the first dial would otherwise wait for them."""
    twilio_client(app).api.v2010.account.calls  # noqa: B018 - the attribute imports them


def public_url(path: str, app: Flask | None = None) -> str:
    """Return the absolute URL Twilio uses to reach `path` on this service."""
    base = (app or current_app).config.get("PUBLIC_BASE_URL")
    if not base:
        raise RuntimeError("PUBLIC_BASE_URL is not set: Twilio cannot reach the webhooks")
    return base.rstrip("/") + path


def is_retryable(status: int | None, code: int | None) -> bool:
    """Return whether a Twilio error is worth retrying (rate limit or server trouble)."""
    return (status in RETRYABLE_HTTP_STATUSES) or (code in RETRYABLE_TWILIO_CODES)


def small_int(value: str | None) -> int | None:
    """Return `value` as an int if it is up to 9 ASCII digits (Twilio's counters), else None."""
    text = value or ""
    # isdigit() alone accepts "²" and other digits int() refuses; 9 digits fit any column.
    if not (text.isascii() and text.isdigit()) or len(text) > 9:
        return None
    return int(text)
