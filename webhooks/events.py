"""Status callbacks: stored once each, applied forward only."""

from __future__ import annotations

from collections.abc import Mapping
from email.utils import parsedate_to_datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from callback.models import CallAttempt, CallEvent, utcnow

# Parameters worth keeping; To, From, Called, Caller and the like are never stored.
KEPT_PARAMETERS = (
    "CallDuration",
    "Duration",
    "Direction",
    "AnsweredBy",
    "CallbackSource",
    "SipResponseCode",
    "ErrorCode",
    "ParentCallSid",
)
CALL_STATUS_ORDER = ("pending", "unknown", "queued", "initiated", "ringing", "in-progress")
FINAL_CALL_STATUSES = frozenset({"completed", "busy", "no-answer", "failed", "canceled"})


def record_event(session: Session, attempt: CallAttempt, form: Mapping[str, str]) -> bool:
    """Append the callback as a CallEvent; return False if it was seen before."""
    sequence = form.get("SequenceNumber", "")
    event = CallEvent(
        call_sid=form.get("CallSid", "")[:34],
        attempt_id=attempt.id,
        sequence_number=int(sequence) if sequence.isdigit() else -1,
        status=form.get("CallStatus", "")[:20],
        timestamp=_timestamp(form.get("Timestamp")),
        params={k: form[k][:64] for k in KEPT_PARAMETERS if k in form},
    )
    try:
        with session.begin_nested():
            session.add(event)
    except IntegrityError:
        return False
    return True


def _timestamp(value: str | None) -> object:
    if not value:
        return None
    try:
        return parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None


def _rank(status: str) -> int:
    if status in FINAL_CALL_STATUSES:
        return len(CALL_STATUS_ORDER)
    return CALL_STATUS_ORDER.index(status) if status in CALL_STATUS_ORDER else -1


def apply_call_status(attempt: CallAttempt, status: str, form: Mapping[str, str]) -> bool:
    """Move the attempt's status forward to `status`; return whether it changed."""
    if _rank(status) <= _rank(attempt.status) or _rank(status) < 0:
        return False
    attempt.status = status
    now = utcnow()
    if status == "in-progress":
        attempt.answered_at = now
    if status in FINAL_CALL_STATUSES:
        attempt.ended_at = now
        duration = form.get("CallDuration", "")
        attempt.duration_seconds = int(duration) if duration.isdigit() else None
    if form.get("AnsweredBy"):
        attempt.answered_by = form["AnsweredBy"][:32]
    return True


def is_final(status: str) -> bool:
    """Return whether a Twilio call status is one a call never leaves."""
    return status in FINAL_CALL_STATUSES
