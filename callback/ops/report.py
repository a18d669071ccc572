"""Queue health in one report: the figures, the thresholds, and what is wrong."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from redis import Redis
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from callback.ops import request_stats
from callback.ops.queue_health import MachineFigures, machine_figures

WINDOW = timedelta(hours=1)


@dataclass(frozen=True)
class Thresholds:
    """When the service counts as unhealthy; the Prometheus rules use the same defaults."""

    max_backlog_seconds: float = 60
    min_workers: int = 1
    require_scheduler: bool = True
    require_cron: bool = True
    max_failure_rate: float = 0.2
    # A rate over a handful of requests is noise, not a reason to page anyone.
    min_finished_for_rate: int = 5
    max_ring_p95_seconds: float | None = None


def problems(
    machine: MachineFigures,
    outcomes: request_stats.Outcomes,
    waits: dict[str, Any],
    limits: Thresholds,
) -> list[str]:
    """Return one sentence per threshold crossed; empty when healthy."""
    if not machine.redis_up:
        return [f"Redis cannot be reached ({machine.error})"]
    found = []
    for queue in machine.queues:
        age = queue.oldest_age_seconds or 0
        if age > limits.max_backlog_seconds:
            found.append(
                f"queue {queue.name}: oldest job waited {age:.0f}s "
                f"(limit {limits.max_backlog_seconds:.0f}s)"
            )
    calls = machine.queues[0]
    if calls.workers < limits.min_workers:
        found.append(f"{calls.workers} live worker(s) on {calls.name} (need {limits.min_workers})")
    if limits.require_scheduler and not calls.scheduler_alive:
        found.append("no scheduler: scheduled callbacks and retries will not run")
    if limits.require_cron and not machine.cron_alive:
        found.append("no `callback cron`: the reconciler and the retention cap do not run")
    rate = outcomes.failure_rate
    if (
        rate is not None
        and outcomes.ended >= limits.min_finished_for_rate
        and rate > limits.max_failure_rate
    ):
        found.append(
            f"{rate:.0%} of requests ended failed or expired in the last hour "
            f"(limit {limits.max_failure_rate:.0%})"
        )
    p95 = waits["time_to_ring"]["p95_seconds"]
    if (
        limits.max_ring_p95_seconds is not None
        and p95 is not None
        and p95 > limits.max_ring_p95_seconds
    ):
        found.append(f"p95 time-to-ring {p95:.0f}s (limit {limits.max_ring_p95_seconds:.0f}s)")
    return found


def health_report(
    connection: Redis, session: Session, now: datetime, limits: Thresholds
) -> dict[str, Any]:
    """Return the whole queue-health report as JSON-ready data."""
    machine = machine_figures(connection, now)
    since = now - WINDOW
    try:
        outcomes = request_stats.outcomes(session, since)
        waits = request_stats.wait_summary(session, since)
        line = request_stats.phone_line(session)
        found = problems(machine, outcomes, waits, limits)
    except SQLAlchemyError as exc:
        session.rollback()
        outcomes, waits = request_stats.Outcomes(0, 0, 0, {}), request_stats.no_waits()
        line = request_stats.no_line()
        found = [f"the database cannot be read ({type(exc).__name__})"]
    return {
        "checked_at": now.isoformat(),
        "healthy": not found,
        "problems": found,
        "thresholds": asdict(limits),
        "redis_up": machine.redis_up,
        "cron_alive": machine.cron_alive,
        "queues": [asdict(q) for q in machine.queues],
        "workers": machine.workers,
        "last_hour": outcomes.as_dict(),
        "phone_line": line,
        **waits,
    }
