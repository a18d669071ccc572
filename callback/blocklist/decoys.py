"""What a blocked visitor is shown: an accepted request that is never called.

A blocked submission must be answered exactly as an accepted one, or the list could be
probed (post numbers, prefixes or addresses and watch which answers differ). So it gets
a fresh random id and a status URL like any other, and nothing is stored in the database
or dialled. Following that URL must not tell either: Redis keeps, for
RETENTION_MAX_HOURS, the decoy's id with its widget, status and times (never the number),
and the status endpoint shows it as a request still waiting, which a visitor may withdraw.
A second post of the same number meanwhile is answered "already requested", as for a
pending request; that marker is named by the number's keyed hash and in the number's
index (hashing.py), so a data-subject erasure deletes it.

The trade-off, said plainly: a decoy stays `queued` (or `scheduled`) until it vanishes,
where a real request would be called and end; after RETENTION_MAX_HOURS its status URL
answers 404 like an unknown id, and the visitor is, of course, never called. Whoever can
wait that long on a number they own learns it is blocked; a bulk prober learns nothing
from the answers. If Redis cannot keep the decoy, the answer is still the same, and only
its status URL answers 404. A decoy skips the INSERT, so it may answer a few
milliseconds sooner: within the jitter of a request over the Internet.
"""

from __future__ import annotations

import json
import logging
import uuid
from datetime import datetime

from flask import current_app
from redis.exceptions import RedisError
from sqlalchemy.orm import Session

from callback.models import CallbackRequest, RequestStatus, Widget, iso, utcnow
from callback.phones.hashing import PHONE_KEY_PREFIX, index_phone_keys, phone_redis_key
from callback.redis_client import redis_connection

log = logging.getLogger(__name__)
DECOY_PREFIX = "callback:decoy:"


def _ttl() -> int:
    return max(int(float(current_app.config["RETENTION_MAX_HOURS"]) * 3600), 60)


def _pending_key(widget: Widget, e164: str) -> str:
    return phone_redis_key(e164, f"decoy:{widget.id}")


def has_pending(widget: Widget, e164: str) -> bool:
    """Return whether the number has a decoy waiting at this widget."""
    try:
        return bool(redis_connection().exists(_pending_key(widget, e164)))
    except RedisError as exc:
        log.warning("decoy store unreachable: %s", exc)
        return False


def make_decoy(
    widget: Widget,
    e164: str,
    status: RequestStatus,
    scheduled_for: datetime | None,
    locale: str | None,
) -> uuid.UUID:
    """Return a fresh request id for a blocked submission, kept as a decoy in Redis."""
    request_id = uuid.uuid4()
    now = utcnow()
    record = {
        "widget_id": widget.id,
        "status": status.value,
        "outcome": None,
        "scheduled_for": scheduled_for.isoformat() if scheduled_for else None,
        "created_at": now.isoformat(),
        "ended_at": None,
        "locale": locale,
    }
    try:
        index_phone_keys(redis_connection(), e164, {_pending_key(widget, e164): _ttl()})
        pipe = redis_connection().pipeline()
        pipe.set(DECOY_PREFIX + str(request_id), json.dumps(record), ex=_ttl())
        pipe.set(_pending_key(widget, e164), str(request_id), ex=_ttl())
        pipe.execute()
    except RedisError as exc:
        log.warning("decoy store unreachable, its status URL will answer 404: %s", exc)
    return request_id


def find_decoy(session: Session, request_id: uuid.UUID) -> CallbackRequest | None:
    """Return the decoy `request_id` as an unsaved request (never added to a session)."""
    try:
        raw = redis_connection().get(DECOY_PREFIX + str(request_id))
    except RedisError as exc:
        log.warning("decoy store unreachable: %s", exc)
        return None
    if raw is None:
        return None
    record = json.loads(raw)
    widget = session.get(Widget, record["widget_id"])
    if widget is None:
        return None
    created = datetime.fromisoformat(record["created_at"])
    scheduled = _time(record["scheduled_for"])
    ended = _time(record["ended_at"])
    decoy = CallbackRequest(
        id=request_id,
        widget_id=widget.id,
        status=RequestStatus(record["status"]),
        outcome=record["outcome"],
        locale=record["locale"],
        round=1,
        scheduled_for=scheduled,
        wanted_at=scheduled or created,
        created_at=created,
        updated_at=ended or created,
        ended_at=ended,
    )
    decoy.widget = widget
    return decoy


def withdraw_decoy(decoy: CallbackRequest) -> None:
    """Store a decoy the lifecycle has withdrawn (it shows canceled); free its number."""
    record = {
        "widget_id": decoy.widget_id,
        "status": decoy.status.value,
        "outcome": decoy.outcome,
        "scheduled_for": None,
        "created_at": decoy.created_at.isoformat(),
        "ended_at": iso(decoy.ended_at),
        "locale": decoy.locale,
    }
    try:
        redis = redis_connection()
        redis.set(DECOY_PREFIX + str(decoy.id), json.dumps(record), keepttl=True)
        # The number is not known here, only its marker's value: withdrawing is rare.
        # SCAN in large steps: a blocked visitor can make this happen at will.
        pattern = f"{PHONE_KEY_PREFIX}*:decoy:{decoy.widget_id}"
        for key in redis.scan_iter(match=pattern, count=1000):
            if redis.get(key) == str(decoy.id).encode():
                redis.delete(key)
    except RedisError as exc:
        log.warning("decoy store unreachable: %s", exc)


def _time(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None
