"""The dial job: ring the next agent of the request's team, exactly once per attempt."""

from __future__ import annotations

import uuid
from datetime import timedelta

from flask import current_app
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from twilio.base.exceptions import TwilioRestException

from callback import db
from callback.flow import FollowUp, next_attempt_number, retry_later, waited_too_long
from callback.models import Agent, CallAttempt, CallbackRequest, Leg, RequestStatus, utcnow
from callback.ops import metrics
from callback.privacy import advance, finish
from callback.redis_client import redis_connection
from callback.routing import LIVE_CALL_STATUSES, agents_tried, choose_agents, claim_agent
from workers import calls
from workers.context import JobLog, job_context
from workers.cps import CallPacer
from workers.queues import enqueue_follow_up

# RQ's scheduler keeps whole-second scores and wakes every second, so a scheduled job
# may start up to this much before its time; that counts as on time.
SCHEDULER_SLACK = timedelta(seconds=2)
# How soon to look again when every untried agent is on another call.
AGENT_BUSY_WAIT = timedelta(seconds=2)
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
    if waited_too_long(request):
        finish(session, request, RequestStatus.EXPIRED, "max_wait_exceeded")
        session.commit()
        log.info("expired: waited longer than the widget allows")
        return "expired"
    live = _live_agent_attempt(session, request)
    if live is not None:
        if live.status not in {"pending", "unknown"}:
            log.info("agent leg already in progress: attempt=%s", live.id)
            return "in_progress"
        if not calls.resolve_unsent(session, live, log):
            session.commit()
            return "resolved_existing"
    choice = choose_agents(session, request)
    agents = [agent for agent in choice.agents if claim_agent(session, agent)]
    if not agents:
        return _no_agent_now(session, request, bool(choice.agents) or choice.busy, log)
    attempts = _claim_attempts(session, request, agents, log)
    if attempts is None:
        return "duplicate"
    results = [_create_agent_call(request, attempt, log) for attempt in attempts]
    return results[0] if len(results) == 1 else ",".join(results)


def _claim_attempts(
    session: Session, request: CallbackRequest, agents: list[Agent], log: JobLog
) -> list[CallAttempt] | None:
    """Write one attempt row per agent before any create is sent; None if another run won."""
    first_number = next_attempt_number(session, request, Leg.AGENT)
    attempts = [
        CallAttempt(
            request_id=request.id,
            leg=Leg.AGENT,
            attempt_number=first_number + offset,
            round=request.round,
            agent_id=agent.id,
        )
        for offset, agent in enumerate(agents)
    ]
    if request.status == RequestStatus.SCHEDULED:
        request.status = RequestStatus.QUEUED
    advance(request, RequestStatus.CALLING_AGENT)
    session.add_all(attempts)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        log.info("another run of this job claimed the attempt")
        return None
    return attempts


def _no_agent_now(session: Session, request: CallbackRequest, busy: bool, log: JobLog) -> str:
    """Wait a little for a busy agent, or start the next round when the team is exhausted."""
    follow_up: FollowUp | None
    if busy:
        at = utcnow() + AGENT_BUSY_WAIT
        follow_up = FollowUp(request.id, request.round, at=at, tag=f"w{int(at.timestamp())}")
        log.info("every free agent is on a call; trying again shortly")
    else:
        rung = agents_tried(session, request)
        follow_up = retry_later(
            session, request, "no_agent_accepted" if rung else "no_agent_available"
        )
        log.info("no agent left this round: %s", request.status.value)
    session.commit()
    enqueue_follow_up(follow_up)
    return "agent_busy" if busy else "no_agent"


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
    if not _paced(log):
        attempt.status = "not_created"
        session.commit()
        raise RetryableTwilioError("call pacing: no token in time")
    try:
        sid = calls.create_agent_call(request, attempt)
    except calls.CreateAnswerLost:
        # The call's own status callbacks (they name the attempt) may have told us already.
        session.refresh(attempt)
        if attempt.status != "pending":
            session.commit()
            log.warning("create answer lost, call known from its callbacks: attempt=%s", attempt.id)
            return "dialled"
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
        if _live_agent_attempt(session, request) is None:  # no other agent is ringing
            finish(session, request, RequestStatus.FAILED, f"twilio_error_{exc.code}")
        session.commit()
        log.warning("twilio refused the call: code=%s", exc.code)
        return "failed"
    session.refresh(attempt)  # callbacks for this call may already have moved it on
    attempt.call_sid = attempt.call_sid or sid
    if attempt.status == "pending":
        attempt.status = "queued"
    session.commit()
    log.info("agent leg created: attempt=%s call=%s", attempt.id, sid)
    return "dialled"
