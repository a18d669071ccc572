"""Which queue and which job id each piece of work gets; the only place jobs are enqueued.

Job ids are derived from request ids, so enqueueing the same work twice is refused by
Redis (RQ's `unique=True`) instead of creating a second dial. A job that ended without
doing its work (failed, stopped, canceled, or started by a worker that died) never
blocks its id: it is deleted and the work enqueued again.
"""

from __future__ import annotations

import logging
import random
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from redis import Redis
from redis.exceptions import RedisError
from rq import Queue, Retry
from rq.exceptions import DuplicateJobError, NoSuchJobError
from rq.job import Job, JobStatus
from rq.utils import now

from callback.lifecycle.requests import FollowUp
from callback.redis_client import redis_connection

log = logging.getLogger(__name__)

CALLS_QUEUE = "calls"
# A dial job makes one REST request with explicit timeouts; a minute is generous.
DIAL_TIMEOUT_SECONDS = 60
# Job data (an id and nothing personal) is kept briefly for debugging, then dropped.
RESULT_TTL_SECONDS = 600
FAILURE_TTL_SECONDS = 6 * 3600


def calls_queue(connection: Redis | None = None) -> Queue:
    """Return the queue that carries dial work."""
    return Queue(CALLS_QUEUE, connection=connection or redis_connection())


def dial_job_id(
    request_id: uuid.UUID | str, round_number: int, step: int = 0, tag: str = ""
) -> str:
    """Return the id of the dial job for one round (and agent step) of a request."""
    return f"dial-{request_id}-r{round_number}-s{step}" + (f"-{tag}" if tag else "")


def enqueue_dial(
    request_id: uuid.UUID,
    round_number: int,
    step: int = 0,
    at: datetime | None = None,
    tag: str = "",
) -> Job | None:
    """Enqueue (or schedule `at`) the dial job; None if it exists already or Redis is down.

    Call only after the request row is committed. A request whose job is lost here is
    found again by the reconciler, so a Redis outage never loses it.
    """
    from workers.dial import dial  # noqa: PLC0415 - the job module imports this one

    options = _dial_options(dial_job_id(request_id, round_number, step, tag))
    try:
        return _enqueue_unless_alive(dial, request_id, options, at)
    except RedisError as exc:
        _log_lost_enqueue(request_id, exc)
        return None


def enqueue_new_request(request_id: uuid.UUID, at: datetime | None = None) -> Job | None:
    """Enqueue the first dial of a request just committed; None if Redis is down.

    No job of a new request can exist yet, so RQ's uniqueness check (a Lua script and a
    round trip of its own) is left out and the job goes to Redis in one pipeline.
    """
    from workers.dial import dial  # noqa: PLC0415 - the job module imports this one

    if at is not None:
        return enqueue_dial(request_id, 1, at=at)
    try:
        connection = redis_connection()
        with connection.pipeline() as pipe:
            job = calls_queue(connection).enqueue(
                dial, str(request_id), pipeline=pipe, **_dial_options(dial_job_id(request_id, 1))
            )
            pipe.execute()
        return job
    except RedisError as exc:
        _log_lost_enqueue(request_id, exc)
        return None


def _dial_options(job_id: str) -> dict[str, Any]:
    return {
        "job_id": job_id,
        "job_timeout": DIAL_TIMEOUT_SECONDS,
        "result_ttl": RESULT_TTL_SECONDS,
        "failure_ttl": FAILURE_TTL_SECONDS,
        "retry": backoff(),
    }


def _log_lost_enqueue(request_id: uuid.UUID, exc: RedisError) -> None:
    log.warning(
        "enqueue failed, the reconciler will retry: request=%s error=%s",
        request_id,
        type(exc).__name__,
    )


def enqueue_reconcile_dial(request_id: uuid.UUID, round_number: int) -> Job | None:
    """Enqueue a dial for a request whose work seems lost; None if one is still pending.

    The result is not kept (result_ttl=0), so the next reconciler run can enqueue again
    if this one did not settle the request.
    """
    from workers.dial import dial  # noqa: PLC0415 - the job module imports this one

    options = {
        "job_id": f"dial-{request_id}-r{round_number}-reconcile",
        "job_timeout": DIAL_TIMEOUT_SECONDS,
        "result_ttl": 0,
        "failure_ttl": FAILURE_TTL_SECONDS,
    }
    return _enqueue_unless_alive(dial, request_id, options)


def enqueue_follow_up(follow_up: FollowUp | None) -> Job | None:
    """Enqueue the dial a flow decision asked for, if any (after the commit)."""
    if follow_up is None:
        return None
    return enqueue_dial(
        follow_up.request_id,
        follow_up.round_number,
        follow_up.step,
        at=follow_up.at,
        tag=follow_up.tag,
    )


def enqueue_hangups(request_id: uuid.UUID) -> Job | None:
    """Enqueue the job that ends the live calls of a request that has ended."""
    from workers.calls import end_calls  # noqa: PLC0415

    return _enqueue_hangup_job(end_calls, request_id, f"hangup-{request_id}")


def enqueue_losers_hangup(request_id: uuid.UUID, round_number: int) -> Job | None:
    """Enqueue the job that ends the other agents' phones once one agent took the call."""
    from workers.calls import end_losing_agent_legs  # noqa: PLC0415

    job_id = f"hangup-losers-{request_id}-r{round_number}"
    return _enqueue_hangup_job(end_losing_agent_legs, request_id, job_id)


def _enqueue_hangup_job(
    function: Callable[[str], int], request_id: uuid.UUID, job_id: str
) -> Job | None:
    options = {
        "job_id": job_id,
        "job_timeout": DIAL_TIMEOUT_SECONDS,
        "result_ttl": RESULT_TTL_SECONDS,
        "failure_ttl": FAILURE_TTL_SECONDS,
        "retry": backoff(),
    }
    try:
        return _enqueue_unless_alive(function, request_id, options)
    except RedisError as exc:
        log.warning("hangup enqueue failed: request=%s error=%s", request_id, type(exc).__name__)
        return None


# Statuses of a job that ended without doing its work: its id may be taken by new work.
# A finished job keeps its id (for its result's short TTL): that work was done.
DEAD_JOB_STATUSES = frozenset({JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED})
# A started job older than its timeout plus this was abandoned by a worker that died
# (kill -9, a lost machine): a live worker's own timeout would have ended it by then.
ABANDONED_AFTER = 30


def _enqueue_unless_alive(
    function: Callable[[str], object],
    request_id: uuid.UUID,
    options: dict[str, Any],
    at: datetime | None = None,
) -> Job | None:
    """Enqueue (at `at`) under options["job_id"]; a dead job holding the id is deleted
    first. None: a live job has it."""
    queue = calls_queue()
    job_id = options["job_id"]

    def enqueue(queue: Queue) -> Job:
        if at is None:
            return queue.enqueue(function, str(request_id), unique=True, **options)
        return queue.enqueue_at(at, function, str(request_id), unique=True, **options)

    try:
        return enqueue(queue)
    except DuplicateJobError:
        pass
    try:
        held = Job.fetch(job_id, connection=queue.connection)
    except NoSuchJobError:
        return enqueue(queue)  # it ended between the two calls
    if not _is_dead(held):
        return None
    log.info("replacing a dead job: job=%s status=%s", job_id, held.get_status(refresh=False))
    held.delete()
    try:
        return enqueue(queue)
    except DuplicateJobError:
        return None  # another process replaced it first


def _is_dead(job: Job) -> bool:
    status = job.get_status(refresh=False)
    if status in DEAD_JOB_STATUSES:
        return True
    if status != JobStatus.STARTED or job.started_at is None:
        return False
    timeout = job.timeout or DIAL_TIMEOUT_SECONDS
    return (now() - job.started_at).total_seconds() > timeout + ABANDONED_AFTER


def backoff(attempts: int = 6, first: float = 1.0) -> Retry:
    """Return RQ retries with exponential intervals and jitter (1, 2, 4... seconds)."""
    intervals = [
        int(first * 2**n * (1 + random.random() / 2)) + 1  # noqa: S311 - jitter, not secrecy
        for n in range(attempts)
    ]
    return Retry(max=attempts, interval=intervals)
