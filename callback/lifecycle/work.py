"""The work a request's moves leave for after the commit; `workers.queues` enqueues it.

Each piece names what should happen, by request id, never by number; it is handed to
`callback.after_commit.add` and done once the transaction that decided it commits.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class FirstDial:
    """Ring agents for a request just stored (now, or at its chosen time)."""

    request_id: uuid.UUID
    at: datetime | None = None


@dataclass(frozen=True)
class Dial:
    """Ring agents for `round_number` from agent `step` on, maybe later."""

    request_id: uuid.UUID
    round_number: int
    step: int = 0
    at: datetime | None = None
    tag: str = ""  # tells apart several dials of one step (waits for a busy agent)


@dataclass(frozen=True)
class EndCalls:
    """Hang up whatever call of an ended request is still up."""

    request_id: uuid.UUID


@dataclass(frozen=True)
class DeleteLineQueue:
    """Delete the Twilio queue a phone-line caller waited in, now that they have left it."""

    request_id: uuid.UUID
    queue_sid: str


@dataclass(frozen=True)
class EndOtherAgentCalls:
    """Hang up the agents still ringing once one of them took the call."""

    request_id: uuid.UUID
    round_number: int


@dataclass(frozen=True)
class DropDialJobs:
    """Delete the request's dial jobs not yet running (the request was erased)."""

    request_id: uuid.UUID


@dataclass(frozen=True)
class EraseProviderRecords:
    """Delete the ended request's calls at Twilio, when ERASE_PROVIDER_RECORDS is on."""

    request_id: uuid.UUID


@dataclass(frozen=True)
class SendMessage:
    """Send the visitor text `message_id` now, or at `at` (a reminder)."""

    message_id: int
    at: datetime | None = None
