"""A request's own moves: dialling, its next round, and its end (which erases the number).

What must follow a move (the next dial, erasure at Twilio) is handed to
`callback.after_commit`, so no job is ever enqueued for uncommitted state.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from sqlalchemy import or_
from sqlalchemy.orm import Session

from callback import after_commit, metrics
from callback.lifecycle import sms
from callback.lifecycle.moves import move_request
from callback.lifecycle.states import RequestStatus
from callback.lifecycle.transitions import ENDING_EVENTS, RequestEvent
from callback.lifecycle.work import Dial, EndCalls, EraseProviderRecords
from callback.models import AuditEntry, CallbackRequest, utcnow

# RQ's scheduler keeps whole-second scores and wakes every second, so a scheduled job
# may start up to this much before its time; that counts as on time.
SCHEDULER_SLACK = timedelta(seconds=2)


def finish(
    session: Session,
    request: CallbackRequest,
    status: RequestStatus,
    outcome: str,
    actor: str = "system",
    values: Mapping[str, object] | None = None,
) -> bool:
    """End `request` as terminal `status`, erasing its number, and audit it.

    Messages to the visitor not sent yet are canceled; a failure or an expiry may leave
    a "we tried to call you" text (callback.messaging.sms.ended).

    Returns False (and changes nothing) when the request had already ended: status never
    moves backwards and an ended request is never reopened.
    """
    now = utcnow()
    phone = request.phone  # before the move erases it: a "missed" text may need it
    erased = {
        "outcome": outcome,
        "ended_at": now,
        "phone": None,
        "erased_at": now,
        "on_line": False,  # a caller still on the phone line is told at their next wait
    }
    if not move_request(session, request, ENDING_EVENTS[status], {**(values or {}), **erased}):
        return False
    sms.ended(session, request, phone, status.value, outcome)
    session.add(
        AuditEntry(
            request_id=request.id,
            action=f"request_{status.value}",
            actor=actor,
            details={"outcome": outcome, "number_erased": True},
        )
    )
    after_commit.add(session, EraseProviderRecords(request.id))
    metrics.request_finished(request)
    return True


def withdraw(session: Session, request: CallbackRequest, actor: str, outcome: str) -> bool:
    """Cancel a pending request, erasing its number now; its live calls end after the commit.

    Returns False (and changes nothing) when the request had already ended.
    """
    if not finish(session, request, RequestStatus.CANCELED, outcome, actor=actor):
        return False
    after_commit.add(session, EndCalls(request.id))
    return True


def forget(
    session: Session,
    request: CallbackRequest,
    status: RequestStatus,
    outcome: str,
    actor: str = "system",
) -> bool:
    """End `request` as `status` if it is pending, and erase its number whatever its status.

    Returns whether anything changed. A terminal request never keeps a number, but rows
    written before that rule (or by hand) are erased here too.
    """
    if finish(session, request, status, outcome, actor):
        return True
    if request.phone is None:
        return False
    request.phone = None  # an ended request's leftover number: no status changes
    request.erased_at = utcnow()
    session.add(
        AuditEntry(
            request_id=request.id,
            action="number_erased",
            actor=actor,
            details={"outcome": outcome, "status": request.status.value},
        )
    )
    return True


def dialling(session: Session, request: CallbackRequest) -> bool:
    """Mark `request` as ringing agents in its current round; False if it moved on.

    Also False when its time is not due: staff may have rescheduled it after the dial
    job read the row, and the job must then leave it for the job at the new time.
    """
    due = or_(
        CallbackRequest.scheduled_for.is_(None),
        CallbackRequest.scheduled_for <= utcnow() + SCHEDULER_SLACK,
    )
    return move_request(
        session,
        request,
        RequestEvent.AGENT_DIALLED,
        None,
        CallbackRequest.round == request.round,
        due,
    )


def retry_later(session: Session, request: CallbackRequest, reason: str) -> bool:
    """Start the next round after the widget's interval, or end the request for `reason`.

    Returns whether a next round was scheduled (its dial follows the commit)."""
    widget = request.widget
    if request.round >= widget.retry_attempts:
        finish(session, request, RequestStatus.FAILED, reason)
        return False
    intervals = widget.retry_intervals or [0]
    delay = intervals[min(request.round - 1, len(intervals) - 1)]
    if utcnow() + timedelta(seconds=delay) > deadline(request):
        finish(session, request, RequestStatus.EXPIRED, "max_wait_exceeded")
        return False
    return restart_round(session, request, utcnow() + timedelta(seconds=delay))


def restart_round(session: Session, request: CallbackRequest, at: datetime) -> bool:
    """Start the request's next round at `at` (its dial follows the commit); True if moved.

    A new round starts over from "scheduled"; stale callbacks of the old round are
    recognised by their attempt's round and ignored. Only one caller per round wins.
    """
    this_round = request.round
    moved = move_request(
        session,
        request,
        RequestEvent.NEXT_ROUND,
        {"round": this_round + 1, "scheduled_for": at},
        CallbackRequest.round == this_round,
    )
    if moved:
        after_commit.add(session, Dial(request.id, this_round + 1, at=at))
    return moved


def deadline(request: CallbackRequest) -> datetime:
    """Return the instant after which the visitor is no longer rung for this request."""
    return asked_at(request) + timedelta(minutes=request.widget.max_wait_minutes)


def asked_at(request: CallbackRequest) -> datetime:
    """Return when the visitor wanted the call: now, their chosen time or the next opening."""
    return request.wanted_at or request.created_at


def waited_too_long(request: CallbackRequest) -> bool:
    """Return whether ringing now would call the visitor later than the widget allows."""
    return utcnow() > deadline(request)
