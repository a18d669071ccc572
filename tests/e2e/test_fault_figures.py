"""Fault figures: the Procfile's worker and cron processes, broken as a supervisor sees them.

Nobody runs the reconciler by hand here: `callback cron` has it run every few seconds,
as in production (every 30 s there). Each test asserts the promise (every request
completed, every visitor dialled exactly once) and prints how long each request took
from its submission to its end, next to the reconciler's period; it times nothing.
"""

from __future__ import annotations

import os
import random
import re
import signal
import statistics
import time
from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from redis import Redis
from rq.registry import FailedJobRegistry
from rq.scheduler import RQScheduler
from sqlalchemy import Engine

from callback.models import CallbackRequest, RequestStatus, Widget, utcnow
from tests.e2e.conftest import AGENTS, visitor
from tests.e2e.private_redis import PrivateRedis
from tests.e2e.stack import Stack, running_stack
from tests.e2e.test_faults import assert_one_call_per_leg
from workers.queues import CALLS_QUEUE, dial_job_id

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

# Seconds between reconciler runs, and its stale cut-off: 30 in production; short here so
# the suite stays quick. FAULT_FIGURES_PERIOD=30 gives production's figures.
PERIOD = int(os.environ.get("FAULT_FIGURES_PERIOD") or 3)
FIGURES = {
    "TWILIO_CPS": "200",
    "RATELIMIT_ENABLED": "false",
    "RECONCILE_EVERY_SECONDS": str(PERIOD),
    "RECONCILE_STALE_SECONDS": str(PERIOD),
    "RECONCILE_SILENT_CALL_SECONDS": str(PERIOD),
}
ALL_DONE_SECONDS = 240.0  # a bound on the wait, not a figure under test
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[PrivateRedis]:
    server = PrivateRedis(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def procfile(
    settings: dict[str, Any], clean_db: Engine, tmp_path: Path, redis_server: PrivateRedis
) -> Iterator[Stack]:
    """Web, one worker and `callback cron`, on a Redis of the test's own."""
    overrides = {**FIGURES, "REDIS_URL": redis_server.url}
    with running_stack(settings, clean_db, tmp_path / "procs", overrides=overrides) as live:
        live.start_cron()
        live.wait_until(  # cron is up once the worker has run a reconciler job it enqueued
            lambda: (
                # RQ names the scheduler's queues in no fixed order.
                re.search(r"Scheduler for [^\n]*\bcalls\b[^\n]* started", live.worker_logs())
                and "Job OK" in live.worker_logs()
            ),
            "the worker, its scheduler and cron to be up",
        )
        yield live


def _all_ended(stack: Stack, ids: list[str]) -> list[CallbackRequest]:
    deadline = time.monotonic() + ALL_DONE_SECONDS
    while True:
        rows = [stack.stored_request(i) for i in ids]
        if all(row.status.is_terminal for row in rows) or time.monotonic() > deadline:
            return rows
        time.sleep(0.5)


def _report(
    name: str, rows: list[CallbackRequest], since: datetime | None = None, extra: str = ""
) -> str:
    """Return (and print, and keep under test-artifacts/) how long each request took."""
    took = sorted(
        (row.ended_at - (since or row.created_at)).total_seconds()
        for row in rows
        if row.ended_at is not None
    )
    ended = Counter(row.status.value for row in rows)
    line = (
        f"{name}: {dict(ended)} of {len(rows)}; "
        f"{'recovery' if since else 'submission'} to end "
        f"median {statistics.median(took):.1f}s, max {max(took):.1f}s; "
        f"reconciler every {PERIOD}s, stale after {PERIOD}s{extra}"
    )
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / f"fault-figures-{name.split()[0].lower()}.txt").write_text(line + "\n")
    print(line)
    return line


def _scheduler_back(server: PrivateRedis, back: datetime) -> float:
    """Wait for the worker to start its RQ scheduler again; return how long after `back`."""
    lock = RQScheduler.get_locking_key(CALLS_QUEUE)
    connection = Redis.from_url(server.url)
    deadline = time.monotonic() + ALL_DONE_SECONDS
    while not connection.exists(lock):
        assert time.monotonic() < deadline, "the worker's scheduler never came back"
        time.sleep(0.5)
    return (utcnow() - back).total_seconds()


def test_figures_worker_killed_10_times_while_20_requests_are_in_flight(
    procfile: Stack, widget: Widget
) -> None:
    chance = random.Random(20261130)
    ids: list[str] = []
    for n in range(20):
        ids.append(procfile.submit(widget.key, visitor(n))["id"])
        if n % 2:  # ten times, at a random point of its work
            time.sleep(chance.uniform(0.05, 0.6))
            worker = next(p for p in reversed(procfile.workers) if p.args[-1] == "worker")
            os.killpg(worker.pid, signal.SIGKILL)  # the worker and its scheduler process
            worker.wait()
            procfile.start_worker()  # as its supervisor would
    rows = _all_ended(procfile, ids)
    _report("kill -9 of the worker x10 during 20 requests", rows)
    assert [row.status for row in rows] == [RequestStatus.COMPLETED] * 20
    assert_one_call_per_leg(procfile, ids)
    visitor_calls = Counter(c["to"] for c in procfile.sandbox.calls() if c["to"] not in AGENTS)
    assert visitor_calls == Counter({visitor(n): 1 for n in range(20)})


def test_figures_redis_down_while_10_requests_arrive(
    procfile: Stack, widget: Widget, redis_server: PrivateRedis
) -> None:
    redis_server.stop()  # the worker and cron stay up, as a supervisor would leave them
    ids = [procfile.submit(widget.key, visitor(n))["id"] for n in range(10)]
    assert all(procfile.stored_request(i).status == RequestStatus.QUEUED for i in ids)
    # Down until the processes have met the outage (cron says so), not for a set time.
    procfile.wait_until(lambda: "Redis unreachable" in procfile.worker_logs(), "cron to notice")
    redis_server.start()  # empty: whatever it held is gone
    back = utcnow()
    rows = _all_ended(procfile, ids)
    scheduler_back = _scheduler_back(redis_server, back)
    _report(
        "Redis down while 10 requests arrived",
        rows,
        back,
        f"; the worker's RQ scheduler back {scheduler_back:.0f}s after Redis",
    )
    assert [row.status for row in rows] == [RequestStatus.COMPLETED] * 10
    assert all(p.poll() is None for p in procfile.workers), "a process died on the outage"
    assert_one_call_per_leg(procfile, ids)
    visitor_calls = Counter(c["to"] for c in procfile.sandbox.calls() if c["to"] not in AGENTS)
    assert visitor_calls == Counter({visitor(n): 1 for n in range(10)})


def test_figures_twilio_down_longer_than_the_dial_jobs_retries(
    procfile: Stack, widget: Widget, redis_server: PrivateRedis
) -> None:
    procfile.sandbox.set_chaos(create={"respond": "500", "count": 100_000})
    request_id = procfile.submit(widget.key, visitor(0))["id"]
    failed = FailedJobRegistry(CALLS_QUEUE, connection=Redis.from_url(redis_server.url))
    deadline = time.monotonic() + ALL_DONE_SECONDS
    first_dial = dial_job_id(request_id, 1)  # the submission's own job, with RQ's retries
    while first_dial not in failed.get_job_ids():
        assert time.monotonic() < deadline, "the dial job never used up its retries"
        time.sleep(0.5)  # RQ's own backoff: about a minute and a half in all
    procfile.sandbox.set_chaos(create=None)  # Twilio is back
    back = utcnow()
    [row] = _all_ended(procfile, [request_id])
    _report("Twilio 500 past the dial job's 6 retries", [row], back)
    assert row.status == RequestStatus.COMPLETED
    assert_one_call_per_leg(procfile, [request_id])
