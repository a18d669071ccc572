"""The dial job's driver floor: the I/O a dial must do before its create, raw drivers only.

Run as an RQ job under RQ's SimpleWorker, since RQ's own cost is part of every dial job:

1. one transaction through psycopg: lock the request, choose and lock a free agent of
   its team (one with no live leg), insert the agent leg already marked sent, move the
   request to `calling_agent`, COMMIT. The leg must be on disk before the create is
   sent: that row is what keeps an agent from being rung twice for one attempt;
2. one call token from the shared bucket (workers/cps.py's Lua script, one EVALSHA);
3. the Calls create as the twilio library sends it (the same form fields, basic auth)
   through one kept `requests.Session`;
4. after the create (not timed): the call's SID on the leg.

No ORM, no Flask app, no job log, no phone-line or opening-hours checks, no retry of a
lost claim; and its busy-agent check runs on the statement's snapshot, where ours checks
again after the agent's row lock (so two jobs cannot ring one agent): a looser floor.
No dial job that keeps an agent from being rung twice can do less I/O than this before
its create, so its pickup latency bounds ours from below in the same run.
"""

from __future__ import annotations

import functools
import os
from typing import Any

import psycopg
import requests
from redis import Redis

from workers.cps import BUCKET_KEY, BUCKET_SCRIPT

QUEUE = "bench-dial-floor"
LIVE = ("pending", "unknown", "queued", "initiated", "ringing", "in-progress")
STATUS_EVENTS = ["initiated", "ringing", "answered", "completed"]

CLAIM = """
WITH request AS (
    SELECT r.id, r.round, w.caller_id, w.team
    FROM callback_requests r JOIN widgets w ON w.id = r.widget_id
    WHERE r.id = %(id)s AND r.status IN ('queued', 'scheduled', 'calling_agent')
    FOR UPDATE OF r
), agent AS (
    SELECT a.id, a.phone FROM agents a, request
    WHERE a.team = request.team AND a.active AND a.available
      AND NOT EXISTS (
          SELECT 1 FROM call_attempts c
          WHERE c.agent_id = a.id AND c.leg = 'agent' AND c.status = ANY(%(live)s)
      )
    ORDER BY a.priority, a.id
    LIMIT 1
    FOR UPDATE OF a SKIP LOCKED
), attempt AS (
    INSERT INTO call_attempts
        (request_id, leg, attempt_number, round, agent_id, status, created_at, sent_at)
    SELECT request.id, 'agent',
        (SELECT count(*) + 1 FROM call_attempts c WHERE c.request_id = request.id
         AND c.leg = 'agent'),
        request.round, agent.id, 'unknown', now(), now()
    FROM request, agent
    RETURNING id
), moved AS (
    UPDATE callback_requests r SET status = 'calling_agent', updated_at = now()
    FROM attempt WHERE r.id = %(id)s
)
SELECT attempt.id, agent.phone, request.caller_id FROM attempt, agent, request
"""


class _Drivers:
    """This process's connections, opened on its first job (as the real worker's are)."""

    def __init__(self) -> None:
        url = os.environ["DATABASE_URL"].replace("postgresql+psycopg://", "postgresql://")
        self.db = psycopg.connect(url)
        self.redis = Redis.from_url(os.environ["REDIS_URL"])
        self.bucket = self.redis.register_script(BUCKET_SCRIPT)
        self.rate = float(os.environ.get("TWILIO_CPS", "1"))
        self.http = requests.Session()
        self.http.auth = (os.environ["TWILIO_ACCOUNT_SID"], os.environ["TWILIO_AUTH_TOKEN"])
        base = os.environ["TWILIO_API_BASE_URL"].rstrip("/")
        self.calls_url = f"{base}/2010-04-01/Accounts/{os.environ['TWILIO_ACCOUNT_SID']}/Calls.json"
        self.public = os.environ["PUBLIC_BASE_URL"].rstrip("/")
        self.caller_id = os.environ.get("TWILIO_FROM_NUMBER")


@functools.cache
def _drivers() -> _Drivers:
    return _Drivers()


def dial_floor(request_id: str) -> str:
    """Dial the request's next free agent with the least I/O; return what was done."""
    drivers = _drivers()
    with drivers.db.transaction():
        row = drivers.db.execute(CLAIM, {"id": request_id, "live": list(LIVE)}).fetchone()
    if row is None:
        return "no_agent"
    attempt_id, agent_phone, caller_id = row
    if int(drivers.bucket(keys=[BUCKET_KEY], args=[drivers.rate, max(1.0, drivers.rate)])):
        return "paced"  # the benchmark's rate never waits; the floor does not either
    form: dict[str, Any] = {
        "To": agent_phone,
        "From": drivers.caller_id or caller_id,
        "Url": f"{drivers.public}/twilio/attempts/{attempt_id}/whisper",
        "StatusCallback": f"{drivers.public}/twilio/attempts/{attempt_id}/status",
        "StatusCallbackEvent": STATUS_EVENTS,
        "StatusCallbackMethod": "POST",
        "Timeout": 20,
    }
    answer = drivers.http.post(drivers.calls_url, data=form, timeout=(5, 30))
    answer.raise_for_status()
    with drivers.db.transaction():
        set_sid = "UPDATE call_attempts SET call_sid = %s WHERE id = %s"
        drivers.db.execute(set_sid, (answer.json()["sid"], attempt_id))
    return "dialled"
