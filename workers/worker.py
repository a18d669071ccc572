"""The `callback worker` command: an RQ worker with the scheduler, on the app's Redis.

It outlives a Redis outage. RQ's worker retries while it waits for a job, but an outage
that meets it anywhere else (finishing a job, its maintenance pass) ends its loop, and a
supervisor may not restart a process that exits 0. So the command starts a new worker
once Redis answers again, backing off up to a maintenance interval.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import time
from collections.abc import Callable
from types import FrameType

import click
from flask import current_app
from flask.cli import with_appcontext
from redis import Redis
from redis.exceptions import RedisError
from rq import SimpleWorker, Worker
from rq.exceptions import StopRequested
from rq.worker import BaseWorker

from callback.redis_client import (
    EVICTION_FIX,
    SAFE_EVICTION_POLICIES,
    eviction_policy,
    redis_connection,
)
from callback.telephony import preload_call_api
from workers.failures import scrub_failure
from workers.queues import CALLS_QUEUE, INTEGRATIONS_QUEUE

# RQ restarts a dead scheduler process (after a Redis outage) only in its maintenance
# pass, every 10 minutes by default: delayed retries would wait that long. Once its lock
# has expired (about a minute), a new scheduler starts within this many seconds.
MAINTENANCE_INTERVAL_SECONDS = 15
# An idle worker checks for maintenance only when its blocking wait for a job ends, after
# worker_ttl - 15 s (405 s by default): with no job arriving, a scheduler lost in an
# outage would stay down that long. This TTL ends the wait every 15 s.
WORKER_TTL_SECONDS = MAINTENANCE_INTERVAL_SECONDS + 15

log = logging.getLogger(__name__)


def check_eviction_policy(connection: Redis) -> None:
    """Refuse a Redis that may evict keys: an evicted job would be a lost callback."""
    policy = eviction_policy(connection)
    if policy is None:
        click.echo(
            "warning: cannot read maxmemory-policy (CONFIG disabled); make sure it is noeviction",
            err=True,
        )
        return
    if policy not in SAFE_EVICTION_POLICIES:
        raise click.ClickException(
            f"Redis maxmemory-policy is {policy!r}: it may evict queued callbacks. "
            f"Set it to noeviction ({EVICTION_FIX}) and start the worker again."
        )


@click.command("worker")
@click.option("--burst", is_flag=True, help="Exit when the queue is empty.")
@click.option(
    "--fork/--no-fork",
    default=False,
    help="Fork a child per job (RQ's Worker) instead of running jobs in-process.",
)
@click.option("--name", default=None, help="Worker name shown in queue health.")
@click.option(
    "--queue",
    "queues",
    multiple=True,
    type=click.Choice([CALLS_QUEUE, INTEGRATIONS_QUEUE]),
    default=[CALLS_QUEUE],
    show_default=True,
    help="Queue to take jobs from (repeat for several, first first). Webhooks, alerts and "
    "digests are on 'integrations', best run by a worker of their own: a job waiting on a "
    "customer's slow server must never hold up a dial.",
)
@with_appcontext
def worker_command(burst: bool, fork: bool, name: str | None, queues: tuple[str, ...]) -> None:
    """Run an RQ worker (with the scheduler) for the calls queue, or the ones given."""
    connection = redis_connection()
    check_eviction_policy(connection)
    worker_class = Worker if fork else SimpleWorker

    def build() -> BaseWorker:
        return worker_class(
            list(queues),
            connection=connection,
            name=name,
            exception_handlers=[scrub_failure],
            maintenance_interval=MAINTENANCE_INTERVAL_SECONDS,
            worker_ttl=WORKER_TTL_SECONDS,
        )

    # Before the first job (and before any fork): the first dial would wait for these.
    preload_call_api(current_app._get_current_object())  # type: ignore[attr-defined]
    if fork:
        # A forked child must not reuse the parent's pooled database connections.
        current_app.extensions["db"].engine.dispose(close=False)
    run_until_stopped(build, burst=burst, logging_level=current_app.config["LOG_LEVEL"])


def run_until_stopped(build: Callable[[], BaseWorker], burst: bool, logging_level: str) -> None:
    """Run RQ workers one after another until one is asked to stop (or, in burst, is done)."""
    delay = 1.0
    while True:
        worker = build()
        started = time.monotonic()
        try:
            worker.work(burst=burst, with_scheduler=True, logging_level=logging_level)
            # RQ's loop ends on a stop request, on an empty queue in burst mode, or on
            # an error it logged ("found an unhandled exception, quitting"). Its signal
            # handler dates every stop request; it flags only those that came mid-job.
            if burst or worker._shutdown_requested_date is not None:
                return
            reason = "its loop ended on an error"
        except RedisError as exc:  # raised on the way in or out (birth, death)
            reason = f"Redis unreachable ({type(exc).__name__})"
        if time.monotonic() - started > MAINTENANCE_INTERVAL_SECONDS:
            delay = 1.0  # a new outage after a good run starts the backoff afresh
        log.warning("worker %s stopped: %s; a new one starts in %.0fs", worker.name, reason, delay)
        if not _sleep_unless_stopped(delay):
            return
        _mark_dead(worker)
        delay = min(delay * 2, MAINTENANCE_INTERVAL_SECONDS)


def _sleep_unless_stopped(seconds: float) -> bool:
    """Sleep; return False if SIGINT or SIGTERM came meanwhile.

    RQ's handlers are still installed and would ask Redis for the worker's state, which
    may be the very thing that is down: ours just end the wait.
    """

    def stop(signum: int, frame: FrameType | None) -> None:
        raise StopRequested

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        time.sleep(seconds)
    except StopRequested:
        return False
    return True


def _mark_dead(worker: BaseWorker) -> None:
    """Record the ended worker's death, so that a new one may take a name given by --name."""
    # Still down: the next worker's start meets the outage and backs off again.
    with contextlib.suppress(RedisError):
        worker.register_death()
