"""Data-subject erasure: remove one number from the database, Redis and Twilio now."""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass
from typing import Any

from flask import current_app
from redis import Redis
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from sqlalchemy.orm import Session

from callback.lifecycle.requests import forget
from callback.models import AuditEntry, RequestStatus
from callback.privacy.export import abuse_limit_keys, requests_of

ERASED_ON_REQUEST = "erased_on_request"


@dataclass(frozen=True)
class Erasure:
    """What one erasure removed; counts only, never the number."""

    requests: int
    pending_canceled: int
    jobs_deleted: int
    redis_keys_deleted: int
    provider_erasures_queued: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def erase_number(session: Session, redis: Redis, e164: str, actor: str) -> Erasure:
    """Erase `e164` everywhere: cancel pending requests, null every copy, drop Redis keys."""
    from workers.provider_records import enqueue_provider_erasure  # noqa: PLC0415 - cycle
    from workers.queues import enqueue_hangups  # noqa: PLC0415 - the queues import the flow

    rows = requests_of(session, e164)
    pending = [row.id for row in rows if not row.status.is_terminal]
    for row in rows:
        forget(session, row, RequestStatus.CANCELED, ERASED_ON_REQUEST, actor)
    keys = abuse_limit_keys(redis, e164)
    ids = [row.id for row in rows]
    session.add(
        AuditEntry(
            request_id=None,
            action="subject_erasure",
            actor=actor,
            details={"requests": [str(i) for i in ids], "redis_keys": len(keys)},
        )
    )
    session.commit()
    if keys:
        redis.delete(*keys)
    jobs = sum(delete_dial_jobs(redis, request_id) for request_id in ids)
    for request_id in pending:
        enqueue_hangups(request_id)  # a call may be ringing or bridged right now
    queued = 0
    if current_app.config.get("ERASE_PROVIDER_RECORDS"):
        queued = sum(enqueue_provider_erasure(request_id) is not None for request_id in ids)
    return Erasure(len(ids), len(pending), jobs, len(keys), queued)


def delete_dial_jobs(redis: Redis, request_id: uuid.UUID) -> int:
    """Delete the request's dial jobs that are not running; return how many."""
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
