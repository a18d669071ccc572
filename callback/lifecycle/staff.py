"""What staff may do to a request from a console: ring it now, move its time, retry it,
cancel it; and its history as they may see it (`timeline`, in `history`).

Each action takes the caller's session, makes one move of `transitions.py` (so racing
the dial job or a Twilio callback it either wins or is refused, never overwrites),
audits it with `actor` ("account:7") and commits. What the move leaves to do (a dial,
dropping the old dial job, a hangup) is enqueued only after that commit
(`callback.after_commit`). A refused action raises `Conflict` (the request's status does
not allow it) or `Invalid` (a bad time) and has written nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from flask import current_app
from sqlalchemy.orm import Session

from callback import after_commit
from callback.errors import Conflict, Invalid
from callback.lifecycle import sms
from callback.lifecycle.history import timeline
from callback.lifecycle.moves import move_request
from callback.lifecycle.requests import asked_at, deadline, withdraw
from callback.lifecycle.states import RequestStatus
from callback.lifecycle.transitions import REQUEST_MOVES, RequestEvent
from callback.lifecycle.work import Dial, DropDialJobs
from callback.models import AuditEntry, CallbackRequest, iso, utcnow

__all__ = ["STAFF_CANCEL_OUTCOME", "call_now", "cancel", "reschedule", "retry", "timeline"]

STAFF_CANCEL_OUTCOME = "canceled_by_staff"
# A new time this close to the request's last moment would see it expire, not ring.
DEADLINE_MARGIN = timedelta(minutes=1)
ENDED_UNANSWERED = frozenset({RequestStatus.FAILED, RequestStatus.EXPIRED})


def call_now(session: Session, request: CallbackRequest, actor: str) -> None:
    """Dial a scheduled request now instead of at its time."""
    _dial_now(session, request, actor, "staff_call_now")


def retry(session: Session, request: CallbackRequest, actor: str) -> None:
    """Ring again now a request whose last round failed, instead of after the interval.

    After a round in which no agent took the call, or the visitor did not answer, the
    request waits (scheduled, round 2 or later) for the widget's retry interval; this
    starts that round at once. An ended request (failed or expired) is not retried:
    every terminal status erases the number in the same statement (`requests.finish`)
    and no move leaves a terminal status (docs/lifecycle.md), so the visitor must ask
    again, as a new request counted by the daily caps like any other.
    """
    if request.status in ENDED_UNANSWERED:
        if request.phone is None:
            raise Conflict(
                "number_erased",
                "The visitor's number was erased when this request ended, so it cannot be"
                " called again; the visitor must ask for a new callback.",
            )
        raise Conflict(
            "ended_request",
            "An ended request is never reopened. Its number, kept by mistake, is erased by"
            " the retention pass.",
        )
    if request.status != RequestStatus.SCHEDULED or request.round < 2:
        raise _conflict(
            "not_retryable", "only a request waiting to retry a failed round is retried", request
        )
    _dial_now(session, request, actor, "staff_retry")


def _dial_now(session: Session, request: CallbackRequest, actor: str, action: str) -> None:
    was, round_number = request.scheduled_for, request.round
    if not move_request(
        session,
        request,
        RequestEvent.CALLED_NOW,
        {"scheduled_for": None},
        CallbackRequest.round == round_number,
    ):
        raise _conflict("not_scheduled", "only a scheduled request can be dialled now", request)
    _audit(session, request, action, actor, {"was_scheduled_for": iso(was)})
    # Its own job id: a job of the old time still held by a worker cannot block it.
    tag = f"now{int(utcnow().timestamp())}"
    _replace_dial(session, Dial(request.id, round_number, tag=tag))
    session.commit()


def reschedule(session: Session, request: CallbackRequest, when: datetime, actor: str) -> None:
    """Ring a request that is waiting (scheduled or queued) at `when` instead.

    `when` must be timezone-aware, in the future, and a minute or more before the
    request's last moment: the widget's maximum wait and the retention cap, both counted
    from when the visitor asked. So a new time never keeps the number longer, nor rings
    the visitor later than they were told; a later call needs a new request.
    """
    if request.status not in REQUEST_MOVES[RequestEvent.RESCHEDULED].sources:
        raise _conflict("not_reschedulable", "only a waiting request can be rescheduled", request)
    when = _valid_time(request, when)
    was, round_number = request.scheduled_for, request.round
    if not move_request(
        session,
        request,
        RequestEvent.RESCHEDULED,
        {"scheduled_for": when},
        CallbackRequest.round == round_number,
    ):
        raise _conflict("not_reschedulable", "only a waiting request can be rescheduled", request)
    details = {"was_scheduled_for": iso(was), "scheduled_for": iso(when)}
    _audit(session, request, "staff_reschedule", actor, details)
    tag = f"at{int(when.timestamp())}"
    _replace_dial(session, Dial(request.id, round_number, at=when, tag=tag))
    sms.rescheduled(session, request, when)
    session.commit()


def cancel(session: Session, request: CallbackRequest, actor: str) -> None:
    """Cancel a pending request as the visitor's own withdrawal does, by `actor`."""
    if not withdraw(session, request, actor, STAFF_CANCEL_OUTCOME):
        raise _conflict("already_ended", "the request has already ended", request)
    # `finish` audited the cancel (actor and outcome); its leftover dial jobs go too.
    after_commit.add(session, DropDialJobs(request.id))
    session.commit()


def latest_time(request: CallbackRequest) -> datetime:
    """Return the last time the request may be rescheduled to.

    The widget's maximum wait and the retention cap both count from when the visitor
    asked; a margin keeps the dial itself inside them.
    """
    retention = timedelta(hours=current_app.config["RETENTION_MAX_HOURS"])
    return min(deadline(request), asked_at(request) + retention) - DEADLINE_MARGIN


def _valid_time(request: CallbackRequest, when: datetime) -> datetime:
    """Return `when` in UTC if it is a time the request may be rung at, else refuse it."""
    if when.tzinfo is None or when.utcoffset() is None:
        raise Invalid("time_without_zone", "The new time must carry its time zone.", "when")
    if when <= utcnow():
        raise Invalid("time_in_past", "The new time must be in the future.", "when")
    latest = latest_time(request)
    if when > latest:
        raise Invalid(
            "time_past_deadline",
            f"The new time must be no later than {iso(latest)}: the widget's maximum wait"
            " and the retention cap count from when the visitor asked.",
            "when",
        )
    return when.astimezone(UTC)


def _replace_dial(session: Session, dial: Dial) -> None:
    """Drop the request's queued dial jobs, then enqueue `dial`, in that order, after commit."""
    after_commit.add(session, DropDialJobs(dial.request_id))
    after_commit.add(session, dial)


def _audit(
    session: Session,
    request: CallbackRequest,
    action: str,
    actor: str,
    details: Mapping[str, object],
) -> None:
    details = {**details, "status": request.status.value, "round": request.round}
    session.add(AuditEntry(request_id=request.id, action=action, actor=actor, details=details))


def _conflict(code: str, what: str, request: CallbackRequest) -> Conflict:
    return Conflict(code, f"{what.capitalize()}; this one is {request.status.value}.")
