"""The machinery's figures, read from Redis: queues, registries, workers and scheduler.

Everything here only reads: no registry cleanup, no requeue, so a scrape or a health
probe never changes what it measures.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from redis import Redis
from redis.exceptions import RedisError
from rq import Queue, Worker
from rq.cron_scheduler_registry import get_registry_key as cron_registry_key
from rq.defaults import DEFAULT_CRON_SCHEDULER_TTL, DEFAULT_WORKER_TTL
from rq.job import Job
from rq.scheduler import RQScheduler
from rq.worker import BaseWorker

from workers.queues import CALLS_QUEUE

# RQ keeps a worker's key for worker_ttl + 60 seconds after its last heartbeat; an
# idle worker beats once per blocking dequeue (worker_ttl - 15), so this is "alive".
HEARTBEAT_MAX_AGE_SECONDS = DEFAULT_WORKER_TTL + 60
REGISTRIES = ("started", "failed", "scheduled", "deferred")


@dataclass
class QueueFigures:
    name: str
    depth: int
    oldest_age_seconds: float | None
    registries: dict[str, int]
    scheduled_overdue_seconds: float | None
    workers: int
    scheduler_alive: bool


@dataclass
class MachineFigures:
    redis_up: bool
    cron_alive: bool = False
    queues: list[QueueFigures] = field(default_factory=list)
    workers: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def queue_names(connection: Redis) -> list[str]:
    """Return the calls queue and every other queue RQ knows of."""
    known = {queue.name for queue in Queue.all(connection=connection)}
    return [CALLS_QUEUE, *sorted(known - {CALLS_QUEUE})]


def _age(now: datetime, then: datetime | None) -> float | None:
    return None if then is None else max((now - then).total_seconds(), 0.0)


def _oldest_job_age(queue: Queue, now: datetime) -> float | None:
    # The head of the list is the oldest; a few more cover ids whose job hash expired.
    for job in Job.fetch_many(queue.get_job_ids(0, 10), connection=queue.connection):
        if job is not None and job.enqueued_at is not None:
            return _age(now, job.enqueued_at)
    return None


def _overdue(queue: Queue, now: datetime) -> float | None:
    registry = queue.scheduled_job_registry
    first = registry.get_job_ids(0, 0, cleanup=False)
    if not first:
        return None
    late = (now - registry.get_scheduled_time(first[0])).total_seconds()
    return late if late > 0 else None


def live_workers(queue: Queue, now: datetime) -> list[BaseWorker]:
    """Return the queue's workers whose last heartbeat is recent enough to be alive."""
    workers = Worker.all(queue=queue)
    return [
        w
        for w in workers
        if w.last_heartbeat is not None
        and (_age(now, w.last_heartbeat) or 0) <= HEARTBEAT_MAX_AGE_SECONDS
    ]


def scheduler_alive(connection: Redis, queue_name: str = CALLS_QUEUE) -> bool:
    """Return whether some worker's scheduler holds the queue's lock (RQ refreshes it)."""
    return bool(connection.exists(RQScheduler.get_locking_key(queue_name)))


def cron_alive(connection: Redis, now: datetime) -> bool:
    """Return whether a `callback cron` process (RQ's CronScheduler) beat recently."""
    fresh_since = now.timestamp() - DEFAULT_CRON_SCHEDULER_TTL
    return bool(connection.zcount(cron_registry_key(), fresh_since, "+inf"))


def _queue_figures(connection: Redis, name: str, now: datetime) -> QueueFigures:
    queue = Queue(name, connection=connection)
    registries = {
        kind: getattr(queue, f"{kind}_job_registry").get_job_count(cleanup=False)
        for kind in REGISTRIES
    }
    return QueueFigures(
        name=name,
        depth=queue.count,
        oldest_age_seconds=_oldest_job_age(queue, now),
        registries=registries,
        scheduled_overdue_seconds=_overdue(queue, now),
        workers=len(live_workers(queue, now)),
        scheduler_alive=scheduler_alive(connection, name),
    )


def _worker_json(worker: BaseWorker, now: datetime) -> dict[str, Any]:
    return {
        "name": worker.name,
        "state": str(worker.get_state()),
        "queues": worker.queue_names(),
        "heartbeat_age_seconds": _age(now, worker.last_heartbeat),
        "current_job": worker.get_current_job_id(),
        "failed_jobs": worker.failed_job_count,
    }


def machine_figures(connection: Redis, now: datetime) -> MachineFigures:
    """Read the queue figures; a Redis that cannot be reached is reported, not raised."""
    try:
        queues = [_queue_figures(connection, name, now) for name in queue_names(connection)]
        workers = [
            _worker_json(w, now) for w in Worker.all(connection=connection) if w.last_heartbeat
        ]
        cron = cron_alive(connection, now)
    except RedisError as exc:
        return MachineFigures(redis_up=False, error=type(exc).__name__)
    return MachineFigures(redis_up=True, cron_alive=cron, queues=queues, workers=workers)


class QueueCollector(Collector):
    """Queue gauges for Prometheus, computed from Redis at scrape time."""

    def __init__(self, connection: Redis, clock: Callable[[], datetime]) -> None:
        self.connection = connection
        self.clock = clock

    def collect(self) -> Iterator[GaugeMetricFamily]:
        figures = machine_figures(self.connection, self.clock())
        yield GaugeMetricFamily("callback_redis_up", "Whether Redis answered.", figures.redis_up)
        yield GaugeMetricFamily(
            "callback_cron_scheduler_alive",
            "Whether `callback cron` (reconciler, retention) beat recently.",
            figures.cron_alive,
        )
        yield from _queue_families(figures.queues)


def _gauge(name: str, help_text: str, labels: list[str]) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, help_text, labels=labels)


def _queue_families(queues: list[QueueFigures]) -> Iterator[GaugeMetricFamily]:
    depth = _gauge("callback_queue_jobs", "Jobs waiting in the queue.", ["queue"])
    oldest = _gauge(
        "callback_queue_oldest_job_age_seconds", "Age of the oldest waiting job.", ["queue"]
    )
    registry = _gauge(
        "callback_queue_registry_jobs", "Jobs in RQ's registries.", ["queue", "registry"]
    )
    overdue = _gauge(
        "callback_queue_scheduled_overdue_seconds",
        "How late the most overdue scheduled job is (0 when none).",
        ["queue"],
    )
    workers = _gauge("callback_workers_alive", "Workers with a recent heartbeat.", ["queue"])
    scheduler = _gauge("callback_scheduler_alive", "Whether a scheduler holds the lock.", ["queue"])
    for q in queues:
        depth.add_metric([q.name], q.depth)
        oldest.add_metric([q.name], q.oldest_age_seconds or 0.0)
        for kind, count in q.registries.items():
            registry.add_metric([q.name, kind], count)
        overdue.add_metric([q.name], q.scheduled_overdue_seconds or 0.0)
        workers.add_metric([q.name], q.workers)
        scheduler.add_metric([q.name], 1 if q.scheduler_alive else 0)
    yield from (depth, oldest, registry, overdue, workers, scheduler)
