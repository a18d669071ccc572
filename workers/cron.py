"""`callback cron`: RQ's cron scheduler enqueues the periodic jobs (one such process)."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext
from rq.cron import CronScheduler

from callback.redis_client import redis_connection
from workers.queues import CALLS_QUEUE, FAILURE_TTL_SECONDS
from workers.reconcile import reconcile
from workers.retention import register_retention

RECONCILE_EVERY_SECONDS = 30


def build_scheduler() -> CronScheduler:
    """Return the cron scheduler with every periodic job registered."""
    scheduler = CronScheduler(
        connection=redis_connection(), logging_level=current_app.config.get("LOG_LEVEL", "INFO")
    )
    scheduler.register(
        reconcile,
        queue_name=CALLS_QUEUE,
        interval=RECONCILE_EVERY_SECONDS,
        job_timeout=120,
        result_ttl=0,
        failure_ttl=FAILURE_TTL_SECONDS,
    )
    register_retention(scheduler)
    return scheduler


@click.command("cron")
@with_appcontext
def cron_command() -> None:
    """Enqueue the periodic jobs (reconciler, retention) on time; run exactly one of these."""
    build_scheduler().start()
