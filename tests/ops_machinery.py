"""The RQ machinery ops reports on, brought up the way RQ itself records it in Redis."""

from __future__ import annotations

from redis import Redis
from rq import Queue, SimpleWorker
from rq.cron import CronScheduler
from rq.scheduler import RQScheduler
from rq.scripts import acquire_or_refresh_lock

from workers.failures import scrub_failure
from workers.queues import CALLS_QUEUE


def start_worker(redis: Redis) -> SimpleWorker:
    """Register a worker on the calls queue, with a heartbeat now."""
    worker = SimpleWorker([CALLS_QUEUE], connection=redis)
    worker.register_birth()
    return worker


def hold_scheduler_lock(redis: Redis) -> None:
    """Take the calls queue's scheduler lock, as a worker started with its scheduler does."""
    acquire_or_refresh_lock(redis, RQScheduler.get_locking_key(CALLS_QUEUE), "test-scheduler", 60)


def start_cron(redis: Redis) -> None:
    """Register a `callback cron` process (RQ's CronScheduler) with a heartbeat now."""
    CronScheduler(connection=redis).register_birth()


def start_all(redis: Redis) -> SimpleWorker:
    """Bring up a worker, its scheduler and cron: a healthy machine."""
    hold_scheduler_lock(redis)
    start_cron(redis)
    return start_worker(redis)


def run_queued_jobs(redis: Redis) -> None:
    """Run what is queued in this thread, as `callback worker` would (without its pub/sub)."""
    queue = Queue(CALLS_QUEUE, connection=redis)
    worker = SimpleWorker([queue], connection=redis)
    while found := Queue.dequeue_any([queue], None, connection=redis):
        worker.execute_job(*found)


def work_burst(redis: Redis, *, with_scheduler: bool = False, queue: str = CALLS_QUEUE) -> None:
    """Run `queue` until it is empty, failures scrubbed as `callback worker` does."""
    worker = SimpleWorker([queue], connection=redis, exception_handlers=[scrub_failure])
    worker.work(burst=True, with_scheduler=with_scheduler)
    if worker.scheduler is not None:
        # RQ's scheduler opens a Redis client of its own and, in burst mode, leaves it
        # open: closed here, or its socket's ResourceWarning lands in a later test.
        worker.scheduler.connection.close()
        worker.scheduler.connection.connection_pool.disconnect()
