"""What stops a player mid-wait: a leg ended or given new TwiML from outside."""

from __future__ import annotations

from callback.sandbox.store import Source


class HungUp(Exception):
    """A leg ended while the player was waiting: by the API, its person or the other leg."""

    def __init__(self, sid: str, status: str, by: str) -> None:
        super().__init__(f"{sid} {status} by {by}")
        self.sid, self.status, self.by = sid, status, by


class Redirected(Exception):
    """A live leg was given new TwiML through the REST API."""

    def __init__(self, sid: str, source: Source) -> None:
        super().__init__(sid)
        self.sid, self.source = sid, source


class Dequeued(Exception):
    """A queued leg was claimed by a <Dial><Queue> of another call, which now plays it."""

    def __init__(self, sid: str, by: str) -> None:
        super().__init__(f"{sid} dequeued by {by}")
        self.sid, self.by = sid, by
