"""Scripted people: how each simulated phone answers, what it presses, when it hangs up."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

# Twilio's magic "To" numbers for test credentials, refused when the call is created.
MAGIC_TO_ERRORS: dict[str, tuple[int, str]] = {
    "+15005550001": (21217, "Phone number is not a valid phone number."),
    "+15005550002": (21214, "'To' phone number cannot be reached."),
    "+15005550003": (
        21215,
        "Account not authorized to call this number. "
        "Perhaps you need to enable some international permissions.",
    ),
    "+15005550004": (21216, "Account not allowed to call this number (blocked)."),
}
# Twilio's magic "To" number that cannot be reached: the call is placed, then fails.
UNREACHABLE_NUMBERS = frozenset({"+15005550009"})
# The magic "From" number Twilio refuses as a caller ID.
MAGIC_FROM_ERRORS: dict[str, tuple[int, str]] = {
    "+15005550001": (21212, "The 'From' phone number provided is not a valid phone number."),
}


@dataclass(frozen=True)
class Behaviour:
    """What the person at one number does when it rings."""

    answer_after: float = 1.0  # simulated seconds of ringing before answering
    digits: str | tuple[str, ...] = "1"  # keys pressed at each <Gather>; a tuple goes in turn
    hangup_after: float | None = 5.0  # seconds of talk as a dialled callee; None: stays on
    hangup_after_answer: float | None = None  # seconds after answering, as caller or callee
    busy: bool = False
    no_answer: bool = False
    voicemail: bool = False
    fail: bool = False
    manual: bool = False  # a person on the phones page (or the control API) decides

    def digits_for(self, gather_index: int) -> str:
        """Return the keys this person presses at the `gather_index`-th <Gather>."""
        if self.voicemail or self.manual:
            return ""
        if isinstance(self.digits, str):
            return self.digits
        return self.digits[gather_index] if gather_index < len(self.digits) else ""

    def as_dict(self) -> dict[str, Any]:
        """Return the behaviour as JSON-ready data."""
        data = asdict(self)
        if isinstance(self.digits, tuple):
            data["digits"] = list(self.digits)
        return data


FIELD_NAMES = frozenset(f.name for f in fields(Behaviour))


def behaviour_from(data: Mapping[str, Any], base: Behaviour | None = None) -> Behaviour:
    """Build a behaviour from scenario or control-API data, on top of `base`."""
    unknown = set(data) - FIELD_NAMES
    if unknown:
        raise ValueError("unknown phone settings: " + ", ".join(sorted(unknown)))
    values = dict(data)
    if isinstance(values.get("digits"), list):
        values["digits"] = tuple(str(d) for d in values["digits"])
    elif "digits" in values:
        values["digits"] = str(values["digits"])
    for name in ("answer_after", "hangup_after", "hangup_after_answer"):
        if values.get(name) is not None:
            values[name] = float(values[name])
    return replace(base or Behaviour(), **values)


class PhoneBook:
    """Behaviours per dialled number, the scenario's defaults plus live changes."""

    def __init__(self, scenario: Mapping[str, Any] | None = None) -> None:
        self._lock = threading.Lock()
        self._scenario = dict(scenario or {})
        self._phones: dict[str, Behaviour] = {}
        self._default = Behaviour()
        self.reset()

    def reset(self) -> None:
        """Go back to the scenario's phones."""
        default = behaviour_from(self._scenario.get("default", {}))
        phones = {number: replace(default, fail=True) for number in UNREACHABLE_NUMBERS}
        phones.update(
            (number, behaviour_from(settings, default))
            for number, settings in self._scenario.get("phones", {}).items()
        )
        with self._lock:
            self._default, self._phones = default, phones

    def behaviour(self, number: str) -> Behaviour:
        """Return what the person at `number` does."""
        with self._lock:
            return self._phones.get(number, self._default)

    def configure(self, number: str, settings: Mapping[str, Any]) -> Behaviour:
        """Change the behaviour at `number` (unset fields keep their current value)."""
        behaviour = behaviour_from(settings, self.behaviour(number))
        with self._lock:
            self._phones[number] = behaviour
        return behaviour

    def configured(self) -> dict[str, Behaviour]:
        """Return every number with an explicit behaviour."""
        with self._lock:
            return dict(self._phones)

    @property
    def default(self) -> Behaviour:
        """Return the behaviour of numbers nobody configured."""
        with self._lock:
            return self._default
