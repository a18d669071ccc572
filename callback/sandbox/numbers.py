"""The sandbox account's numbers: those it owns and the caller IDs it has verified.

Twilio places a call only from one of these (`From`); a service checks its caller IDs
against the two lists (IncomingPhoneNumbers, OutgoingCallerIds) before it dials.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, replace
from typing import Any

E164 = re.compile(r"^\+[1-9]\d{6,14}$")
METHODS = ("GET", "POST")


@dataclass(frozen=True)
class VoiceSettings:
    """Where Twilio sends an owned number's incoming calls (IncomingPhoneNumber fields)."""

    voice_url: str | None = None
    voice_method: str = "POST"
    status_callback: str | None = None
    status_callback_method: str = "POST"

    def as_dict(self) -> dict[str, Any]:
        """Return the settings as JSON-ready data."""
        return asdict(self)


def voice_settings_from(data: Mapping[str, Any], base: VoiceSettings) -> VoiceSettings:
    """Return `base` changed by `data` (control-API names); raise ValueError naming a problem."""
    names = set(VoiceSettings.__dataclass_fields__)
    unknown = set(data) - names
    if unknown:
        raise ValueError("unknown number settings: " + ", ".join(sorted(unknown)))
    values: dict[str, Any] = {}
    for name, value in data.items():
        if name.endswith("_method"):
            value = str(value or "POST").upper()
            if value not in METHODS:
                raise ValueError(f"{name} must be GET or POST")
        elif value is not None:
            value = str(value).strip() or None
            if value is not None and not value.startswith(("http://", "https://")):
                raise ValueError(f"{name} must be an http(s) URL")
        values[name] = value
    return replace(base, **values)


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
            self._voice: dict[str, VoiceSettings] = {}

    def replace(self, changes: dict[str, Any]) -> None:
        """Replace the lists named in `changes` ("numbers", "caller_ids"); check all first."""
        unknown = set(changes) - {"numbers", "caller_ids"}
        if unknown:
            raise ValueError("unknown number lists: " + ", ".join(sorted(unknown)))
        with self._lock:
            owned = e164_list(changes.get("numbers", self._owned), "numbers")
            verified = e164_list(changes.get("caller_ids", self._verified), "caller_ids")
            self._owned, self._verified = owned, verified
            # A number the account gave up forgets its settings, as a released number does.
            self._voice = {n: v for n, v in self._voice.items() if n in owned}

    def voice(self, number: str) -> VoiceSettings:
        """Return where incoming calls to the owned `number` go (nothing set by default)."""
        with self._lock:
            return self._voice.get(number, VoiceSettings())

    def configure_voice(self, number: str, changes: Mapping[str, Any]) -> VoiceSettings:
        """Change an owned number's voice settings; raise LookupError if it is not owned."""
        with self._lock:
            if number not in self._owned:
                raise LookupError(f"{number} is not one of the account's numbers")
            settings = voice_settings_from(changes, self._voice.get(number, VoiceSettings()))
            self._voice[number] = settings
            return settings

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
