"""ERASE_PROVIDER_RECORDS: delete every call of a finished request at Twilio, audited.

Twilio keeps call logs, with both numbers, until they are deleted. With the setting on,
each request that reaches a terminal status gets a job (enqueued after the commit that
ended it) that DELETEs each of its calls; a call Twilio cannot delete yet (still live)
or an outage makes the job fail and RQ retries it with backoff. The retention job's
periodic sweep enqueues it again for any request still lacking the audit entry, so the
deletion is retried until it succeeds.
"""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta
from typing import Any

from flask import Flask, current_app, has_app_context
from redis.exceptions import RedisError
from rq.exceptions import DuplicateJobError
from rq.job import Job
from sqlalchemy import event, exists, select
from sqlalchemy.orm import Session, SessionTransaction
from twilio.base.exceptions import TwilioRestException

from callback import db
from callback.lifecycle.requests import FINISHED_IN_SESSION
from callback.lifecycle.states import TERMINAL_STATUSES
from callback.models import AuditEntry, CallAttempt, CallbackRequest, utcnow
from workers.context import job_context
from workers.queues import DIAL_TIMEOUT_SECONDS, RESULT_TTL_SECONDS, backoff, calls_queue

log = logging.getLogger(__name__)

AUDIT_ACTION = "provider_records_deleted"
# Retries over about three hours; the retention sweep picks it up again after that.
RETRY_ATTEMPTS = 8
FAILURE_TTL_SECONDS = 24 * 3600
SWEEP_WINDOW = timedelta(days=7)


class ProviderRecordsPending(Exception):
    """Twilio did not delete a call yet (live, rate limited or down); RQ retries."""


def delete_provider_records(request_id: str) -> int:
    """DELETE each call of the ended request `request_id` at Twilio; return how many."""
    from callback.telephony import twilio_client  # noqa: PLC0415 - needs the app's config

    with job_context(__name__, request_id) as job_log:
        session = db.session()
        request = session.get(CallbackRequest, uuid.UUID(request_id))
        if request is None or not request.status.is_terminal:
            job_log.info("no ended request to erase provider records for")
            return 0
        sids = _call_sids(session, request.id)
        client = twilio_client()
        for sid in sids:
            try:
                client.calls(sid).delete()
            except TwilioRestException as exc:
                if exc.status != 404:  # a 404 means the record is already gone
                    raise ProviderRecordsPending(f"twilio {exc.status}/{exc.code}") from None
        if not _already_audited(session, request.id):
            session.add(
                AuditEntry(
                    request_id=request.id,
                    action=AUDIT_ACTION,
                    actor="system",
                    details={"calls": len(sids)},
                )
            )
            session.commit()
        job_log.info("provider records deleted: calls=%s", len(sids))
        return len(sids)


def _call_sids(session: Session, request_id: uuid.UUID) -> list[str]:
    query = select(CallAttempt.call_sid).where(
        CallAttempt.request_id == request_id, CallAttempt.call_sid.is_not(None)
    )
    return [sid for sid in session.scalars(query.order_by(CallAttempt.id)) if sid]


def _already_audited(session: Session, request_id: uuid.UUID) -> bool:
    query = select(AuditEntry.id).where(
        AuditEntry.request_id == request_id, AuditEntry.action == AUDIT_ACTION
    )
    return session.scalars(query.limit(1)).first() is not None


def provider_job_id(request_id: uuid.UUID | str) -> str:
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
            failure_ttl=FAILURE_TTL_SECONDS,
            retry=backoff(RETRY_ATTEMPTS, first=5.0),
            unique=True,
        )
    except DuplicateJobError:
        return None
    except RedisError as exc:
        error = type(exc).__name__
        log.warning("provider erasure enqueue failed: request=%s error=%s", request_id, error)
        return None


def sweep_provider_records(session: Session) -> int:
    """Enqueue deletion for recently ended requests whose calls are not yet deleted."""
    audited = exists().where(
        AuditEntry.request_id == CallbackRequest.id, AuditEntry.action == AUDIT_ACTION
    )
    has_calls = exists().where(
        CallAttempt.request_id == CallbackRequest.id, CallAttempt.call_sid.is_not(None)
    )
    ids = session.scalars(
        select(CallbackRequest.id).where(
            CallbackRequest.status.in_(TERMINAL_STATUSES),
            CallbackRequest.ended_at >= utcnow() - SWEEP_WINDOW,
            has_calls,
            ~audited,
        )
    ).all()
    return sum(enqueue_provider_erasure(request_id) is not None for request_id in ids)


def _after_commit(session: Session) -> None:
    finished = session.info.pop(FINISHED_IN_SESSION, None)
    if not finished or not has_app_context():
        return
    if current_app.config.get("ERASE_PROVIDER_RECORDS"):
        for request_id in finished:
            enqueue_provider_erasure(request_id)


def _after_soft_rollback(session: Session, previous: SessionTransaction) -> None:
    # A savepoint rolled back leaves the outer transaction's finished requests standing.
    if not previous.nested:
        session.info.pop(FINISHED_IN_SESSION, None)


def init_app(app: Flask) -> None:
    """Enqueue provider-record deletion after every commit that ended a request."""
    listeners: tuple[tuple[str, Any], ...] = (
        ("after_commit", _after_commit),
        ("after_soft_rollback", _after_soft_rollback),
    )
    for name, listener in listeners:
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)
