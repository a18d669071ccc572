"""The call flow's decisions: which agent next, when to retry, how a request ends.

Webhooks and jobs call these with a session; callers commit, then enqueue what the
returned `FollowUp` asks for, so no job is ever enqueued for uncommitted state.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from callback.models import (
    CallAttempt,
    CallbackRequest,
    Leg,
    RequestStatus,
    utcnow,
)
from callback.ops import metrics
from callback.privacy import advance, finish

UNANSWERED_STATUSES = frozenset({"busy", "no-answer", "failed", "canceled"})


@dataclass(frozen=True)
class FollowUp:
    """Work to enqueue after the commit: a dial for `round_number`/`step`, maybe later."""

    request_id: uuid.UUID
    round_number: int
    step: int = 0
    at: datetime | None = None
    tag: str = ""  # tells apart several dials of one step (waits for a busy agent)


def next_attempt_number(session: Session, request: CallbackRequest, leg: Leg) -> int:
    """Return the number the request's next leg of kind `leg` gets."""
    numbers = session.scalars(
        select(CallAttempt.attempt_number).where(
            CallAttempt.request_id == request.id, CallAttempt.leg == leg
        )
    ).all()
    return max(numbers, default=0) + 1


def retry_later(session: Session, request: CallbackRequest, reason: str) -> FollowUp | None:
    """Start the next round after the widget's interval, or fail the request for `reason`."""
    widget = request.widget
    if request.round >= widget.retry_attempts:
        finish(session, request, RequestStatus.FAILED, reason)
        return None
    intervals = widget.retry_intervals or [0]
    delay = intervals[min(request.round - 1, len(intervals) - 1)]
    if utcnow() + timedelta(seconds=delay) > deadline(request):
        finish(session, request, RequestStatus.EXPIRED, "max_wait_exceeded")
        return None
    request.round += 1
    # A new round starts over from "scheduled"; stale callbacks of the old round are
    # recognised by their attempt's round and ignored.
    request.status = RequestStatus.SCHEDULED
    request.scheduled_for = utcnow() + timedelta(seconds=delay)
    return FollowUp(request.id, request.round, at=request.scheduled_for)


def agent_leg_ended(
    session: Session, request: CallbackRequest, attempt: CallAttempt
) -> FollowUp | None:
    """Ring the next agent after one who did not accept; retry later when none is left."""
    if request.status.is_terminal or attempt.round != request.round:
        return None
    if attempt.digits == "1" or request.status != RequestStatus.CALLING_AGENT:
        return None  # this agent accepted; the visitor leg decides the outcome
    # The dial job picks the next agent, waits for a busy one, or starts a later round.
    return FollowUp(request.id, request.round, step=attempt.attempt_number)


def visitor_leg_ended(
    session: Session,
    request: CallbackRequest,
    attempt: CallAttempt,
    status: str,
    talk_seconds: int | None,
) -> FollowUp | None:
    """Complete the request after a bridged call, or retry the visitor later."""
    if request.status.is_terminal or attempt.round != request.round:
        return None
    if status == "completed":
        # A dialled leg only completes after it was answered, whatever order the
        # callbacks came in, so this call was a conversation.
        if advance(request, RequestStatus.CONNECTED):
            request.connected_at = utcnow()
            metrics.bridged(request)
        request.talk_seconds = talk_seconds
        finish(session, request, RequestStatus.COMPLETED, "talked")
        return None
    if status in UNANSWERED_STATUSES:
        # canceled here means the agent hung up while the visitor's phone rang.
        return retry_later(session, request, "visitor_" + status.replace("-", "_"))
    return None


def deadline(request: CallbackRequest) -> datetime:
    """Return the instant after which the visitor is no longer rung for this request."""
    wanted = request.wanted_at or request.created_at
    return wanted + timedelta(minutes=request.widget.max_wait_minutes)


def waited_too_long(request: CallbackRequest) -> bool:
    """Return whether ringing now would call the visitor later than the widget allows."""
    return utcnow() > deadline(request)
