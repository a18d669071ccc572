"""Every allowed move of a request and of a call attempt: event, from which statuses, to which.

`docs/lifecycle.md` shows these two tables to people; tests/unit/test_lifecycle_doc.py
fails when the document and this module disagree. A move not listed here cannot happen:
`moves.py` writes each one as `UPDATE ... WHERE status IN (sources)`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from callback.lifecycle.states import PENDING_STATUSES, AttemptStatus, RequestStatus


class RequestEvent(enum.StrEnum):
    AGENT_DIALLED = "agent_dialled"
    AGENT_ACCEPTED = "agent_accepted"
    VISITOR_ANSWERED = "visitor_answered"
    TALKED = "talked"
    NEXT_ROUND = "next_round"
    GAVE_UP = "gave_up"
    EXPIRED = "expired"
    WITHDRAWN = "withdrawn"
    CALLED_NOW = "called_now"
    RESCHEDULED = "rescheduled"


class AttemptEvent(enum.StrEnum):
    CREATE_SENT = "create_sent"
    CREATE_ANSWERED = "create_answered"
    CREATE_REFUSED = "create_refused"
    NOT_CREATED = "not_created"
    REPORTED = "reported"


@dataclass(frozen=True)
class Move:
    """From any of `sources` to `target`; `target` None: the status the event carries."""

    sources: frozenset[str]
    target: str | None
    cause: str


S, A = RequestStatus, AttemptStatus

REQUEST_MOVES: dict[RequestEvent, Move] = {
    RequestEvent.AGENT_DIALLED: Move(
        frozenset({S.SCHEDULED, S.QUEUED, S.CALLING_AGENT}),
        S.CALLING_AGENT,
        "the dial job wrote an agent leg for the current round",
    ),
    RequestEvent.AGENT_ACCEPTED: Move(
        frozenset({S.CALLING_AGENT}),
        S.CALLING_VISITOR,
        "an agent of the current round pressed 1; the first one wins",
    ),
    RequestEvent.VISITOR_ANSWERED: Move(
        frozenset({S.CALLING_VISITOR}),
        S.CONNECTED,
        "the visitor's leg is in progress",
    ),
    RequestEvent.TALKED: Move(
        frozenset({S.CALLING_VISITOR, S.CONNECTED}),
        S.COMPLETED,
        "the visitor's leg completed after a conversation",
    ),
    RequestEvent.NEXT_ROUND: Move(
        frozenset({S.SCHEDULED, S.QUEUED, S.CALLING_AGENT, S.CALLING_VISITOR}),
        S.SCHEDULED,
        "nobody was reached this round and the widget allows another",
    ),
    RequestEvent.GAVE_UP: Move(
        PENDING_STATUSES, S.FAILED, "no round left, or an error that hits every call"
    ),
    RequestEvent.EXPIRED: Move(
        PENDING_STATUSES, S.EXPIRED, "past the widget's maximum wait or the retention cap"
    ),
    RequestEvent.WITHDRAWN: Move(
        PENDING_STATUSES, S.CANCELED, "the visitor, an admin or a data-subject erasure"
    ),
    RequestEvent.CALLED_NOW: Move(
        frozenset({S.SCHEDULED}),
        S.QUEUED,
        "staff asked for a scheduled request to be dialled now",
    ),
    RequestEvent.RESCHEDULED: Move(
        frozenset({S.SCHEDULED, S.QUEUED}),
        S.SCHEDULED,
        "staff set a new time before any agent of the round was rung",
    ),
}

# The request's terminal status for each way it can end.
ENDING_EVENTS: dict[RequestStatus, RequestEvent] = {
    S.COMPLETED: RequestEvent.TALKED,
    S.FAILED: RequestEvent.GAVE_UP,
    S.EXPIRED: RequestEvent.EXPIRED,
    S.CANCELED: RequestEvent.WITHDRAWN,
}

# The sources of REPORTED: every status ranked before the one reported.
EARLIER: frozenset[str] = frozenset()

ATTEMPT_MOVES: dict[AttemptEvent, Move] = {
    AttemptEvent.CREATE_SENT: Move(
        frozenset({A.PENDING}),
        A.UNKNOWN,
        "the dial job sends the create, its request still calling agents in this round",
    ),
    AttemptEvent.CREATE_ANSWERED: Move(
        frozenset({A.UNKNOWN}), A.QUEUED, "Twilio answered the create with a call SID"
    ),
    AttemptEvent.CREATE_REFUSED: Move(
        frozenset({A.PENDING, A.UNKNOWN}),
        A.FAILED,
        "Twilio refused the create with an error that retrying cannot fix",
    ),
    AttemptEvent.NOT_CREATED: Move(
        frozenset({A.PENDING, A.UNKNOWN, A.QUEUED}),
        A.NOT_CREATED,
        "known that no call exists: deferred, not found by listing, or (a visitor leg"
        " without a call SID) never dialled",
    ),
    AttemptEvent.REPORTED: Move(
        EARLIER,
        None,
        "Twilio reported (callback, fetch or listing) a status further on; never backwards",
    ),
}


def reported_sources(status: AttemptStatus) -> frozenset[AttemptStatus]:
    """Return the statuses a leg may leave for the reported `status` (those ranked before)."""
    return frozenset(s for s in AttemptStatus if s.rank < status.rank and not s.is_ended)
