"""The sandbox account's numbers: those it owns and the caller IDs it has verified.

Twilio places a call only from one of these (`From`); a service checks its caller IDs
against the two lists (IncomingPhoneNumbers, OutgoingCallerIds) before it dials.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterable
from typing import Any

E164 = re.compile(r"^\+[1-9]\d{6,14}$")


def e164_list(value: Any, name: str) -> tuple[str, ...]:
    """Return `value` as a tuple of E.164 numbers, or raise ValueError naming `name`."""
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise ValueError(f"{name} must be a list of E.164 numbers")
    numbers = tuple(str(number).strip() for number in value)
    if not all(E164.match(number) for number in numbers):
        raise ValueError(f"{name} must be a list of E.164 numbers")
    return numbers


class AccountNumbers:
    """The numbers the account owns and the verified caller IDs; changed by the control API."""

    def __init__(self, owned: Iterable[str] = (), verified: Iterable[str] = ()) -> None:
        self._lock = threading.Lock()
        self._configured = (e164_list(owned, "numbers"), e164_list(verified, "caller_ids"))
        self.created = time.time()
        self.reset()

    def reset(self) -> None:
        """Go back to the numbers the sandbox was started with."""
        with self._lock:
            self._owned, self._verified = self._configured

    def replace(self, changes: dict[str, Any]) -> None:
        """Replace the lists named in `changes` ("numbers", "caller_ids"); check all first."""
        unknown = set(changes) - {"numbers", "caller_ids"}
        if unknown:
            raise ValueError("unknown number lists: " + ", ".join(sorted(unknown)))
        with self._lock:
            owned = e164_list(changes.get("numbers", self._owned), "numbers")
            verified = e164_list(changes.get("caller_ids", self._verified), "caller_ids")
            self._owned, self._verified = owned, verified

    def owned(self) -> tuple[str, ...]:
        """Return the account's own numbers (its IncomingPhoneNumbers)."""
        with self._lock:
            return self._owned

    def verified(self) -> tuple[str, ...]:
        """Return the account's verified caller IDs (its OutgoingCallerIds)."""
        with self._lock:
            return self._verified

    def as_dict(self) -> dict[str, list[str]]:
        """Return both lists as JSON-ready data."""
        with self._lock:
            return {"numbers": list(self._owned), "caller_ids": list(self._verified)}
