"""`callback cron`: RQ's cron scheduler enqueues the periodic jobs (one such process).

It outlives a Redis outage: RQ's scheduler loop ends on the first Redis error, so the
command starts a new one once Redis answers again (backing off up to a reconciler
period), and the reconciler then runs at once and catches up on what the outage lost.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import click
from flask import current_app
from flask.cli import with_appcontext
from redis.exceptions import RedisError
from rq.cron import CronScheduler
from rq.exceptions import StopRequested

from callback.redis_client import redis_connection
from workers import webhooks
from workers.alerts import (
    DIGEST_EVERY_SECONDS,
    DIGEST_TIMEOUT_SECONDS,
    WEEKLY_EVERY_SECONDS,
    WEEKLY_TIMEOUT_SECONDS,
    send_digests,
    send_weekly_reports,
)
from workers.queues import INTEGRATIONS_QUEUE, register_periodic
from workers.reconcile import reconcile
from workers.retention import register_retention

log = logging.getLogger(__name__)


def build_scheduler() -> CronScheduler:
    """Return the cron scheduler with every periodic job registered."""
    scheduler = CronScheduler(
        connection=redis_connection(), logging_level=current_app.config["LOG_LEVEL"]
    )
    every = int(current_app.config["RECONCILE_EVERY_SECONDS"])
    register_periodic(scheduler, reconcile, every, timeout=120)
    register_retention(scheduler)
    register_periodic(
        scheduler,
        send_digests,
        DIGEST_EVERY_SECONDS,
        timeout=DIGEST_TIMEOUT_SECONDS,
        queue_name=INTEGRATIONS_QUEUE,
    )
    register_periodic(
        scheduler,
        send_weekly_reports,
        WEEKLY_EVERY_SECONDS,
        timeout=WEEKLY_TIMEOUT_SECONDS,
        queue_name=INTEGRATIONS_QUEUE,
    )
    register_periodic(
        scheduler,
        webhooks.sweep,
        webhooks.SWEEP_EVERY_SECONDS,
        timeout=60,
        queue_name=INTEGRATIONS_QUEUE,
    )
    return scheduler


@click.command("cron")
@with_appcontext
def cron_command() -> None:
    """Enqueue the periodic jobs (reconciler, retention, digests, weekly reports); run one."""
    run_until_stopped(build_scheduler, current_app.config["RECONCILE_EVERY_SECONDS"])


def run_until_stopped(build: Callable[[], CronScheduler], longest_wait: float) -> None:
    """Run a cron scheduler, starting a new one after each Redis outage, until stopped."""
    delay = 1.0
    while True:
        try:
            build().start()  # returns when asked to stop (SIGINT, SIGTERM)
            return
        except RedisError as exc:
            log.warning(
                "Redis unreachable (%s); cron starts again in %.0fs", type(exc).__name__, delay
            )
        try:
            time.sleep(delay)
        except (KeyboardInterrupt, StopRequested):
            return  # RQ's handlers are still installed: a stop while waiting ends here
        delay = min(delay * 2, longest_wait)
