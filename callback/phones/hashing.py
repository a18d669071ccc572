"""Keyed hashes of visitor numbers, for abuse limits that must not store the number.

Redis keys about one number are named `callback:phone:<phone_key>:<purpose>` (for
example `callback:phone:<key>:submissions`) and always carry a TTL. Keys made by a
library with its own naming (Flask-Limiter's counters) must still contain the
`phone_key`: erasure deletes every key whose name contains it, wherever it appears.
"""

from __future__ import annotations

import hashlib
import hmac

from flask import Flask, current_app

PHONE_KEY_PREFIX = "callback:phone:"


def phone_key(e164: str, app: Flask | None = None) -> str:
    """Return the HMAC-SHA256 of `e164` under PHONE_HASH_KEY, as hex."""
    secret = str((app or current_app).config["PHONE_HASH_KEY"]).encode()
    return hmac.new(secret, e164.encode(), hashlib.sha256).hexdigest()


def phone_redis_key(e164: str, purpose: str, app: Flask | None = None) -> str:
    """Return the Redis key for `purpose` (e.g. "submissions") about number `e164`."""
    return f"{PHONE_KEY_PREFIX}{phone_key(e164, app)}:{purpose}"


def phone_key_pattern(e164: str, app: Flask | None = None) -> str:
    """Return the SCAN pattern matching every Redis key about number `e164`."""
    return f"*{phone_key(e164, app)}*"
