"""The dial job: ring the next agent of the request's team, exactly once per attempt."""

from __future__ import annotations

import uuid
from datetime import timedelta

from flask import current_app
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from twilio.base.exceptions import TwilioRestException

from callback import db
from callback.flow import LIVE_CALL_STATUSES, next_agent, next_attempt_number, retry_later
from callback.models import CallAttempt, CallbackRequest, Leg, RequestStatus, utcnow
from callback.ops import metrics
from callback.privacy import advance, finish
from callback.redis_client import redis_connection
from workers import calls
from workers.context import JobLog, job_context
from workers.cps import CallPacer
from workers.queues import enqueue_follow_up

# RQ's scheduler keeps whole-second scores and wakes every second, so a scheduled job
# may start up to this much before its time; that counts as on time.
SCHEDULER_SLACK = timedelta(seconds=2)
DIALLABLE = frozenset({RequestStatus.SCHEDULED, RequestStatus.QUEUED, RequestStatus.CALLING_AGENT})


class RetryableTwilioError(Exception):
    """Twilio asked us to slow down or had trouble; RQ retries the job with backoff."""


def dial(request_id: str) -> str:
    """Ring the next agent for request `request_id`; return what was done (no personal data)."""
    with job_context(__name__, request_id) as log:
        return _dial(uuid.UUID(request_id), log)


def _dial(request_id: uuid.UUID, log: JobLog) -> str:
    session = db.session()
    request = session.get(CallbackRequest, request_id)
    if request is None or request.status not in DIALLABLE:
        log.info("nothing to dial: request moved on")
        return "skipped"
    if request.scheduled_for and request.scheduled_for > utcnow() + SCHEDULER_SLACK:
        log.info("not due yet")
        return "not_due"
    live = _live_agent_attempt(session, request)
    if live is not None:
        if live.status not in {"pending", "unknown"}:
            log.info("agent leg already in progress: attempt=%s", live.id)
            return "in_progress"
        if not calls.resolve_unsent(session, live, log):
            session.commit()
            return "resolved_existing"
    agent = next_agent(session, request)
    if agent is not None and not _paced(log):
        raise RetryableTwilioError("call pacing: no token in time")
    if agent is None:
        follow_up = retry_later(session, request, "no_agent_available")
        session.commit()
        enqueue_follow_up(follow_up)
        log.info("no agent available: %s", request.status.value)
        return "no_agent"
    attempt = CallAttempt(
        request_id=request.id,
        leg=Leg.AGENT,
        attempt_number=next_attempt_number(session, request, Leg.AGENT),
        round=request.round,
        agent_id=agent.id,
    )
    if request.status == RequestStatus.SCHEDULED:
        request.status = RequestStatus.QUEUED
    advance(request, RequestStatus.CALLING_AGENT)
    session.add(attempt)
    try:
        session.commit()  # the attempt exists before the REST create is sent
    except IntegrityError:
        session.rollback()
        log.info("another run of this job claimed the attempt")
        return "duplicate"
    return _create_agent_call(request, attempt, log)


def _paced(log: JobLog) -> bool:
    """Wait for a call token shared by all workers; False if none came in time."""
    pacer = CallPacer(redis_connection(), current_app.config["TWILIO_CPS"])
    try:
        waited = pacer.take()
    except TimeoutError:
        return False
    if waited:
        log.info("paced for %.2fs", waited)
    return True


def _live_agent_attempt(session: Session, request: CallbackRequest) -> CallAttempt | None:
    return (
        session.query(CallAttempt)
        .filter(
            CallAttempt.request_id == request.id,
            CallAttempt.leg == Leg.AGENT,
            CallAttempt.round == request.round,
            CallAttempt.status.in_(LIVE_CALL_STATUSES),
        )
        .order_by(CallAttempt.attempt_number.desc())
        .first()
    )


def _create_agent_call(request: CallbackRequest, attempt: CallAttempt, log: JobLog) -> str:
    session = db.session()
    try:
        sid = calls.create_agent_call(request, attempt)
    except calls.CreateAnswerLost:
        attempt.status = "unknown"
        session.commit()
        log.warning("create answer lost: attempt=%s is unknown until listed", attempt.id)
        raise RetryableTwilioError("create answer lost") from None
    except TwilioRestException as exc:
        metrics.twilio_error(exc)
        attempt.error_code = exc.code
        if calls.is_retryable_error(exc):
            attempt.status = "not_created"
            session.commit()
            log.warning("twilio busy: status=%s code=%s", exc.status, exc.code)
            raise RetryableTwilioError(f"twilio {exc.status}/{exc.code}") from None
        attempt.status = "failed"
        finish(session, request, RequestStatus.FAILED, f"twilio_error_{exc.code}")
        session.commit()
        log.warning("twilio refused the call: code=%s", exc.code)
        return "failed"
    attempt.call_sid = sid
    if attempt.status == "pending":
        attempt.status = "queued"
    session.commit()
    log.info("agent leg created: attempt=%s call=%s", attempt.id, sid)
    return "dialled"
