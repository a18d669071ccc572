"""The work agents' calls and comings-back leave for after the commit.

`workers.queues` does each piece; `workers.waiting` keeps, per team, the requests
waiting for one of its agents to be free, oldest first.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class WaitForAgent:
    """Keep the request's place among those waiting for a free agent of `team`.

    `since` orders the place (the request's arrival). `unclaimed` is the team's count of
    agents freed while nobody waited, read before the request found every agent busy:
    if it moved since, an agent came free in between and woke nobody, so the request is
    dialled again at once instead of waiting for the next one.

    `pass_on`: a free agent of the team cannot take this request (another language), so
    the request that joined after it is woken to try them, and so on down the line.
    """

    request_id: uuid.UUID
    round_number: int
    team: str
    since: datetime
    unclaimed: int | None
    pass_on: bool = False


@dataclass(frozen=True)
class WakeWaiting:
    """An agent of `team` is free (a call ended, or they are back): dial the oldest waiter."""

    team: str
