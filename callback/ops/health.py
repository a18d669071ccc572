"""/healthz (the process answers) and /readyz (it can do its work), for probes."""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, Response, jsonify
from redis.exceptions import RedisError
from rq import Queue
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from callback import db
from callback.models import utcnow
from callback.ops.queue_health import live_workers, scheduler_alive
from callback.redis_client import redis_connection
from workers.queues import CALLS_QUEUE

bp = Blueprint("ops_health", __name__)
Check = tuple[bool, str]


@bp.get("/healthz")
def healthz() -> Response:
    """Answer without touching anything: the process is up."""
    return jsonify(status="ok")


def _database() -> Check:
    try:
        db.session().execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        db.session().rollback()
        return False, type(exc).__name__
    return True, "SELECT 1 answered"


def _redis() -> Check:
    try:
        redis_connection().ping()
    except RedisError as exc:
        return False, type(exc).__name__
    return True, "PING answered"


def _workers() -> Check:
    try:
        alive = live_workers(Queue(CALLS_QUEUE, connection=redis_connection()), utcnow())
    except RedisError as exc:
        return False, type(exc).__name__
    return bool(alive), f"{len(alive)} worker(s) with a recent heartbeat"


def _scheduler() -> Check:
    try:
        alive = scheduler_alive(redis_connection(), CALLS_QUEUE)
    except RedisError as exc:
        return False, type(exc).__name__
    return alive, "scheduler lock held" if alive else "no scheduler holds the lock"


# Checks that need Redis; skipped (and failed) when Redis itself does not answer, so a
# probe during an outage returns at once instead of timing out once per check.
REDIS_CHECKS: dict[str, Callable[[], Check]] = {"worker": _workers, "scheduler": _scheduler}


@bp.get("/readyz")
def readyz() -> tuple[Response, int]:
    """Run every check; 503 unless all pass, with each check named in the body."""
    results = {"database": _database(), "redis": _redis()}
    for name, check in REDIS_CHECKS.items():
        results[name] = check() if results["redis"][0] else (False, "Redis does not answer")
    ready = all(ok for ok, _ in results.values())
    body = {
        "status": "ready" if ready else "not_ready",
        "checks": {name: {"ok": ok, "detail": detail} for name, (ok, detail) in results.items()},
    }
    return jsonify(body), 200 if ready else 503
