"""Fault injection: whatever dies, an accepted request is called once or ends with a reason.

Each test runs the real pieces (web app, RQ worker process, sandbox) on a real database
and Redis, breaks one of them, and counts the calls the sandbox actually placed.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from redis import Redis
from sqlalchemy import Engine

from callback.models import Leg, RequestStatus, Widget
from tests.e2e.conftest import AGENTS, visitor
from tests.e2e.private_redis import PrivateRedis, shut_down
from tests.e2e.stack import Stack, running_stack
from tests.residue import find_number
from workers.queues import calls_queue
from workers.reconcile import reconcile

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

TERMINAL = (RequestStatus.COMPLETED, RequestStatus.FAILED, RequestStatus.CANCELED)
# Fast, unthrottled settings for fault tests: the faults are what is under test.
FAST = {
    "TWILIO_CPS": "200",
    "RATELIMIT_ENABLED": "false",
    "RECONCILE_STALE_SECONDS": "0",
    "RECONCILE_SILENT_CALL_SECONDS": "0",
}


@pytest.fixture
def fast_stack(settings: dict[str, Any], clean_db: Engine, tmp_path: Path) -> Iterator[Stack]:
    with running_stack(settings, clean_db, tmp_path, overrides=FAST) as live:
        yield live


def run_reconciler(stack: Stack) -> None:
    """Enqueue the periodic reconciler job now, as RQ's cron would, for the worker to run."""
    with stack.app.app_context():
        calls_queue().enqueue(reconcile, result_ttl=0)


def settle(stack: Stack, request_ids: list[str]) -> None:
    """Run the reconciler until every request has ended, like the cron would every 30 s."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        pending = [i for i in request_ids if stack.stored_request(i).status not in TERMINAL]
        if not pending:
            return
        run_reconciler(stack)
        time.sleep(1.0)
    raise AssertionError(f"{len(pending)} requests never ended")


def assert_one_call_per_leg(stack: Stack, request_ids: list[str]) -> None:
    """Each attempt row has its own sandbox call; no number got a second visitor leg."""
    calls = stack.sandbox.calls()
    sids = Counter(call["sid"] for call in calls)
    for request_id in request_ids:
        legs = stack.wait_settled(request_id)
        placed = [leg for leg in legs if leg.call_sid is not None]
        assert len({leg.call_sid for leg in placed}) == len(placed)
        assert all(sids[leg.call_sid] == 1 for leg in placed)
        assert len([leg for leg in legs if leg.leg == Leg.VISITOR]) <= 1
    agent_calls = [c for c in calls if c["to"] in AGENTS]
    adopted = {leg.call_sid for i in request_ids for leg in stack.attempts(i)}
    # No agent was rung by a call that no attempt row accounts for.
    assert {c["sid"] for c in agent_calls} <= adopted


def assert_no_residue(stack: Stack, engine: Engine, redis_url: str, numbers: list[str]) -> None:
    logs = stack.worker_logs()
    connection = Redis.from_url(redis_url)
    for number in numbers:
        assert find_number(number, engine, connection, logs) == []


def test_redis_down_while_50_requests_arrive_then_each_is_dialled_once(
    settings: dict[str, Any], clean_db: Engine, widget: Widget, tmp_path: Path
) -> None:
    engine = clean_db
    private = PrivateRedis(tmp_path)
    private.start()
    overrides = {**FAST, "REDIS_URL": private.url}
    with running_stack(settings, engine, tmp_path / "outage", overrides=overrides) as live:
        live.stop_workers()
        private.stop()
        ids = [live.submit(widget.key, visitor(n))["id"] for n in range(50)]
        assert all(live.stored_request(i).status == RequestStatus.QUEUED for i in ids)
        private.start()
        live.start_worker()
        settle(live, ids)
        assert all(live.stored_request(i).status == RequestStatus.COMPLETED for i in ids)
        assert_one_call_per_leg(live, ids)
        visitor_calls = Counter(c["to"] for c in live.sandbox.calls() if c["to"] not in AGENTS)
        assert visitor_calls == Counter({visitor(n): 1 for n in range(50)})
        assert_no_residue(live, engine, private.url, [visitor(n) for n in range(50)])
        live.stop_workers()
    private.stop()


def test_worker_outlives_a_redis_outage_that_meets_it_as_a_job_ends(
    settings: dict[str, Any], clean_db: Engine, widget: Widget, tmp_path: Path
) -> None:
    private = PrivateRedis(tmp_path)
    private.start()
    overrides = {**FAST, "REDIS_URL": private.url}
    with running_stack(settings, clean_db, tmp_path / "outage", overrides=overrides) as live:
        [worker] = live.workers
        with live.app.app_context():
            calls_queue().enqueue(shut_down, private.url)
        live.wait_until(
            lambda: "quitting" in live.worker_logs() or worker.poll() is not None,
            "RQ's worker loop to end on the outage",
        )
        private.start()  # empty, as after a restart
        request_id = live.submit(widget.key, visitor(7))["id"]
        assert live.wait_for_status(request_id, *TERMINAL).status == RequestStatus.COMPLETED
        assert worker.poll() is None, "the worker process exited on the outage"
        assert "a new one starts" in live.worker_logs()
    private.stop()


def test_worker_killed_at_random_points_never_doubles_a_call(
    fast_stack: Stack, widget: Widget, settings: dict[str, Any], clean_db: Engine
) -> None:
    engine = clean_db
    stack = fast_stack
    stack.stop_workers()
    chance = random.Random(20261127)
    ids = []
    for n in range(50):
        ids.append(stack.submit(widget.key, visitor(n))["id"])
        worker = stack.start_worker()
        time.sleep(chance.uniform(0.3, 1.5))  # from start-up to mid-job to idle
        os.killpg(worker.pid, signal.SIGKILL)  # the worker and its scheduler process
        worker.wait()
    stack.start_worker()
    settle(stack, ids)
    assert_one_call_per_leg(stack, ids)
    statuses = Counter(stack.stored_request(i).status for i in ids)
    assert set(statuses) <= set(TERMINAL), statuses
    assert_no_residue(stack, engine, settings["REDIS_URL"], [visitor(n) for n in range(50)])


def test_create_answered_429_three_times_then_accepted_places_one_call(
    fast_stack: Stack, widget: Widget
) -> None:
    fast_stack.sandbox.set_chaos(create={"respond": "429", "count": 3})
    request_id = fast_stack.submit(widget.key, visitor(1))["id"]
    done = fast_stack.wait_for_status(request_id, *TERMINAL)
    assert done.status == RequestStatus.COMPLETED
    legs = fast_stack.wait_settled(request_id)
    agent_legs = [leg for leg in legs if leg.leg == Leg.AGENT]
    assert [leg.status for leg in agent_legs] == ["not_created"] * 3 + ["completed"]
    assert {leg.error_code for leg in agent_legs[:3]} == {20429}
    assert len([c for c in fast_stack.sandbox.calls() if c["to"] in AGENTS]) == 1


def test_create_that_never_answers_is_found_by_listing_not_redialled(
    settings: dict[str, Any], clean_db: Engine, widget: Widget, tmp_path: Path
) -> None:
    engine = clean_db
    overrides = {**FAST, "TWILIO_READ_TIMEOUT": "1"}
    with running_stack(settings, engine, tmp_path / "hang", overrides=overrides) as live:
        # The agent leg's own callbacks are dropped too, so only listing can find it.
        live.sandbox.set_chaos(
            callbacks=[{"drop": True, "to": AGENTS[0]}],
            create={"respond": "hang", "count": 1, "hang_seconds": 3},
        )
        request_id = live.submit(widget.key, visitor(2))["id"]
        done = live.wait_for_status(request_id, *TERMINAL)
        assert done.status == RequestStatus.COMPLETED
        # The request ended without the agent leg's callbacks: the reconciler lists the
        # agent's calls to find it, then asks the REST API how it ended.
        live.wait_until(lambda: _reconciled(live), "the lost create to be found")
        legs = live.wait_settled(request_id)
        assert len([leg for leg in legs if leg.leg == Leg.AGENT]) == 1
        assert len([c for c in live.sandbox.calls() if c["to"] in AGENTS]) == 1
        assert "create answer lost" in live.worker_logs()


def test_dropped_status_callbacks_are_finished_by_the_reconciler(
    fast_stack: Stack, widget: Widget
) -> None:
    fast_stack.sandbox.set_chaos(callbacks=[{"drop": True}])
    request_id = fast_stack.submit(widget.key, visitor(3))["id"]
    fast_stack.wait_for_status(request_id, *TERMINAL)
    assert {leg.status for leg in fast_stack.attempts(request_id)} != {"completed"}
    fast_stack.wait_calls_ended("calls to end")
    run_reconciler(fast_stack)
    legs = fast_stack.wait_settled(request_id)
    assert [leg.status for leg in legs] == ["completed", "completed"]


def _reconciled(stack: Stack) -> bool:
    if "adopted lost call" in stack.worker_logs():
        return True
    run_reconciler(stack)
    time.sleep(0.5)
    return False


def _postgres_cluster() -> list[str] | None:
    if not (os.environ.get("DATABASE_URL") or "").startswith("postgresql"):
        return None
    versions = sorted(os.listdir("/etc/postgresql")) if os.path.isdir("/etc/postgresql") else []
    if not versions or shutil.which("pg_ctlcluster") is None:
        return None
    return ["pg_ctlcluster", "--skip-systemctl-redirect", versions[-1], "main"]


@pytest.mark.skipif(_postgres_cluster() is None, reason="needs a local PostgreSQL cluster")
def test_database_restart_mid_run_recovers_without_restarting_the_service(
    fast_stack: Stack, widget: Widget
) -> None:
    cluster = _postgres_cluster() or []
    first = fast_stack.submit(widget.key, visitor(4))["id"]
    assert fast_stack.wait_for_status(first, *TERMINAL).status == RequestStatus.COMPLETED
    subprocess.run([*cluster, "restart"], check=True)  # noqa: S603 - fixed local command
    second = fast_stack.submit(widget.key, visitor(5))["id"]
    assert fast_stack.wait_for_status(second, *TERMINAL).status == RequestStatus.COMPLETED
    assert all(worker.poll() is None for worker in fast_stack.workers)


def test_sigterm_lets_the_dial_in_progress_finish_before_the_worker_exits(
    settings: dict[str, Any], clean_db: Engine, widget: Widget, tmp_path: Path
) -> None:
    overrides = {**FAST, "TWILIO_READ_TIMEOUT": "10"}
    with running_stack(settings, clean_db, tmp_path, overrides=overrides) as live:
        live.sandbox.set_chaos(create={"respond": "hang", "count": 1, "hang_seconds": 2})
        request_id = live.submit(widget.key, visitor(6))["id"]
        live.wait_until(lambda: bool(live.attempts(request_id)), "the dial to be under way")
        worker = live.workers[0]
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=30) == 0
        agent_leg = live.attempts(request_id)[0]
        assert agent_leg.call_sid is not None
        assert "create answer lost" not in live.worker_logs()
        assert live.wait_for_status(request_id, *TERMINAL).status == RequestStatus.COMPLETED
