"""The dial job: ring the next agent of the request's team, exactly once per attempt."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from flask import current_app
from redis.exceptions import RedisError
from sqlalchemy import Exists, exists
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from twilio.base.exceptions import TwilioRestException

from callback import after_commit, db, metrics
from callback.agents.roster import pause
from callback.agents.routing import AgentChoice, agents_tried, choose_agents, claim_agent
from callback.agents.work import WaitForAgent
from callback.lifecycle.legs import next_attempt_number
from callback.lifecycle.moves import move_attempt
from callback.lifecycle.requests import (
    SCHEDULER_SLACK,
    deadline,
    dialling,
    finish,
    restart_round,
    retry_later,
    waited_too_long,
)
from callback.lifecycle.states import LIVE_ATTEMPT_STATUSES, AttemptStatus, RequestStatus
from callback.lifecycle.transitions import AttemptEvent
from callback.lifecycle.work import Dial
from callback.lines.order import PHONE, someone_ahead
from callback.models import Agent, CallAttempt, CallbackRequest, Leg, utcnow
from callback.redis_client import redis_connection
from callback.schedule.hours import widget_schedule
from callback.telephony import EVERY_CALL_TWILIO_CODES
from workers import calls, waiting
from workers.context import JobLog, job_context
from workers.cps import CallPacer

# How soon a phone-line request looks again while someone is ahead of it in line, or
# nobody is on duty. (A request whose agents are all on calls waits in workers.waiting.)
LINE_LOOK_AGAIN = timedelta(seconds=2)
# How many times a dial job chooses again when other jobs claimed its agents first.
CLAIM_TRIES = 3
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
    if live is not None and not _settle_unsent(session, live, log):
        session.commit()
        return "in_progress"
    opening = _line_opening(request)
    if opening is not None:
        return _wait_for_opening(session, request, opening, log)
    if someone_ahead(session, request):
        return _wait_in_line(session, request, log)
    unclaimed = _unclaimed_agents(request)  # read before the agents are found busy
    choice, agents = _choose_and_claim(session, request)
    if not agents:
        busy = bool(choice.agents) or choice.busy
        return _no_agent_now(session, request, busy, unclaimed, log, choice.others_free)
    attempts = _claim_attempts(session, request, agents, log)
    if attempts is None:
        return "duplicate"
    results = _create_agent_calls(session, request, attempts, log)
    return results[0] if len(results) == 1 else ",".join(results)


def _create_agent_calls(
    session: Session, request: CallbackRequest, attempts: list[CallAttempt], log: JobLog
) -> list[str]:
    """Send each leg's create in turn; if one must be retried, rule out those not sent.

    A leg left `pending` would make its agent look busy to every other dial job until
    the reconciler rules it out (RECONCILE_STALE_SECONDS); RQ's retry of this job rings
    them again.
    """
    results = []
    for number, attempt in enumerate(attempts):
        try:
            results.append(_create_agent_call(request, attempt, log))
        except RetryableTwilioError:
            for unsent in attempts[number + 1 :]:
                rule_out_unsent(session, unsent)
            session.commit()
            raise
    return results


def _choose_and_claim(
    session: Session, request: CallbackRequest
) -> tuple[AgentChoice, list[Agent]]:
    """Choose the agents to ring and claim them; choose again if another job took them.

    In a burst, every job of a team wants its first free agent at once: the ones that
    lose the claim choose again among the agents still free, rather than wait for a call
    to end while others are free.
    """
    for _ in range(CLAIM_TRIES):
        choice = choose_agents(session, request)
        agents = [agent for agent in choice.agents if claim_agent(session, agent)]
        if agents or not choice.agents:
            break
    return choice, agents


def _settle_unsent(session: Session, live: CallAttempt, log: JobLog) -> bool:
    """Settle a live leg of this round that was never sent; True if it is out of the way.

    A pending leg was never sent: ruling it out also stops a run still waiting to send
    it (its own move from pending then fails). An unknown leg is looked up at Twilio,
    but only once any create sent for it must have ended.
    """
    if live.status == AttemptStatus.PENDING:
        return rule_out_unsent(session, live)
    if live.status != AttemptStatus.UNKNOWN or (live.sent_at and live.sent_at > in_flight_since()):
        log.info("agent leg already in progress: attempt=%s", live.id)
        return False
    return calls.resolve_unsent(session, live, log)


def rule_out_unsent(session: Session, attempt: CallAttempt) -> bool:
    """Mark a leg never sent as not created; False if it was sent meanwhile (or settled)."""
    still_pending = CallAttempt.status == AttemptStatus.PENDING
    return move_attempt(session, attempt, AttemptEvent.NOT_CREATED, None, still_pending)


def in_flight_since() -> datetime:
    """Return the instant before which any create we sent has had its answer (or timed out)."""
    config = current_app.config
    seconds = config["TWILIO_CONNECT_TIMEOUT"] + config["TWILIO_READ_TIMEOUT"] + 5
    return utcnow() - timedelta(seconds=seconds)


def _claim_attempts(
    session: Session, request: CallbackRequest, agents: list[Agent], log: JobLog
) -> list[CallAttempt] | None:
    """Write one attempt row per agent before any create is sent; None if another run won.

    When a call token is free at once, the first leg is written as sent (`unknown`, as
    a create that may have reached Twilio), so its create follows this commit with no
    second one; other legs stay `pending` until `_create_agent_call` has their token.
    """
    first_number = next_attempt_number(session, request, Leg.AGENT)
    try:
        if not dialling(session, request):
            session.rollback()
            log.info("request moved on before its agent legs were written")
            return None
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
        # Only the first leg's create follows the commit at once: the others are sent
        # after it, each checked against the request when its own turn comes. Asked
        # after `dialling`, which holds the request's row (and may have waited for it):
        # `sent_at` starts the reconciler's wait before it looks the leg up at Twilio,
        # so it must not run down while this job waits for a lock. (A token taken for a
        # leg that another run then claims first is spent: one per such race.)
        if _token_now():
            attempts[0].status, attempts[0].sent_at = AttemptStatus.UNKNOWN, utcnow()
        session.add_all(attempts)
        session.commit()
    except IntegrityError:
        session.rollback()
        log.info("another run of this job claimed the attempt")
        return None
    return attempts


def _wait_in_line(session: Session, request: CallbackRequest, log: JobLog) -> str:
    """Leave the free agents to whoever is ahead in the phone line; look again shortly."""
    _look_again(session, request)
    session.commit()
    log.info("someone is ahead in the line; trying again shortly")
    return "behind_in_line"


def _line_opening(request: CallbackRequest) -> datetime | None:
    """When a phone-line request should be looked at again if the widget is closed now:
    its next opening, or the end of its maximum wait if that comes first (the dial then
    ends it). None for a web request, or an open widget.

    The widget's hours say when its agents are rung, on the phone line as for the form:
    a caller after hours hears when the line opens (webhooks/lines.py), so ringing an
    agent whose own hours are unset would contradict them. And looking every few seconds
    until the opening would run a dial job every LINE_LOOK_AGAIN all night.
    """
    if request.channel != PHONE:
        return None
    now = utcnow()
    schedule = widget_schedule(request.widget)
    if schedule.is_open(now):
        return None
    opening = schedule.next_opening(now)
    last = deadline(request)
    return last if opening is None else min(opening, last)


def _wait_for_opening(
    session: Session, request: CallbackRequest, opening: datetime, log: JobLog
) -> str:
    moved = restart_round(session, request, opening)
    session.commit()
    if not moved:
        log.info("another process moved the request on")
        return "skipped"
    log.info("phone line: the widget is closed; looking again at %s", opening.isoformat())
    return "line_wait"


def _look_again(session: Session, request: CallbackRequest) -> None:
    at = utcnow() + LINE_LOOK_AGAIN
    after_commit.add(session, Dial(request.id, request.round, at=at, tag=f"w{int(at.timestamp())}"))


def _unclaimed_agents(request: CallbackRequest) -> int | None:
    try:
        return waiting.unclaimed(redis_connection(), request.widget.team)
    except RedisError:
        return None  # the request then waits for the next free agent, or the reconciler


def _no_agent_now(
    session: Session,
    request: CallbackRequest,
    busy: bool,
    unclaimed: int | None,
    log: JobLog,
    others_free: bool = False,
) -> str:
    """Wait for a busy agent to be free, or start the next round when the team is exhausted.

    While the widget is open (see `_line_opening`), the phone line's requests (a caller
    on the phone, or a callback keeping its place) are never put off to a later round:
    they wait in line, and their agents are rung again, round after round, until one
    takes them or the widget's maximum wait passes.
    """
    if request.channel == PHONE and not busy:
        if agents_tried(session, request):
            restart_round(session, request, utcnow() + LINE_LOOK_AGAIN)
        else:  # nobody on duty yet: the caller hears their wait, and we look again
            _look_again(session, request)
        session.commit()
        log.info("waiting in the phone line: ringing its agents again shortly")
        return "line_wait"
    if busy:
        team = request.widget.team
        wait = WaitForAgent(
            request.id, request.round, team, request.created_at, unclaimed, others_free
        )
        after_commit.add(session, wait)
        log.info("every free agent is on a call; waiting for one to be free")
    else:
        rung = agents_tried(session, request)
        retry_later(session, request, "no_agent_accepted" if rung else "no_agent_available")
        log.info("no agent left this round: %s", request.status.value)
    session.commit()
    return "agent_busy" if busy else "no_agent"


def _pacer() -> CallPacer:
    return CallPacer(redis_connection(), current_app.config["TWILIO_CPS"])


def _token_now() -> bool:
    """Take a call token if one is free now; False (and none taken) if it is not."""
    try:
        return _pacer().try_take() == 0
    except RedisError:
        return False  # the leg then waits for its token after the commit, as when busy


def _paced(log: JobLog) -> bool:
    """Wait for a call token shared by all workers; False if none came in time."""
    try:
        waited = _pacer().take()
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
            CallAttempt.status.in_(LIVE_ATTEMPT_STATUSES),
        )
        .order_by(CallAttempt.attempt_number.desc())
        .first()
    )


def _still_calling_agents(request: CallbackRequest) -> Exists:
    """EXISTS: the request is still ringing agents in this round (checked at the send)."""
    return exists().where(
        CallbackRequest.id == request.id,
        CallbackRequest.status == RequestStatus.CALLING_AGENT,
        CallbackRequest.round == request.round,
    )


def _create_agent_call(request: CallbackRequest, attempt: CallAttempt, log: JobLog) -> str:
    session = db.session()
    pending = attempt.status == AttemptStatus.PENDING
    if pending and not _sent_once_paced(session, request, attempt, log):
        log.info("not sent: the request or its leg moved on while pacing: attempt=%s", attempt.id)
        return "skipped"
    try:
        sid = calls.create_agent_call(request, attempt)
    except calls.CreateAnswerLost:
        # The call's own status callbacks (they name the attempt) may have told us already.
        session.refresh(attempt)
        session.commit()
        if attempt.status != AttemptStatus.UNKNOWN:
            log.warning("create answer lost, call known from its callbacks: attempt=%s", attempt.id)
            return "dialled"
        log.warning("create answer lost: attempt=%s is unknown until listed", attempt.id)
        raise RetryableTwilioError("create answer lost") from None
    except TwilioRestException as exc:
        return _create_refused(session, request, attempt, exc, log)
    if not move_attempt(session, attempt, AttemptEvent.CREATE_ANSWERED, {"call_sid": sid}):
        # Its callbacks got here first and moved it on; only the SID is ours to add.
        attempt.call_sid = attempt.call_sid or sid
    session.commit()
    log.info("agent leg created: attempt=%s call=%s", attempt.id, sid)
    return "dialled"


def _sent_once_paced(
    session: Session, request: CallbackRequest, attempt: CallAttempt, log: JobLog
) -> bool:
    """Wait for the leg's call token, then mark it sent; False if it was ruled out."""
    if not _paced(log):
        rule_out_unsent(session, attempt)
        session.commit()
        raise RetryableTwilioError("call pacing: no token in time")
    # The token may have taken a while: send only if the visitor did not withdraw and
    # nobody (the reconciler, another run) ruled this leg out meanwhile.
    sent = move_attempt(
        session,
        attempt,
        AttemptEvent.CREATE_SENT,
        {"sent_at": utcnow()},
        _still_calling_agents(request),
    )
    if not sent:
        rule_out_unsent(session, attempt)  # unless another run sent it meanwhile
    session.commit()
    return sent


def _create_refused(
    session: Session,
    request: CallbackRequest,
    attempt: CallAttempt,
    exc: TwilioRestException,
    log: JobLog,
) -> str:
    """End the leg Twilio refused: retry it, pass to the next agent, or fail the request."""
    metrics.twilio_error(exc)
    if calls.is_retryable_error(exc):
        move_attempt(session, attempt, AttemptEvent.NOT_CREATED, {"error_code": exc.code})
        session.commit()
        log.warning("twilio busy: status=%s code=%s", exc.status, exc.code)
        raise RetryableTwilioError(f"twilio {exc.status}/{exc.code}") from None
    ended = {"error_code": exc.code, "ended_at": utcnow()}
    move_attempt(session, attempt, AttemptEvent.CREATE_REFUSED, ended)
    if exc.code in EVERY_CALL_TWILIO_CODES:
        # The account or the caller ID is at fault: every agent would meet the same error.
        if _live_agent_attempt(session, request) is None:
            finish(session, request, RequestStatus.FAILED, f"twilio_error_{exc.code}")
        session.commit()
        log.warning("twilio refused every call: code=%s", exc.code)
        return "failed"
    agent = session.get(Agent, attempt.agent_id) if attempt.agent_id else None
    if agent is not None:
        pause(session, agent, f"Twilio refused calls to this phone: error {exc.code}")
    after_commit.add(session, Dial(request.id, request.round, step=attempt.attempt_number))
    session.commit()
    log.warning("twilio refused the agent's number: attempt=%s code=%s", attempt.id, exc.code)
    return "agent_refused"
