"""The sandbox's in-memory state: calls, texts, request log and a condition for waiting."""

from __future__ import annotations

import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

FINAL_STATUSES = frozenset({"completed", "busy", "no-answer", "failed", "canceled"})
REQUEST_LOG_SIZE = 500


@dataclass
class Source:
    """Where a leg's next TwiML comes from: a URL to fetch or a literal document."""

    url: str | None = None
    method: str = "POST"
    twiml: str | None = None


@dataclass
class Call:
    """One call leg, shaped after Twilio's Call resource plus the player's bookkeeping."""

    sid: str
    account_sid: str
    to: str
    from_: str
    direction: str
    source: Source
    created: float
    parent_call_sid: str | None = None
    status: str = "queued"
    status_callback: str | None = None
    status_callback_method: str = "POST"
    status_callback_events: frozenset[str] = frozenset()
    timeout: float = 60.0
    machine_detection: str | None = None
    clock: float = 0.0  # simulated wall-clock time of this leg, epoch seconds
    updated: float = 0.0
    start_time: float | None = None
    answer_time: float | None = None
    end_time: float | None = None
    answered_by: str | None = None
    sequence: int = 0
    generation: int = 0
    # Requests from outside the player: the REST API, the phones page, the other leg.
    command: tuple[str, Any] | None = None
    person_answer: bool = False
    person_hangup: bool = False
    keys: str = ""
    gathering: bool = False
    bridged_with: str | None = None
    dequeue: str | None = None  # the SID of a call taking this queued leg out of its queue
    log: list[dict[str, Any]] = field(default_factory=list)
    lock: Any = field(default_factory=threading.RLock, repr=False, compare=False)  # the store's

    @property
    def finished(self) -> bool:
        """Return whether the leg reached a final status."""
        return self.status in FINAL_STATUSES

    @property
    def duration(self) -> int | None:
        """Return the answered seconds once the leg is over (Twilio's `duration`)."""
        if not self.finished or self.end_time is None:
            return None
        if self.answer_time is None:
            return 0
        return round(self.end_time - self.answer_time)

    def note(self, kind: str, **details: Any) -> None:
        """Append an entry to the leg's log, stamped with its simulated clock."""
        with self.lock:
            self.log.append({"at": round(self.clock - self.created, 3), "kind": kind, **details})


def new_sid(prefix: str = "CA") -> str:
    """Return a Twilio-shaped SID: two letters and 32 hex digits."""
    return prefix + uuid.uuid4().hex


class Store:
    """Every call and received request, behind one lock with a change condition."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.changed = threading.Condition(self.lock)
        self.calls: dict[str, Call] = {}
        self.messages: dict[str, Any] = {}  # sid -> texts.TextMessage
        self.queues: dict[str, Any] = {}  # friendly name -> queues.Queue
        self.requests: deque[dict[str, Any]] = deque(maxlen=REQUEST_LOG_SIZE)
        self.generation = 0

    def add(self, call: Call) -> None:
        """Store a new leg and wake waiters."""
        with self.lock:
            call.generation, call.lock = self.generation, self.lock
            self.calls[call.sid] = call
            self.changed.notify_all()

    def get(self, sid: str) -> Call | None:
        """Return the leg with `sid`, if any."""
        with self.lock:
            return self.calls.get(sid)

    def update(self, call: Call, **changes: Any) -> None:
        """Change fields of a leg under the lock and wake waiters."""
        with self.lock:
            for name, value in changes.items():
                setattr(call, name, value)
            call.updated = max(call.updated, call.clock)
            self.changed.notify_all()

    def wait(self, predicate: Callable[[], bool], real_seconds: float | None) -> bool:
        """Block until `predicate` holds (checked under the lock) or time runs out."""
        deadline = None if real_seconds is None else time.monotonic() + real_seconds
        with self.lock:
            while not predicate():
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return False
                self.changed.wait(0.5 if remaining is None else min(remaining, 0.5))
            return True

    def log_request(self, entry: dict[str, Any]) -> None:
        """Remember one REST request as the client sent it."""
        with self.lock:
            self.requests.append(entry)

    def reset(self) -> list[Call]:
        """Forget every call, text and request; return the legs that were still live."""
        with self.lock:
            live = [c for c in self.calls.values() if not c.finished]
            self.generation += 1
            for call in live:
                call.command = ("hangup", "completed")
            self.calls.clear()
            self.messages.clear()
            self.queues.clear()
            self.requests.clear()
            self.changed.notify_all()
            return live
