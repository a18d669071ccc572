"""Which queue and which job id each piece of work gets; the only place jobs are enqueued
(the ops page may put a failed job back as it was).

The domain leaves its work for after the commit (`callback.after_commit`, the kinds in
`callback.lifecycle.work`); `init_app` installs `enqueue_work`, which turns each piece
into its job here.

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

from flask import Flask, current_app, has_app_context
from redis import Redis
from redis.exceptions import RedisError
from rq import Queue, Retry
from rq.cron import CronScheduler
from rq.exceptions import DuplicateJobError, NoSuchJobError
from rq.job import Job, JobStatus
from rq.utils import now

from callback import after_commit
from callback.agents.work import WaitForAgent, WakeWaiting
from callback.integrations.work import DeliverWebhooks, NoticeEndpointDisabled, SendAlert
from callback.lifecycle.work import (
    DeleteLineQueue,
    Dial,
    DropDialJobs,
    EndCalls,
    EndOtherAgentCalls,
    EraseProviderRecords,
    FirstDial,
    SendMessage,
)
from callback.redis_client import redis_connection
from workers.alerts import notify_endpoint_disabled, send_alert
from workers.calls import delete_line_queue, end_calls, end_losing_agent_legs
from workers.dial import dial
from workers.provider_records import delete_provider_records
from workers.sms import SEND_TRIES, send_message
from workers.waiting import join, wake_after, wake_oldest
from workers.webhooks import deliver_webhooks

log = logging.getLogger(__name__)

CALLS_QUEUE = "calls"
# Webhooks, alerts and digests, taken by a worker of their own (the Procfile's
# `integrations`): a customer's slow server never holds up a dial.
INTEGRATIONS_QUEUE = "integrations"
# An alert whose mail server or chat is down is tried again over about three hours.
ALERT_RETRY_ATTEMPTS = 8
ALERT_FAILURE_TTL_SECONDS = 24 * 3600
# One webhook attempt is bounded by its own deadline (integrations/outbound.py);
# a job sends a few of a line's events.
INTEGRATION_TIMEOUT_SECONDS = 120
# A dial job makes one REST request with explicit timeouts; a minute is generous.
DIAL_TIMEOUT_SECONDS = 60
# Job data (an id and nothing personal) is kept briefly for debugging, then dropped.
RESULT_TTL_SECONDS = 600
FAILURE_TTL_SECONDS = 6 * 3600
# Provider-record deletion retries over about three hours (Twilio refuses to delete a
# live call); the retention sweep enqueues it again after that.
PROVIDER_RETRY_ATTEMPTS = 8
PROVIDER_FAILURE_TTL_SECONDS = 24 * 3600


def init_app(app: Flask) -> None:
    """Enqueue the work of every committed transaction (see `callback.after_commit`)."""
    after_commit.install(enqueue_work)


def enqueue_work(work: object) -> object:
    """Enqueue the job for one piece of committed work; return its job, or a count."""
    if not has_app_context():  # a session used outside the app (a script): no queue to use
        log.warning("no app to enqueue %s in", type(work).__name__)
        return None
    match work:
        case FirstDial(request_id, at):
            return enqueue_new_request(request_id, at)
        case Dial(request_id, round_number, step, at, tag):
            return enqueue_dial(request_id, round_number, step, at, tag)
        case WaitForAgent(request_id, round_number, team, since, unclaimed, pass_on):
            return wait_for_agent(request_id, round_number, team, since, unclaimed, pass_on)
        case WakeWaiting(team):
            return wake_waiting(team)
        case EndCalls(request_id):
            return enqueue_hangups(request_id)
        case DeleteLineQueue(request_id, queue_sid):
            return enqueue_queue_deletion(request_id, queue_sid)
        case EndOtherAgentCalls(request_id, round_number):
            return enqueue_losers_hangup(request_id, round_number)
        case DropDialJobs(request_id):
            return delete_dial_jobs(redis_connection(), request_id)
        case EraseProviderRecords(request_id):
            if not current_app.config.get("ERASE_PROVIDER_RECORDS"):
                return None
            return enqueue_provider_erasure(request_id)
        case SendMessage(message_id, at):
            return enqueue_message(message_id, at)
        case DeliverWebhooks(endpoint_id, request_id, at):
            return enqueue_webhook_delivery(endpoint_id, request_id, at)
        case SendAlert(event_id):
            return enqueue_alert(send_alert, event_id, alert_job_id(event_id))
        case NoticeEndpointDisabled(endpoint_id):
            job_id = f"endpoint-disabled-{endpoint_id}-{uuid.uuid4().hex[:12]}"
            return enqueue_alert(notify_endpoint_disabled, endpoint_id, job_id)
    raise TypeError(f"no job for {type(work).__name__}")


def calls_queue(connection: Redis | None = None) -> Queue:
    """Return the queue that carries dial work."""
    return Queue(CALLS_QUEUE, connection=connection or redis_connection())


def dial_job_id(
    request_id: uuid.UUID | str, round_number: int, step: int = 0, tag: str = ""
) -> str:
    """Return the id of the dial job for one round (and agent step) of a request."""
    return f"dial-{request_id}-r{round_number}-s{step}" + (f"-{tag}" if tag else "")


def reconcile_dial_job_id(request_id: uuid.UUID | str, round_number: int) -> str:
    """Return the id of the dial the reconciler puts back for a round whose work was lost."""
    return f"dial-{request_id}-r{round_number}-reconcile"


def hangup_job_id(request_id: uuid.UUID | str) -> str:
    """Return the id of the job that ends an ended request's live calls."""
    return f"hangup-{request_id}"


def losers_hangup_job_id(request_id: uuid.UUID | str, round_number: int) -> str:
    """Return the id of the job that ends the other agents' calls once one accepted."""
    return f"hangup-losers-{request_id}-r{round_number}"


def enqueue_dial(
    request_id: uuid.UUID,
    round_number: int,
    step: int = 0,
    at: datetime | None = None,
    tag: str = "",
    first: bool = False,
) -> Job | None:
    """Enqueue (or schedule `at`) the dial job; None if it exists already or Redis is down.

    Runs only after the request row is committed. A request whose job is lost here is
    found again by the reconciler, so a Redis outage never loses it. `first` puts the
    job at the front of the queue (an agent is free for it now).
    """
    options = _dial_options(dial_job_id(request_id, round_number, step, tag))
    if first:
        options["at_front"] = True
    try:
        return _enqueue_unless_alive(dial, request_id, options, at)
    except RedisError as exc:
        _log_lost_enqueue(request_id, exc)
        return None


def wait_for_agent(
    request_id: uuid.UUID,
    round_number: int,
    team: str,
    since: datetime,
    unclaimed: int | None,
    pass_on: bool = False,
) -> Job | None:
    """Keep the request's place until an agent of `team` is free; dial now if one is.

    With `pass_on` (a free agent cannot take this request), the request that joined next
    is dialled, first in the queue; each such wake goes to a younger request, so it ends
    at the end of the line. None when nothing is dialled (or Redis is down: the
    reconciler dials them again later).
    """
    try:
        connection = redis_connection()
        if not join(connection, team, str(request_id), round_number, since, unclaimed):
            return _wake_dial(uuid.UUID(str(request_id)), round_number)
        younger = wake_after(connection, team, str(request_id), round_number) if pass_on else None
    except RedisError as exc:
        _log_lost_enqueue(request_id, exc)
        return None
    if younger is None:
        return None
    return _wake_dial(uuid.UUID(younger[0]), younger[1])


def wake_waiting(team: str) -> Job | None:
    """Dial, first in the queue, the request that has waited longest for `team`."""
    try:
        oldest = wake_oldest(redis_connection(), team)
    except RedisError as exc:
        log.warning("could not wake a request waiting for an agent: %s", type(exc).__name__)
        return None
    if oldest is None:
        return None
    request_id, round_number = oldest
    return _wake_dial(uuid.UUID(request_id), round_number)


def _wake_dial(request_id: uuid.UUID, round_number: int) -> Job | None:
    # Each wake is a job of its own: an earlier one may still be in the queue.
    return enqueue_dial(request_id, round_number, tag=f"k{uuid.uuid4().hex[:8]}", first=True)


def enqueue_new_request(request_id: uuid.UUID, at: datetime | None = None) -> Job | None:
    """Enqueue the first dial of a request just committed; None if Redis is down.

    No job of a new request can exist yet, so RQ's uniqueness check (a Lua script and a
    round trip of its own) is left out and the job goes to Redis in one pipeline.
    """
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
    options = {
        "job_id": reconcile_dial_job_id(request_id, round_number),
        "job_timeout": DIAL_TIMEOUT_SECONDS,
        "result_ttl": 0,
        "failure_ttl": FAILURE_TTL_SECONDS,
    }
    return _enqueue_unless_alive(dial, request_id, options)


def enqueue_hangups(request_id: uuid.UUID) -> Job | None:
    """Enqueue the job that ends the live calls of a request that has ended."""
    return _enqueue_hangup_job(end_calls, request_id, hangup_job_id(request_id))


def enqueue_losers_hangup(request_id: uuid.UUID, round_number: int) -> Job | None:
    """Enqueue the job that ends the other agents' phones once one agent took the call."""
    job_id = losers_hangup_job_id(request_id, round_number)
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


def line_queue_job_id(request_id: uuid.UUID | str) -> str:
    """Return the id of the job that deletes a phone-line caller's queue at Twilio."""
    return f"line-queue-{request_id}"


def enqueue_queue_deletion(request_id: uuid.UUID, queue_sid: str) -> Job | None:
    """Enqueue the deletion of a caller's emptied queue; None if queued already or Redis is down.

    A queue left behind costs nothing but clutters the account (Twilio keeps every queue
    an <Enqueue> created); one lost here is only that.
    """
    try:
        return calls_queue().enqueue(
            delete_line_queue,
            str(request_id),
            queue_sid,
            job_id=line_queue_job_id(request_id),
            job_timeout=DIAL_TIMEOUT_SECONDS,
            result_ttl=RESULT_TTL_SECONDS,
            failure_ttl=FAILURE_TTL_SECONDS,
            retry=backoff(),
            unique=True,
        )
    except DuplicateJobError:
        return None
    except RedisError as exc:
        log.warning(
            "queue deletion enqueue failed: request=%s error=%s", request_id, type(exc).__name__
        )
        return None


def provider_job_id(request_id: uuid.UUID | str) -> str:
    """Return the id of the job that deletes a request's calls at Twilio."""
    return f"provider-records-{request_id}"


def enqueue_provider_erasure(request_id: uuid.UUID) -> Job | None:
    """Enqueue the deletion job for `request_id`; None if queued already or Redis is down."""
    try:
        return calls_queue().enqueue(
            delete_provider_records,
            str(request_id),
            job_id=provider_job_id(request_id),
            job_timeout=DIAL_TIMEOUT_SECONDS,
            result_ttl=RESULT_TTL_SECONDS,
            failure_ttl=PROVIDER_FAILURE_TTL_SECONDS,
            retry=backoff(PROVIDER_RETRY_ATTEMPTS, first=5.0),
            unique=True,
        )
    except DuplicateJobError:
        return None
    except RedisError as exc:
        error = type(exc).__name__
        log.warning("provider erasure enqueue failed: request=%s error=%s", request_id, error)
        return None


def message_job_id(message_id: int, at: datetime | None = None, tag: str = "") -> str:
    """Return the id of the job sending one visitor message (at `at`, for a reminder).

    A time is part of the id: the running reminder job of a rescheduled callback
    schedules its successor, and could not while the two shared an id.
    """
    job_id = f"sms-{message_id}" + (f"-at{int(at.timestamp())}" if at else "")
    return job_id + (f"-{tag}" if tag else "")


def enqueue_message(message_id: int, at: datetime | None = None, tag: str = "") -> Job | None:
    """Enqueue (or schedule `at`) the send job of a message; None if alive or Redis is down.

    Messages go on the calls queue: they are as short as a dial, and a confirmation
    should follow its request as closely as the call would. A lost job is put back by
    the reconciler, which finds every pending message past its time.
    """
    options = {
        "job_id": message_job_id(message_id, at, tag),
        "job_timeout": DIAL_TIMEOUT_SECONDS,
        "result_ttl": RESULT_TTL_SECONDS,
        "failure_ttl": FAILURE_TTL_SECONDS,
        "retry": backoff(SEND_TRIES - 1),
    }
    try:
        return _enqueue_unless_alive(send_message, (str(message_id),), options, at)
    except RedisError as exc:
        log.warning(
            "message enqueue failed, the reconciler will retry: message=%s error=%s",
            message_id,
            type(exc).__name__,
        )
        return None


def integrations_queue(connection: Redis | None = None) -> Queue:
    """Return the queue that carries webhooks, alerts and digests."""
    return Queue(INTEGRATIONS_QUEUE, connection=connection or redis_connection())


def webhook_job_id(
    endpoint_id: int, request_id: uuid.UUID | str | None, at: datetime | None = None
) -> str:
    """Return the id of the job sending a request's pending events to one endpoint.

    A job scheduled for later names its time: the running job of the line schedules
    its own successor, and could not while the two shared an id.
    """
    job_id = f"webhook-{endpoint_id}-{request_id or 'none'}"
    return job_id if at is None else f"{job_id}-at{int(at.timestamp())}"


def enqueue_webhook_delivery(
    endpoint_id: int, request_id: uuid.UUID | None, at: datetime | None = None
) -> Job | None:
    """Enqueue (or schedule `at`) the sending of a request's events to an endpoint.

    None if such a job is waiting already or Redis is down: the webhook sweep
    (`workers.webhooks.sweep`) finds every due delivery that has no job.
    """
    options = {
        "job_id": webhook_job_id(endpoint_id, request_id, at),
        "job_timeout": INTEGRATION_TIMEOUT_SECONDS,
        "result_ttl": 0,
        "failure_ttl": FAILURE_TTL_SECONDS,
    }
    args = (endpoint_id, str(request_id) if request_id else None)
    try:
        return _enqueue_unless_alive(deliver_webhooks, args, options, at, integrations_queue())
    except RedisError as exc:
        log.warning(
            "webhook enqueue failed, the sweep will retry: endpoint=%s request=%s error=%s",
            endpoint_id,
            request_id,
            type(exc).__name__,
        )
        return None


def alert_job_id(event_id: int) -> str:
    """Return the id of the job that sends the alert about one event."""
    return f"alert-{event_id}"


def enqueue_alert(function: Callable[[int], object], about: int, job_id: str) -> Job | None:
    """Enqueue an alert job (retried); None if queued already or Redis is down."""
    try:
        return integrations_queue().enqueue(
            function,
            about,
            job_id=job_id,
            job_timeout=INTEGRATION_TIMEOUT_SECONDS,
            result_ttl=RESULT_TTL_SECONDS,
            failure_ttl=ALERT_FAILURE_TTL_SECONDS,
            retry=backoff(ALERT_RETRY_ATTEMPTS, first=5.0),
            unique=True,
        )
    except DuplicateJobError:
        return None
    except RedisError as exc:
        log.warning("alert enqueue failed: job=%s error=%s", job_id, type(exc).__name__)
        return None


def delete_dial_jobs(redis: Redis, request_id: uuid.UUID) -> int:
    """Delete the request's dial jobs that are not running; return how many."""
    try:
        return _delete_dial_jobs(redis, request_id)
    except RedisError as exc:
        # A left-over dial job reloads its request, finds it ended and does nothing.
        log.warning("dial jobs not deleted: request=%s error=%s", request_id, type(exc).__name__)
        return 0


def _delete_dial_jobs(redis: Redis, request_id: uuid.UUID) -> int:
    deleted = 0
    for key in redis.scan_iter(match=f"rq:job:dial-{request_id}-*", count=1000):
        job_id = key.decode().removeprefix("rq:job:")
        if ":" in job_id:
            continue  # a job's dependents or dependencies set, not a job
        try:
            job = Job.fetch(job_id, connection=redis)
        except NoSuchJobError:
            continue  # finished and expired between the scan and the fetch
        if job.get_status(refresh=False) == JobStatus.STARTED:
            continue  # it reloads the request, sees it ended, and stops
        job.delete()
        deleted += 1
    return deleted


def register_periodic(
    scheduler: CronScheduler,
    function: Callable[[], object],
    every_seconds: int,
    timeout: int,
    queue_name: str = CALLS_QUEUE,
) -> None:
    """Have RQ's cron scheduler enqueue `function` every `every_seconds` (calls queue)."""
    scheduler.register(
        function,
        queue_name=queue_name,
        interval=every_seconds,
        job_timeout=timeout,
        result_ttl=0,
        failure_ttl=FAILURE_TTL_SECONDS,
    )


# Statuses of a job that ended without doing its work: its id may be taken by new work.
# A finished job keeps its id (for its result's short TTL): that work was done.
DEAD_JOB_STATUSES = frozenset({JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED})
# A started job older than its timeout plus this was abandoned by a worker that died
# (kill -9, a lost machine): a live worker's own timeout would have ended it by then.
ABANDONED_AFTER = 30


def _enqueue_unless_alive(
    function: Callable[..., object],
    request_id: uuid.UUID | tuple[object, ...],
    options: dict[str, Any],
    at: datetime | None = None,
    queue: Queue | None = None,
) -> Job | None:
    """Enqueue (at `at`) under options["job_id"]; a dead job holding the id is deleted
    first. None: a live job has it. The job's arguments: the request id as text, or the
    tuple given."""
    queue = queue or calls_queue()
    job_id = options["job_id"]
    args = request_id if isinstance(request_id, tuple) else (str(request_id),)

    def enqueue(queue: Queue) -> Job:
        if at is None:
            return queue.enqueue(function, *args, unique=True, **options)
        return queue.enqueue_at(at, function, *args, unique=True, **options)

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
