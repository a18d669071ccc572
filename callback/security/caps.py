"""Daily call caps per widget and for the whole service: the hard bound on toll spend.

Each accepted request is counted in Redis under a key for the UTC day (kept two days),
before the request is stored. Rate limits slow an attack; the caps end it for the day.
If Redis cannot count, the caps count today's requests in the database instead: slower,
but a cap must never fail open, since it is what bounds the bill.
"""

from __future__ import annotations

import logging
import math
from datetime import datetime, time, timedelta

from flask import current_app
from redis.exceptions import RedisError
from sqlalchemy import func, select

from callback import db
from callback.errors import RetryLater
from callback.models import CallbackRequest, Widget, utcnow
from callback.redis_client import redis_connection

log = logging.getLogger(__name__)

KEY_TTL_SECONDS = 2 * 24 * 3600


class DailyCapReached(RetryLater):
    """A 429 `daily_cap_reached`, to be retried after midnight UTC."""

    def __init__(self, retry_after: int, locale: str | None = None) -> None:
        super().__init__("daily_cap_reached", retry_after, locale, "daily_cap")


def cap_keys(widget: Widget, day: datetime) -> tuple[str, str]:
    """Return the Redis keys of the global and the widget's counter for `day`."""
    stamp = day.strftime("%Y%m%d")
    return f"callback:cap:{stamp}:global", f"callback:cap:{stamp}:widget:{widget.id}"


def reserve_call(widget: Widget, locale: str | None = None) -> None:
    """Count one call against today's caps, or raise DailyCapReached and count nothing."""
    now = utcnow()
    caps = (current_app.config["DAILY_CALL_CAP_GLOBAL"], widget.daily_call_cap)
    keys = cap_keys(widget, now)
    try:
        counts = _increment(keys)
    except RedisError as exc:
        log.warning("cap counter unreachable, counting in the database: %s", exc)
        counts = (_stored_today(None, now) + 1, _stored_today(widget, now) + 1)
    else:
        if any(count > cap for count, cap in zip(counts, caps, strict=True)):
            _release(keys)
    if any(count > cap for count, cap in zip(counts, caps, strict=True)):
        raise DailyCapReached(_seconds_to_midnight(now), locale)


def release_call(widget: Widget) -> None:
    """Give back today's reservation of a request that was not stored (a duplicate)."""
    try:
        _release(cap_keys(widget, utcnow()))
    except RedisError as exc:
        # The count stays one too high for the day: the safe side of a cap.
        log.warning("cap counter unreachable, reservation kept: %s", exc)


def _increment(keys: tuple[str, str]) -> tuple[int, int]:
    pipe = redis_connection().pipeline()
    for key in keys:
        pipe.incr(key)
        pipe.expire(key, KEY_TTL_SECONDS)
    results = pipe.execute()
    return int(results[0]), int(results[2])


def _release(keys: tuple[str, str]) -> None:
    pipe = redis_connection().pipeline()
    for key in keys:
        pipe.decr(key)
    pipe.execute()


def _stored_today(widget: Widget | None, now: datetime) -> int:
    midnight = datetime.combine(now.date(), time(0), tzinfo=now.tzinfo)
    query = select(func.count()).where(CallbackRequest.created_at >= midnight)
    if widget is not None:
        query = query.where(CallbackRequest.widget_id == widget.id)
    return db.session().scalar(query.select_from(CallbackRequest)) or 0


def _seconds_to_midnight(now: datetime) -> int:
    tomorrow = datetime.combine(now.date() + timedelta(days=1), time(0), tzinfo=now.tzinfo)
    return math.ceil((tomorrow - now).total_seconds())
