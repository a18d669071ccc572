"""Failed RQ jobs: list, inspect, retry or discard them, never showing a phone number.

Jobs carry only ids, but an exception message may quote what a library was given
(Twilio's 21211 message quotes the 'To' number), so every reason and traceback shown
is masked again before it is shown.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from redis import Redis
from rq import Queue
from rq.exceptions import InvalidJobOperation, NoSuchJobError
from rq.job import Job
from rq.results import Result
from sqlalchemy.orm import Session

from callback.models import CallbackRequest
from callback.ops.queue_health import queue_names
from callback.phones.masking import mask_phone_shaped

REASON_LENGTH = 200


class UnknownJob(LookupError):
    """No failed job has that id."""


@dataclass(frozen=True)
class FailedJob:
    job: Job
    queue: str

    @property
    def request_id(self) -> str | None:
        """Return the callback request the job worked on (its first argument), if any."""
        first = self.job.args[0] if self.job.args else None
        try:
            return str(uuid.UUID(str(first)))
        except ValueError:
            return None

    def traceback(self) -> str:
        result = self.job.latest_result()
        text = result.exc_string if result and result.type == Result.Type.FAILED else None
        # The worker scrubs failures before RQ stores them; this covers jobs failed elsewhere.
        return mask_phone_shaped(text or "")

    def reason(self) -> str:
        lines = [line for line in self.traceback().splitlines() if line.strip()]
        return (lines[-1] if lines else "no reason recorded")[:REASON_LENGTH]

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.job.id,
            "queue": self.queue,
            "function": self.job.func_name,
            "request_id": self.request_id,
            "enqueued_at": _iso(self.job.enqueued_at),
            "ended_at": _iso(self.job.ended_at),
            "reason": self.reason(),
        }


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def failed_jobs(connection: Redis, limit: int = 50) -> list[FailedJob]:
    """Return the newest failed jobs of every queue, newest first."""
    found = []
    for name in queue_names(connection):
        registry = Queue(name, connection=connection).failed_job_registry
        ids = registry.get_job_ids(0, limit - 1, desc=True, cleanup=False)
        jobs = Job.fetch_many(ids, connection=connection)
        found += [FailedJob(job, name) for job in jobs if job is not None]
    found.sort(key=lambda f: f.job.ended_at.timestamp() if f.job.ended_at else 0, reverse=True)
    return found[:limit]


def find(connection: Redis, job_id: str) -> FailedJob:
    """Return the failed job `job_id`, or raise UnknownJob."""
    try:
        job = Job.fetch(job_id, connection=connection)
    except NoSuchJobError:
        raise UnknownJob(job_id) from None
    if job.id not in Queue(job.origin, connection=connection).failed_job_registry:
        raise UnknownJob(job_id)
    return FailedJob(job, job.origin)


def details(failed: FailedJob, session: Session) -> dict[str, Any]:
    """Return everything shown about one failed job, with its request's state (no number)."""
    info = failed.as_dict()
    info["traceback"] = failed.traceback()
    request = (
        session.get(CallbackRequest, uuid.UUID(failed.request_id)) if failed.request_id else None
    )
    info["request"] = (
        None
        if request is None
        else {"status": request.status.value, "outcome": request.outcome, "round": request.round}
    )
    return info


def retry(connection: Redis, job_id: str) -> None:
    """Put a failed job back on its queue (jobs are idempotent: they reload their row)."""
    failed = find(connection, job_id)
    try:
        Queue(failed.queue, connection=connection).failed_job_registry.requeue(failed.job)
    except InvalidJobOperation:
        raise UnknownJob(job_id) from None


def discard(connection: Redis, job_id: str) -> None:
    """Delete a failed job for good."""
    failed = find(connection, job_id)
    registry = Queue(failed.queue, connection=connection).failed_job_registry
    registry.remove(failed.job, delete_job=True)
