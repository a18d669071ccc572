"""The `callback worker` command: an RQ worker with the scheduler, on the app's Redis."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext
from redis import Redis
from rq import SimpleWorker, Worker

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
    worker = worker_class(
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
    worker.work(
        burst=burst,
        with_scheduler=True,
        logging_level=current_app.config["LOG_LEVEL"],
    )
