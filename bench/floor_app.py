"""The driver floor: what the form and the webhook must send, with nothing else.

Same Flask and gunicorn as the app, same validation libraries, same statements and Redis
round trips, sent through the raw drivers (psycopg or sqlite3, redis-py): no ORM, no RQ,
no rate limits, no metrics. The ratio floor/bare is the most any implementation of the
same I/O could reach on the machine; the app's ratio to the floor is its own overhead.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import uuid
from typing import Any

import phonenumbers
from flask import Flask, Response, abort, jsonify, request
from redis import Redis
from twilio.request_validator import RequestValidator

from bench.bare_app import create_bare_app

FLOOR_TABLE = "bench_floor_requests"
phonenumbers.enable_pattern_cache()  # as the app does (callback/phones/policy.py)


class Drivers:
    """One database connection per thread (autocommit) and one Redis client."""

    def __init__(self, database_url: str, redis_url: str) -> None:
        self.database_url = database_url
        self.redis = Redis.from_url(redis_url)
        self._local = threading.local()

    @property
    def sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def connection(self) -> Any:
        if getattr(self._local, "pid", None) != os.getpid():
            self._local.connection = self._connect()
            self._local.pid = os.getpid()
        return self._local.connection

    def _connect(self) -> Any:
        if self.sqlite:
            path = self.database_url.split("///", 1)[1]
            return sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=15)
        import psycopg  # noqa: PLC0415 - only the PostgreSQL mode needs it

        return psycopg.connect(self.database_url.replace("+psycopg", ""), autocommit=True)

    def execute(self, sql: str, params: tuple[Any, ...]) -> Any:
        return self.connection().execute(sql if not self.sqlite else sql.replace("%s", "?"), params)


def create_floor_app() -> Flask:
    """Return the bare app with the form and the status webhook doing their I/O."""
    app = create_bare_app()
    drivers = Drivers(os.environ["DATABASE_URL"], os.environ["REDIS_URL"])
    token = os.environ["TWILIO_AUTH_TOKEN"]
    base_url = os.environ["PUBLIC_BASE_URL"]
    drivers.execute(
        f"CREATE TABLE IF NOT EXISTS {FLOOR_TABLE} "
        "(id VARCHAR(36) PRIMARY KEY, widget_key VARCHAR(64), phone VARCHAR(20))",
        (),
    )
    drivers.execute(
        f"CREATE UNIQUE INDEX IF NOT EXISTS {FLOOR_TABLE}_pending "
        f"ON {FLOOR_TABLE} (widget_key, phone)",
        (),
    )
    app.view_functions["create_callback"] = lambda key: _submit(drivers, key)
    app.view_functions["call_status"] = lambda attempt_id: _status(
        drivers, RequestValidator(token), base_url, attempt_id
    )
    return app


def _submit(drivers: Drivers, key: str) -> tuple[Response, int]:
    body = request.get_json()
    number = phonenumbers.parse(str(body.get("phone")), "GB")
    if not phonenumbers.is_valid_number(number):
        abort(422)
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    caps = drivers.redis.pipeline()  # the daily caps: one MULTI of 2 INCRBY + 2 EXPIRE
    for name in ("floor:cap:global", f"floor:cap:{key}"):
        caps.incr(name)
        caps.expire(name, 172800)
    caps.execute()
    request_id = str(uuid.uuid4())
    drivers.execute(
        f"INSERT INTO {FLOOR_TABLE} VALUES (%s, %s, %s) ON CONFLICT DO NOTHING RETURNING id",  # noqa: S608 - fixed name
        (request_id, key, e164),
    ).fetchone()
    job = drivers.redis.pipeline()  # the enqueue: one MULTI of SADD, HSET, RPUSH
    job.sadd("floor:queues", "floor:queue")
    job.hset(f"floor:job:{request_id}", mapping={"data": json.dumps([request_id]) * 8})
    job.rpush("floor:queue", request_id)
    job.execute()
    status_url = f"{request.host_url}api/v1/callbacks/{request_id}?token=x"
    answer = {"id": request_id, "status": "queued", "status_url": status_url}
    return jsonify({**answer, "scheduled_for": None}), 202


def _status(
    drivers: Drivers, validator: RequestValidator, base_url: str, attempt_id: int
) -> tuple[str, int]:
    form = request.form.to_dict()
    url = base_url + request.path
    if not validator.validate(url, form, request.headers.get("X-Twilio-Signature", "")):
        abort(403)
    connection = drivers.connection()
    # As the app does (callback/db.py): SQLite takes the write lock up front, or two
    # writers upgrading a read lock at once fail instead of waiting.
    connection.execute("BEGIN IMMEDIATE" if drivers.sqlite else "BEGIN")
    try:
        found = drivers.execute(
            "SELECT a.id, a.status, r.id, r.status FROM call_attempts a "
            "JOIN callback_requests r ON r.id = a.request_id WHERE a.id = %s",
            (attempt_id,),
        ).fetchone()
        if found is None:
            abort(404)
        drivers.execute(
            "INSERT INTO call_events (call_sid, attempt_id, sequence_number, status, params, "
            "received_at) VALUES (%s, %s, %s, %s, %s, CURRENT_TIMESTAMP) "
            "ON CONFLICT DO NOTHING RETURNING id",
            (form["CallSid"], attempt_id, int(form["SequenceNumber"]), form["CallStatus"], "{}"),
        ).fetchone()
        drivers.execute(
            "UPDATE call_attempts SET status = %s WHERE id = %s", (form["CallStatus"], attempt_id)
        )
        drivers.execute(
            "UPDATE callback_requests SET updated_at = CURRENT_TIMESTAMP WHERE id = %s",
            (found[2],),
        )
    finally:
        connection.execute("COMMIT")
    return "", 204
