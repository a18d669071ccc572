"""Chaos switches: misdelivered status callbacks and failing or hanging create requests."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

CREATE_FAILURES = frozenset({"429", "500", "hang"})


@dataclass
class CallbackRule:
    """How to mistreat matching status callbacks (delays are real seconds, not simulated)."""

    drop: bool = False
    duplicate: bool = False
    reorder: bool = False
    delay: float = 0.0
    call_sid: str | None = None
    to: str | None = None
    events: frozenset[str] = frozenset()  # empty: every event
    times: int | None = None  # how many callbacks it still applies to; None: forever

    def matches(self, call_sid: str, to: str, event: str) -> bool:
        """Return whether this rule applies to one callback."""
        return (
            (self.times is None or self.times > 0)
            and self.call_sid in (None, call_sid)
            and self.to in (None, to)
            and (not self.events or event in self.events)
        )

    def as_dict(self) -> dict[str, Any]:
        """Return the rule as JSON-ready data."""
        return {**self.__dict__, "events": sorted(self.events)}


@dataclass
class Plan:
    """What happens to one status callback."""

    drop: bool = False
    copies: int = 1
    delay: float = 0.0
    reorder: bool = False


@dataclass
class CreateFailure:
    """The answer the next create requests get instead of a normal one."""

    respond: str  # "429", "500" or "hang"
    count: int = 1
    hang_seconds: float = 15.0


@dataclass
class Chaos:
    """The current chaos switches; all off by default."""

    rules: list[CallbackRule] = field(default_factory=list)
    create: CreateFailure | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def configure(self, data: Mapping[str, Any]) -> None:
        """Replace the switches named in `data` ("callbacks", "create")."""
        with self._lock:
            if "callbacks" in data:
                raw = data["callbacks"] or []
                self.rules = [_rule(r) for r in ([raw] if isinstance(raw, Mapping) else raw)]
            if "create" in data:
                self.create = _create_failure(data["create"]) if data["create"] else None

    def reset(self) -> None:
        """Switch everything off."""
        with self._lock:
            self.rules, self.create = [], None

    def plan(self, call_sid: str, to: str, event: str) -> Plan:
        """Decide the fate of one status callback, using up counted rules."""
        plan = Plan()
        with self._lock:
            for rule in self.rules:
                if not rule.matches(call_sid, to, event):
                    continue
                if rule.times is not None:
                    rule.times -= 1
                plan.drop = plan.drop or rule.drop
                plan.copies = max(plan.copies, 2 if rule.duplicate else 1)
                plan.delay = max(plan.delay, rule.delay)
                plan.reorder = plan.reorder or rule.reorder
        return plan

    def next_create_failure(self) -> CreateFailure | None:
        """Return the failure the current create request gets, if any."""
        with self._lock:
            failure = self.create
            if failure is None or failure.count <= 0:
                return None
            failure.count -= 1
            return failure

    def as_dict(self) -> dict[str, Any]:
        """Return the switches as JSON-ready data."""
        with self._lock:
            create = self.create.__dict__ if self.create and self.create.count > 0 else None
            return {"callbacks": [r.as_dict() for r in self.rules], "create": create}


def _rule(data: Mapping[str, Any]) -> CallbackRule:
    events = data.get("events") or ()
    return CallbackRule(
        drop=bool(data.get("drop")),
        duplicate=bool(data.get("duplicate")),
        reorder=bool(data.get("reorder")),
        delay=float(data.get("delay") or 0),
        call_sid=data.get("call_sid"),
        to=data.get("to"),
        events=frozenset([events] if isinstance(events, str) else events),
        times=None if data.get("times") is None else int(data["times"]),
    )


def _create_failure(data: Mapping[str, Any]) -> CreateFailure:
    respond = str(data.get("respond", "500"))
    if respond not in CREATE_FAILURES:
        raise ValueError(f"create.respond must be one of {sorted(CREATE_FAILURES)}")
    return CreateFailure(
        respond=respond,
        count=int(data.get("count", 1)),
        hang_seconds=float(data.get("hang_seconds", 15.0)),
    )
