"""Talking to Twilio about calls: create the agent leg, find a lost one, end live ones."""

from __future__ import annotations

import uuid
from datetime import timedelta

import requests
from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session
from twilio.base.exceptions import TwilioRestException

from callback import db
from callback.lifecycle.moves import move_attempt
from callback.lifecycle.states import AT_TWILIO_STATUSES, AttemptStatus
from callback.lifecycle.transitions import AttemptEvent
from callback.models import Agent, CallAttempt, CallbackRequest, Leg
from callback.telephony import is_retryable, public_url, twilio_client
from workers.context import JobLog, job_context

AGENT_RING_SECONDS = 20
STATUS_EVENTS = ["initiated", "ringing", "answered", "completed"]
# Calls created before the attempt row's timestamp minus this are not ours.
CLOCK_SKEW = timedelta(seconds=30)


class CreateAnswerLost(Exception):
    """The create request was sent but no answer came: a call may or may not exist."""


def is_retryable_error(exc: TwilioRestException) -> bool:
    return is_retryable(exc.status, exc.code)


def _caller_id(request: CallbackRequest) -> str:
    number: str = current_app.config.get("TWILIO_FROM_NUMBER") or request.widget.caller_id or ""
    return number


def create_agent_call(request: CallbackRequest, attempt: CallAttempt) -> str:
    """Create the agent leg at Twilio and return its call SID."""
    agent_phone = db.session().get_one(Agent, attempt.agent_id).phone
    try:
        call = twilio_client().calls.create(
            to=agent_phone,
            from_=_caller_id(request),
            url=public_url(f"/twilio/attempts/{attempt.id}/whisper"),
            status_callback=public_url(f"/twilio/attempts/{attempt.id}/status"),
            status_callback_event=STATUS_EVENTS,
            status_callback_method="POST",
            timeout=AGENT_RING_SECONDS,
        )
    except (requests.Timeout, requests.ConnectionError) as exc:
        # A connect failure means nothing was sent, but a read timeout may hide a call;
        # both are treated as unknown and resolved by listing before any redial.
        raise CreateAnswerLost(type(exc).__name__) from None
    sid: str = call.sid or ""
    return sid


def resolve_unsent(session: Session, attempt: CallAttempt, log: JobLog) -> bool:
    """Settle a leg whose create got no answer; return True if no call was created.

    Lists the calls to the agent since the attempt began: one found is adopted as this
    leg's call (its callbacks and the reconciler carry it on), so the agent is never
    rung twice for it.
    """
    unknown = CallAttempt.status == AttemptStatus.UNKNOWN
    agent = session.get(Agent, attempt.agent_id) if attempt.agent_id else None
    if agent is None:
        # Only rows from before agents were kept: with no number, nothing can be listed.
        log.warning("agent of attempt=%s is gone; its call cannot be looked up", attempt.id)
        return move_attempt(session, attempt, AttemptEvent.NOT_CREATED, None, unknown)
    since = attempt.created_at - CLOCK_SKEW
    known = set(
        session.scalars(select(CallAttempt.call_sid).where(CallAttempt.call_sid.is_not(None)))
    )
    # Filtered here rather than by StartTime>, which Twilio leaves empty for queued calls.
    found = [
        call
        for call in twilio_client().calls.list(to=agent.phone, limit=50)
        if call.sid not in known
        and call.parent_call_sid is None
        and call.date_created is not None
        and call.date_created >= since
    ]
    if found:
        oldest = min(found, key=lambda c: c.date_created)
        adopted = {"call_sid": oldest.sid}
        move_attempt(session, attempt, AttemptEvent.CREATE_ANSWERED, adopted, unknown)
        log.info("adopted lost call: attempt=%s call=%s", attempt.id, oldest.sid)
        return False
    log.info("no call was created for attempt=%s; dialling again", attempt.id)
    return move_attempt(session, attempt, AttemptEvent.NOT_CREATED, None, unknown)


def end_calls(request_id: str) -> int:
    """End every live call of a withdrawn or finished request; return how many."""
    with job_context(__name__, request_id) as log:
        return _end(_live_legs(uuid.UUID(request_id)), log)


def end_losing_agent_legs(request_id: str) -> int:
    """End the other agents' phones once one agent took the call (simultaneous ring)."""
    with job_context(__name__, request_id) as log:
        legs = [
            leg
            for leg in _live_legs(uuid.UUID(request_id))
            if leg.leg == Leg.AGENT and leg.digits != "1"
        ]
        return _end(legs, log)


def delete_line_queue(request_id: str, queue_sid: str) -> bool:
    """Delete the queue a phone-line caller waited in; False if Twilio had none by that SID.

    Each caller waits in a queue of their own (callback.lines.order.queue_name), which
    Twilio keeps after they leave it. An error worth retrying (or a queue not empty yet)
    fails the job, and RQ retries it with backoff.
    """
    with job_context(__name__, request_id) as log:
        try:
            twilio_client().queues(queue_sid).delete()
        except TwilioRestException as exc:
            if exc.status != 404:
                raise
            log.info("queue already gone")
            return False
        log.info("caller's queue deleted")
        return True


def _live_legs(request_id: uuid.UUID) -> list[CallAttempt]:
    return list(
        db.session().scalars(
            select(CallAttempt).where(
                CallAttempt.request_id == request_id,
                CallAttempt.call_sid.is_not(None),
                CallAttempt.status.in_(AT_TWILIO_STATUSES),
            )
        )
    )


def _end(attempts: list[CallAttempt], log: JobLog) -> int:
    """Ask Twilio to end each call (agent legs first); calls already over are skipped.

    A ringing call is canceled, an answered one completed. Twilio ignores `canceled` on
    an answered call, and our copy of a status may be behind Twilio's (a late callback):
    a call still in progress after the cancel is completed as well.
    """
    ended = 0
    client = twilio_client()
    for attempt in sorted(attempts, key=lambda a: a.leg != Leg.AGENT):
        answered = attempt.status == AttemptStatus.IN_PROGRESS
        try:
            call = client.calls(attempt.call_sid).update(
                status="completed" if answered else "canceled"
            )
            if call.status == AttemptStatus.IN_PROGRESS:
                client.calls(attempt.call_sid).update(status="completed")
            ended += 1
        except TwilioRestException as exc:
            if is_retryable_error(exc):
                raise
            # 21220 and friends: the call already ended on its own.
            log.info("call already over: attempt=%s code=%s", attempt.id, exc.code)
    return ended
