"""Rate limits on visitor submissions, counted in Redis and shared by every process.

Four limits: per client address (Flask-Limiter, on every POST of the visitor API and
the form), and per widget, per number and distinct numbers per address (`counters.py`,
called by `intake.submit`, which knows the parsed number). Addresses and numbers are
keyed by HMAC, so Redis never holds either.

Redis down, a deliberate choice: the limits fail open (the address limit falls back to
per-process memory, the others are skipped with a warning) and the request is still
taken, because the database is the source of truth and the daily caps (`caps.py`) then
count in the database, so the spend stays bounded while the limits are blind.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
from collections.abc import Callable

from flask import Blueprint, Flask, Response, current_app, g, request
from flask.sansio.app import App
from flask_limiter import Limiter

from callback.redis_client import redis_url

SUBMISSION_BLUEPRINTS = ("visitor_api", "form")
PER_ADDRESS = "per_address"
# Checks an edge adds (`exempt_when`): a request they will refuse anyway is not counted.
EXEMPTIONS = "callback.limit_exemptions"


def client_key() -> str:
    """Return a keyed hash of the client address (an IPv6 client counts by its /64)."""
    address = request.remote_addr or "unknown"
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        ip = None
    if ip is not None and ip.version == 6:
        # One subscriber usually holds a whole /64; counting single addresses invites rotation.
        address = str(ipaddress.ip_network(f"{ip}/64", strict=False))
    secret = str(current_app.config["PHONE_HASH_KEY"]).encode()
    return hmac.new(secret, b"ip:" + address.encode(), hashlib.sha256).hexdigest()[:32]


def storage_uri(app: Flask) -> str:
    """Return RATELIMIT_STORAGE_URI, or the app's Redis in the `limits` notation."""
    configured = app.config.get("RATELIMIT_STORAGE_URI")
    if configured:
        return str(configured)
    url = redis_url(app)
    # `limits` names a unix-socket Redis redis+unix://; redis-py names it unix://.
    return "redis+unix://" + url.removeprefix("unix://") if url.startswith("unix://") else url


def limits_enabled() -> bool:
    """Return whether rate limits are on (RATELIMIT_ENABLED, default true)."""
    return bool(current_app.config["RATELIMIT_ENABLED"])


def developer_on_loopback() -> bool:
    """Return whether this is development, asked from this machine (DEV_LOOPBACK_UNLIMITED)."""
    config = current_app.config
    if config["ENV"] != "development" or not config["DEV_LOOPBACK_UNLIMITED"]:
        return False
    try:
        return ipaddress.ip_address(request.remote_addr or "").is_loopback
    except ValueError:
        return False


def limits_apply() -> bool:
    """Return whether this request is counted against the abuse limits."""
    return limits_enabled() and not developer_on_loopback()


def exempt_when(app: App, check: Callable[[], bool]) -> None:
    """Skip the per-address limit for requests `check` says the edge refuses anyway.

    A wrong origin is answered 403 whatever the limits: counted, it would lock a
    developer out with 429s that hide the real mistake.
    """
    app.extensions.setdefault(EXEMPTIONS, []).append(check)


def _exempt(app: Flask) -> bool:
    return developer_on_loopback() or any(check() for check in app.extensions.get(EXEMPTIONS, []))


def _note_own_retry_after(response: Response) -> Response:
    g.own_retry_after = response.headers.get("Retry-After")
    return response


def _restore_own_retry_after(response: Response) -> Response:
    """Put back the Retry-After a refusal of ours set (the daily cap, per number...).

    Flask-Limiter's hook makes the header the later of it and the address limit's reset,
    though that limit did not refuse the request: a cap that resets at midnight UTC was
    told as an hour away in the last hour of the day, and disagreed with the body.
    """
    own = g.pop("own_retry_after", None)
    if own is not None:
        response.headers["Retry-After"] = own
    return response


def init_app(app: Flask) -> None:
    """Limit submissions per client address on every blueprint that takes them."""
    limiter = Limiter(
        key_func=client_key,
        storage_uri=storage_uri(app),
        # Short timeouts: a stalled Redis must not stall the visitor's request.
        storage_options={"socket_connect_timeout": 1, "socket_timeout": 1},
        strategy="moving-window",
        key_prefix="callback",
        headers_enabled=True,
        in_memory_fallback_enabled=True,
    )
    # After-request hooks run last-registered first: the restore runs after Flask-Limiter's.
    app.after_request(_restore_own_retry_after)
    limiter.init_app(app)
    app.after_request(_note_own_retry_after)
    app.extensions["callback.limiter"] = limiter
    per_address = limiter.shared_limit(
        lambda: str(app.config["RATE_LIMIT_PER_IP"]),
        scope="submissions",
        methods=["POST"],
        exempt_when=lambda: _exempt(app),
    )
    for name in SUBMISSION_BLUEPRINTS:
        blueprint = app.blueprints[name]
        assert isinstance(blueprint, Blueprint)  # Flask's, as Flask-Limiter's typing wants
        per_address(blueprint)
