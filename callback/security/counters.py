"""Limits keyed by widget, by number and by distinct numbers per address.

Fixed-window counters from `limits` (its FixedWindowRateLimiter) in the app's own Redis,
each with a TTL of its window. A count about a number is identified by its
`phone_redis_key` (`callback:phone:<hmac>:<purpose>`, see `callback.phones.hashing`),
which `limits` puts inside its own key name (`callback:LIMITER/callback:phone:...`).
Each is named in the number's index before it is written, so a data-subject export
finds it and an erasure deletes it; no key holds a number or an address.
"""

from __future__ import annotations

import logging
import math
import time
from typing import cast

from flask import current_app
from limits import parse_many
from limits.storage import RedisStorage
from limits.strategies import FixedWindowRateLimiter
from redis.exceptions import RedisError

from callback.errors import RetryLater
from callback.models import Widget
from callback.phones.hashing import index_phone_keys, phone_redis_key
from callback.redis_client import redis_connection
from callback.security.ratelimit import client_key, limits_apply

log = logging.getLogger(__name__)

SEEN_NUMBER_SECONDS = 3600
LIMITER_EXTENSION = "callback.counters"


# How an answer names each limit (the setting is the operator's word for it).
LIMIT_NAMES = {
    "RATE_LIMIT_PER_WIDGET": "per_widget",
    "RATE_LIMIT_PER_NUMBER": "per_number",
    "RATE_LIMIT_NEW_NUMBERS_PER_IP": "new_numbers_per_address",
}


class RateLimited(RetryLater):
    def __init__(self, retry_after: int, locale: str | None, setting: str) -> None:
        super().__init__("rate_limited", retry_after, locale, LIMIT_NAMES[setting])


def check_widget(widget: Widget, locale: str | None = None) -> None:
    """Count one submission to `widget`, or raise RateLimited."""
    _count("RATE_LIMIT_PER_WIDGET", f"callback:widget:{widget.id}:submissions", locale)


def check_number(e164: str, locale: str | None = None) -> None:
    """Count one request for `e164` and, if it is new from this address, one new number."""
    if not limits_apply():
        return
    counted = phone_redis_key(e164, "submissions")
    seen = phone_redis_key(e164, f"seen:{client_key()}")
    try:
        _index(e164, counted, seen)
    except RedisError as exc:
        # Fail open, as the counters do: nothing about the number is written unnamed.
        log.warning("limit counter unreachable, limits per number skipped: %s", exc)
        return
    _count("RATE_LIMIT_PER_NUMBER", counted, locale)
    try:
        first_time = bool(redis_connection().set(seen, 1, nx=True, ex=SEEN_NUMBER_SECONDS))
    except RedisError as exc:
        log.warning("limit counter unreachable, new-number limit skipped: %s", exc)
        return
    if not first_time:
        return
    try:
        _count("RATE_LIMIT_NEW_NUMBERS_PER_IP", f"callback:ip:{client_key()}:numbers", locale)
    except RateLimited:
        redis_connection().delete(seen)  # refused, so this number was not taken from here
        raise


def _index(e164: str, counted: str, seen: str) -> None:
    """Name the keys this module may write about `e164` in the number's index first."""
    storage = cast(RedisStorage, _limiter().storage)
    items = parse_many(str(current_app.config["RATE_LIMIT_PER_NUMBER"]))
    keys = {storage.prefixed_key(item.key_for(counted)): item.get_expiry() for item in items}
    index_phone_keys(redis_connection(), e164, {**keys, seen: SEEN_NUMBER_SECONDS})


def _count(setting: str, identifier: str, locale: str | None) -> None:
    """Count one hit in every window of `setting`; raise RateLimited if any is full."""
    if not limits_apply():
        return
    limiter = _limiter()
    try:
        for item in parse_many(str(current_app.config[setting])):
            if not limiter.hit(item, identifier):
                reset_at, _remaining = limiter.get_window_stats(item, identifier)
                raise RateLimited(math.ceil(reset_at - time.time()), locale, setting)
    except RedisError as exc:
        # Fail open: the daily caps still bound the spend (see ratelimit.py).
        log.warning("limit counter unreachable, %s skipped: %s", setting, exc)


def _limiter() -> FixedWindowRateLimiter:
    """Return this process's limiter on the app's Redis (where erasure looks for keys)."""
    client = redis_connection()
    held = current_app.extensions.get(LIMITER_EXTENSION)
    if held is None or held[0] is not client:  # a fork gets a new client, and a new limiter
        storage = RedisStorage(
            "redis://", connection_pool=client.connection_pool, key_prefix="callback"
        )
        held = (client, FixedWindowRateLimiter(storage))
        current_app.extensions[LIMITER_EXTENSION] = held
    limiter: FixedWindowRateLimiter = held[1]
    return limiter
