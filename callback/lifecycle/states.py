"""The statuses of a request and of a call attempt, and the groups the code asks about."""

from __future__ import annotations

import enum


class RequestStatus(enum.StrEnum):
    SCHEDULED = "scheduled"
    QUEUED = "queued"
    CALLING_AGENT = "calling_agent"
    CALLING_VISITOR = "calling_visitor"
    CONNECTED = "connected"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELED = "canceled"
    EXPIRED = "expired"

    @property
    def rank(self) -> int:
        """Position in the forward-only order; all terminal statuses share the last rank."""
        return min(_REQUEST_ORDER.index(self), len(_REQUEST_ORDER) - 4)

    @property
    def is_terminal(self) -> bool:
        return self in TERMINAL_STATUSES


_REQUEST_ORDER = list(RequestStatus)
TERMINAL_STATUSES = frozenset(
    {RequestStatus.COMPLETED, RequestStatus.FAILED, RequestStatus.CANCELED, RequestStatus.EXPIRED}
)
PENDING_STATUSES = frozenset(set(RequestStatus) - TERMINAL_STATUSES)


class AttemptStatus(enum.StrEnum):
    """A call leg: ours before Twilio knows it, then Twilio's own call statuses."""

    PENDING = "pending"  # row written, create not sent
    UNKNOWN = "unknown"  # create sent, no answer yet (or the answer was lost)
    NOT_CREATED = "not_created"  # known that no call exists: refused, deferred, never dialled
    QUEUED = "queued"
    INITIATED = "initiated"
    RINGING = "ringing"
    IN_PROGRESS = "in-progress"
    COMPLETED = "completed"
    BUSY = "busy"
    NO_ANSWER = "no-answer"
    FAILED = "failed"
    CANCELED = "canceled"

    @property
    def rank(self) -> int:
        """Position in the forward-only order; every ended status shares the last rank."""
        return len(_LIVE_ORDER) if self in ENDED_ATTEMPT_STATUSES else _LIVE_ORDER.index(self)

    @property
    def is_ended(self) -> bool:
        return self in ENDED_ATTEMPT_STATUSES


_LIVE_ORDER = [
    AttemptStatus.PENDING,
    AttemptStatus.UNKNOWN,
    AttemptStatus.QUEUED,
    AttemptStatus.INITIATED,
    AttemptStatus.RINGING,
    AttemptStatus.IN_PROGRESS,
]
# Twilio's final call statuses: a call never leaves one.
FINAL_CALL_STATUSES = frozenset(
    {
        AttemptStatus.COMPLETED,
        AttemptStatus.BUSY,
        AttemptStatus.NO_ANSWER,
        AttemptStatus.FAILED,
        AttemptStatus.CANCELED,
    }
)
ENDED_ATTEMPT_STATUSES = FINAL_CALL_STATUSES | {AttemptStatus.NOT_CREATED}
# A leg that is, or may still be, ringing or talking (a phone that may be busy with it).
LIVE_ATTEMPT_STATUSES = frozenset(_LIVE_ORDER)
# A leg Twilio has: its status can be fetched.
AT_TWILIO_STATUSES = frozenset(
    {
        AttemptStatus.QUEUED,
        AttemptStatus.INITIATED,
        AttemptStatus.RINGING,
        AttemptStatus.IN_PROGRESS,
    }
)
# How a dialled leg may end without a conversation.
UNANSWERED_STATUSES = FINAL_CALL_STATUSES - {AttemptStatus.COMPLETED}


def call_status(value: str | None) -> AttemptStatus | None:
    """Return Twilio's call status `value` as ours, or None for one we do not know."""
    try:
        status = AttemptStatus(value or "")
    except ValueError:
        return None
    return None if status in {AttemptStatus.PENDING, AttemptStatus.UNKNOWN,
                              AttemptStatus.NOT_CREATED} else status  # fmt: skip
