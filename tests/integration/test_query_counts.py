"""What one submission and one status callback cost, in statements and commands.

Counts, not timings: they do not depend on the machine, so they may only go down. The
limits are the figures recorded in BENCHMARKS.md; raise one only with a reason there.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from redis import Redis
from sqlalchemy import Connection, Engine

from bench.counting import Counts, counting
from callback import db
from tests.app_with import app_with
from tests.factories import make_agent_leg, make_widget
from tests.twilio_signing import signed_post
from tests.visitors import submitted

# The blocklist's one indexed SELECT (callback/blocklist/matching.py: the number's hash,
# its prefixes and the address's networks, this widget's and global entries, so a new
# entry holds at once in every process), then one INSERT ... ON CONFLICT DO NOTHING: the
# widget comes from the process's cache and the pending-request check is the partial
# unique index (issue #11 allows at most 3).
MAX_SQL_PER_SUBMISSION = 2
# Rate limits on: Flask-Limiter's moving window (2 EVALSHA before, 1 for its headers),
# per-widget, per-number (2 windows) and new-number counters (MULTI/INCRBY/EXPIRE/EXEC
# each, SET NX), the number's key index (one EVALSHA, callback/phones/hashing.py), daily
# caps (one MULTI of 2 INCRBY + 2 EXPIRE), RQ enqueue (one MULTI of SADD, 2 HSET, RPUSH).
# MULTI and EXEC count as commands; a MULTI block is one trip.
MAX_REDIS_PER_SUBMISSION = 33
MAX_REDIS_TRIPS_PER_SUBMISSION = 11
# Rate limits off: only the daily caps (6) and RQ's enqueue (6), a round trip each.
MAX_REDIS_PER_SUBMISSION_UNLIMITED = 12
MAX_REDIS_TRIPS_PER_SUBMISSION_UNLIMITED = 2
# Attempt and request in one SELECT, INSERT ... ON CONFLICT DO NOTHING, UPDATE attempt,
# UPDATE request (ringing time).
MAX_SQL_PER_WEBHOOK = 4
MAX_REDIS_PER_WEBHOOK = 0
ORIGIN = "https://www.example.com"
# The test harness turns each commit into SAVEPOINT ... RELEASE (tests/conftest.py); one
# pair is that commit, where a server sends BEGIN ... COMMIT, which are not counted.
HARNESS_SAVEPOINT_STATEMENTS = 2


def _queries(counts: Counts) -> int:
    """Return the statements sent, the harness's savepoint pair for the commit aside."""
    savepoints = [s for s in counts.sql if s.upper().startswith(("SAVEPOINT", "RELEASE"))]
    assert len(savepoints) <= HARNESS_SAVEPOINT_STATEMENTS, counts.summary()
    return counts.sql_count - len(savepoints)


def _bound_connection(app: Flask) -> Connection:
    """Return the connection the test's sessions share (its statements are the ones sent)."""
    bind: Connection = db.database(app).sessionmaker.kw["bind"]
    return bind


def _count_submission(app: Flask, client: FlaskClient, redis: Redis) -> Counts:
    widget = make_widget()
    # Warms pools and statement caches.
    submitted(client, widget.key, "+442079460101", headers={"Origin": ORIGIN})
    with counting(_bound_connection(app), redis) as counts:
        submitted(client, widget.key, "+442079460102", headers={"Origin": ORIGIN})
    return counts


def test_a_submission_stays_within_its_sql_and_redis_budget(
    app: Flask, client: FlaskClient, redis: Redis
) -> None:
    counts = _count_submission(app, client, redis)
    assert _queries(counts) <= MAX_SQL_PER_SUBMISSION, counts.summary()
    assert counts.redis_count <= MAX_REDIS_PER_SUBMISSION, counts.summary()
    assert counts.redis_round_trips <= MAX_REDIS_TRIPS_PER_SUBMISSION, counts.summary()


def test_without_rate_limits_a_submission_sends_a_handful_of_redis_commands(
    settings: dict[str, Any], engine: Engine, redis: Redis
) -> None:
    with app_with({**settings, "RATELIMIT_ENABLED": False}, engine) as app:
        counts = _count_submission(app, app.test_client(), redis)
    assert _queries(counts) <= MAX_SQL_PER_SUBMISSION, counts.summary()
    assert counts.redis_count <= MAX_REDIS_PER_SUBMISSION_UNLIMITED, counts.summary()
    assert counts.redis_round_trips <= MAX_REDIS_TRIPS_PER_SUBMISSION_UNLIMITED, counts.summary()


def test_a_status_callback_stays_within_its_sql_and_redis_budget(
    app: Flask, client: FlaskClient, redis: Redis
) -> None:
    attempt = make_agent_leg("CA" + "1" * 32)
    path = f"/twilio/attempts/{attempt.id}/status"
    form = {"CallSid": str(attempt.call_sid), "CallStatus": "initiated", "SequenceNumber": "0"}
    assert signed_post(client, path, form).status_code == 204  # warms the statement cache
    with counting(_bound_connection(app), redis) as counts:
        answer = signed_post(client, path, {**form, "CallStatus": "ringing", "SequenceNumber": "1"})
    assert answer.status_code == 204
    assert _queries(counts) <= MAX_SQL_PER_WEBHOOK, counts.summary()
    assert counts.redis_count <= MAX_REDIS_PER_WEBHOOK, counts.summary()
