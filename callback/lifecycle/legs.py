"""What a call leg's progress does to its request, for either leg, from any source.

Twilio's status callbacks, the Dial action, a fetched or listed call: each reports a
status, which moves the leg forward only, and then the request follows. The dial that
must follow (next agent, next round) is handed to `callback.after_commit`.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from callback import after_commit, metrics
from callback.agents.roster import note_agent_leg_end
from callback.lifecycle.moves import move_attempt, move_request
from callback.lifecycle.requests import finish, restart_round, retry_later
from callback.lifecycle.states import (
    FINAL_CALL_STATUSES,
    UNANSWERED_STATUSES,
    AttemptStatus,
    RequestStatus,
    call_status,
)
from callback.lifecycle.transitions import AttemptEvent, RequestEvent
from callback.lifecycle.work import Dial, EndOtherAgentCalls
from callback.models import CallAttempt, CallbackRequest, Leg, utcnow

# A caller waiting on the phone line who was not bridged is rung for again this soon.
LINE_AGAIN_AFTER = timedelta(seconds=2)
RANG = frozenset({AttemptStatus.RINGING, AttemptStatus.IN_PROGRESS, AttemptStatus.COMPLETED})


def next_attempt_number(session: Session, request: CallbackRequest, leg: Leg) -> int:
    """Return the number the request's next leg of kind `leg` gets."""
    numbers = session.scalars(
        select(CallAttempt.attempt_number).where(
            CallAttempt.request_id == request.id, CallAttempt.leg == leg
        )
    ).all()
    return max(numbers, default=0) + 1


def accept(
    session: Session, request: CallbackRequest, agent_leg: CallAttempt
) -> CallAttempt | None:
    """Let the agent who pressed 1 take the call: return the visitor's new leg, or None.

    Settled by one conditional UPDATE: of agents pressing 1 at once, only one matches.
    """
    won = move_request(
        session,
        request,
        RequestEvent.AGENT_ACCEPTED,
        None,
        CallbackRequest.round == agent_leg.round,
        # Someone to bridge: a number to dial, or a caller waiting on the phone line.
        or_(CallbackRequest.phone.is_not(None), CallbackRequest.on_line.is_(True)),
    )
    if not won:
        return None
    # A caller on the line may have taken a callback just before: bridge what is true now.
    session.refresh(request, ["phone", "on_line"])
    visitor_leg = CallAttempt(
        request_id=request.id,
        leg=Leg.VISITOR,
        attempt_number=next_attempt_number(session, request, Leg.VISITOR),
        round=agent_leg.round,
        agent_id=agent_leg.agent_id,
        status=AttemptStatus.QUEUED,
    )
    session.add(visitor_leg)
    session.flush()  # its id names the visitor leg's callback URLs
    if request.widget.ring_strategy == "simultaneous":
        after_commit.add(session, EndOtherAgentCalls(request.id, agent_leg.round))
    return visitor_leg


def report(
    session: Session,
    attempt: CallAttempt,
    status: AttemptStatus,
    duration: int | None = None,
    answered_by: str | None = None,
) -> bool:
    """Move the leg forward to Twilio's `status`; return whether it moved."""
    now = utcnow()
    values: dict[str, object] = {}
    if status == AttemptStatus.IN_PROGRESS:
        values["answered_at"] = now
    if status in FINAL_CALL_STATUSES:
        values.update(ended_at=now, duration_seconds=duration)
    if answered_by:
        values["answered_by"] = answered_by[:32]
    if not move_attempt(session, attempt, AttemptEvent.REPORTED, values, to=status):
        return False
    metrics.call_leg_status(attempt.leg, status)
    return True


def apply_status(
    session: Session,
    attempt: CallAttempt,
    reported: str,
    duration: int | None = None,
    answered_by: str | None = None,
) -> None:
    """Move the leg forward to the `reported` status and let the request follow."""
    status = call_status(reported)
    if status is None:
        return
    request = session.get_one(CallbackRequest, attempt.request_id)
    if attempt.leg == Leg.AGENT and status in RANG and request.agent_ringing_at is None:
        # Callbacks may come out of order: an answered phone has rung, whenever we hear it.
        request.agent_ringing_at = utcnow()
        metrics.agent_ringing(request)
    if not report(session, attempt, status, duration, answered_by):
        return
    final = status in FINAL_CALL_STATUSES
    if attempt.leg == Leg.AGENT and final:
        note_agent_leg_end(session, attempt, status)
    if attempt.round != request.round or request.status.is_terminal:
        return  # a late report about an earlier round or an ended request
    if attempt.leg == Leg.AGENT:
        if final:
            agent_leg_ended(session, request, attempt)
        return
    if status == AttemptStatus.IN_PROGRESS and move_request(
        session,
        request,
        RequestEvent.VISITOR_ANSWERED,
        {"connected_at": utcnow()},
        CallbackRequest.round == attempt.round,
    ):
        metrics.bridged(request)
    if final:
        visitor_leg_ended(session, request, attempt, status)


def agent_leg_ended(session: Session, request: CallbackRequest, attempt: CallAttempt) -> None:
    """Ring the next agent after one who did not accept; retry later when none is left."""
    if attempt.digits == "1" or request.status != RequestStatus.CALLING_AGENT:
        # This agent accepted: the visitor leg decides the outcome. If the agent hung up
        # before the visitor was dialled, the reconciler finds the leg that never began.
        return
    # The dial job picks the next agent, waits for a busy one, or starts a later round.
    after_commit.add(session, Dial(request.id, request.round, step=attempt.attempt_number))


def visitor_leg_ended(
    session: Session, request: CallbackRequest, attempt: CallAttempt, status: AttemptStatus
) -> None:
    """Complete the request after a bridged call, or retry the visitor later."""
    if status == AttemptStatus.COMPLETED:
        # A dialled leg only completes after it was answered, whatever order the
        # callbacks came in, so this call was a conversation.
        was_connected = request.connected_at is not None
        talked = {
            "talk_seconds": attempt.duration_seconds,
            "connected_at": func.coalesce(CallbackRequest.connected_at, utcnow()),
        }
        ended = finish(session, request, RequestStatus.COMPLETED, "talked", values=talked)
        if ended and not was_connected:
            metrics.bridged(request)
    elif status in UNANSWERED_STATUSES:
        # canceled here means the agent hung up while the visitor's phone rang.
        try_again(session, request, "visitor_" + status.replace("-", "_"))


def never_dialled(session: Session, request: CallbackRequest, leg: CallAttempt) -> None:
    """Close a visitor leg that never began (the agent hung up first) and retry later."""
    if not move_attempt(
        session,
        leg,
        AttemptEvent.NOT_CREATED,
        {"ended_at": utcnow()},
        CallAttempt.call_sid.is_(None),
    ):
        return
    if leg.round == request.round and request.status == RequestStatus.CALLING_VISITOR:
        try_again(session, request, "agent_left_before_bridge")


def try_again(session: Session, request: CallbackRequest, reason: str) -> None:
    """Retry a visitor not bridged: later, or (a caller still on the line) right away."""
    if request.on_line:
        restart_round(session, request, utcnow() + LINE_AGAIN_AFTER)
    else:
        retry_later(session, request, reason)
