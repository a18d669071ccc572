"""A small client for the sandbox's control API, for tests and benchmarks."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import requests

TIMEOUT = 10.0


class SandboxControl:
    """Drive a running sandbox: phones, chaos, calls, and the people holding the phones."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.session = requests.Session()

    def _call(self, method: str, path: str, json: Any = None) -> Any:
        response = self.session.request(
            method, f"{self.base_url}/_sandbox/{path}", json=json, timeout=TIMEOUT
        )
        response.raise_for_status()
        return response.json()

    def state(self) -> dict[str, Any]:
        """Return phones, calls and chaos."""
        return dict(self._call("GET", "state"))

    def set_phone(self, number: str, **behaviour: Any) -> dict[str, Any]:
        """Change how the person at `number` behaves (answer_after, digits, busy, ...)."""
        return dict(self._call("POST", f"phones/{quote(number, safe='')}", behaviour))

    def set_chaos(
        self, callbacks: list[dict[str, Any]] | None = None, create: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """Replace the callback rules and the create-failure switch."""
        return dict(self._call("POST", "chaos", {"callbacks": callbacks or [], "create": create}))

    def numbers(self) -> dict[str, list[str]]:
        """Return the numbers the account owns and its verified caller IDs."""
        return dict(self._call("GET", "numbers"))

    def set_numbers(
        self, numbers: list[str] | None = None, caller_ids: list[str] | None = None
    ) -> dict[str, list[str]]:
        """Replace the owned numbers, the verified caller IDs, or both (None keeps a list)."""
        lists = {"numbers": numbers, "caller_ids": caller_ids}
        return dict(
            self._call("POST", "numbers", {k: v for k, v in lists.items() if v is not None})
        )

    def set_number(self, number: str, **settings: Any) -> dict[str, Any]:
        """Set an owned number's voice_url, voice_method, status_callback (...method)."""
        return dict(self._call("PUT", f"numbers/{quote(number, safe='')}", settings))

    def call_in(self, from_: str, to: str) -> str:
        """Ring the account's number `to` from `from_` (an inbound call); return its SID."""
        return str(self._call("POST", "calls/inbound", {"from": from_, "to": to})["sid"])

    def reset(self) -> None:
        """End live calls and forget everything but the scenario."""
        self._call("POST", "reset")

    def requests(self) -> list[dict[str, Any]]:
        """Return the REST requests the sandbox received."""
        return list(self._call("GET", "requests"))

    def calls(self) -> list[dict[str, Any]]:
        """Return every call leg, oldest first, with its log."""
        return list(self.state()["calls"])

    def messages(self) -> list[dict[str, Any]]:
        """Return every text message, oldest first, with its body and status."""
        return list(self._call("GET", "messages"))

    def wait_for_message(
        self, to: str, status: str | None = None, timeout: float = 5.0
    ) -> dict[str, Any]:
        """Wait until a text to `to` exists (in `status`, if given); return the latest."""

        def reached(state: dict[str, Any]) -> dict[str, Any] | None:
            found = [m for m in state["messages"] if m["to"] == to]
            if found and (status is None or found[-1]["status"] == status):
                return dict(found[-1])
            return None

        result: dict[str, Any] = self.wait_for(reached, timeout)
        return result

    def call(self, sid: str) -> dict[str, Any]:
        """Return one call leg with its log."""
        for call in self.calls():
            if call["sid"] == sid:
                return call
        raise KeyError(sid)

    def answer(self, sid: str) -> dict[str, Any]:
        """Answer a ringing call as its person."""
        return dict(self._call("POST", f"calls/{sid}/answer"))

    def press(self, sid: str, digits: str) -> dict[str, Any]:
        """Press keys on a call's phone."""
        return dict(self._call("POST", f"calls/{sid}/digits", {"digits": digits}))

    def hangup(self, sid: str) -> dict[str, Any]:
        """Hang up (or decline) a call as its person."""
        return dict(self._call("POST", f"calls/{sid}/hangup"))

    def wait_for(self, predicate: Callable[[dict[str, Any]], Any], timeout: float = 5.0) -> Any:
        """Poll the state until `predicate(state)` is truthy; return its value."""
        deadline = time.monotonic() + timeout
        while True:
            result = predicate(self.state())
            if result:
                return result
            if time.monotonic() > deadline:
                raise TimeoutError(f"sandbox state did not match within {timeout} s")
            time.sleep(0.02)

    def wait_for_call(self, sid: str, status: str | None = None, timeout: float = 5.0) -> Any:
        """Wait until the call has ended (or reached `status`); return it."""

        def reached(state: dict[str, Any]) -> dict[str, Any] | None:
            for call in state["calls"]:
                if call["sid"] == sid and (
                    call["status"] == status if status else call["end_time"] is not None
                ):
                    return dict(call)
            return None

        return self.wait_for(reached, timeout)

    def close(self) -> None:
        """Release the HTTP session."""
        self.session.close()
