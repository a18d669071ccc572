"""The simulated telephone network: settings, calls, phones, chaos and the call players."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Mapping
from typing import Any

from callback.sandbox.callbacks import CallbackSender
from callback.sandbox.chaos import Chaos
from callback.sandbox.numbers import E164, AccountNumbers
from callback.sandbox.people import Behaviour, PhoneBook
from callback.sandbox.player import Player
from callback.sandbox.resources import API_VERSION, call_json, rfc2822
from callback.sandbox.store import Call, Source, Store, new_sid
from callback.sandbox.texts import message_state

# How long a player waits for a status callback to be delivered before going on.
CALLBACK_ORDER_SECONDS = 2.0
EVENT_STATUS = {"initiated": "initiated", "ringing": "ringing", "answered": "in-progress"}


class Network:
    """Everything one sandbox app simulates."""

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        scale: float,
        scenario: Mapping[str, Any],
        numbers: AccountNumbers | None = None,
    ) -> None:
        self.account_sid, self.auth_token, self.scale = account_sid, auth_token, scale
        self.numbers = numbers or AccountNumbers()
        self.store = Store()
        self.phones = PhoneBook(scenario)
        self.chaos = Chaos()
        self.callbacks = CallbackSender(self.store, self.chaos, auth_token)

    def place(self, call: Call) -> None:
        """Store a new leg (REST-created or inbound) and start playing it."""
        self.store.add(call)
        name = f"sandbox-call-{call.sid[-8:]}"
        threading.Thread(target=Player(self, call).run, name=name, daemon=True).start()

    def call_in(self, from_: str, to: str) -> Call:
        """Ring the account's number `to` from `from_`; raise ValueError naming a problem.

        The call is played like Twilio's inbound calls: the number's Voice URL answers it,
        the person at `from_` (their phone's behaviour) is the caller.
        """
        if not E164.match(from_):
            raise ValueError("from must be an E.164 number")
        if to not in self.numbers.owned():
            raise ValueError(f"to: {to} is not one of the account's numbers")
        settings = self.numbers.voice(to)
        if not settings.voice_url:
            raise ValueError(f"to: {to} has no voice_url to answer calls")
        now = time.time()
        call = Call(
            sid=new_sid(),
            account_sid=self.account_sid,
            to=to,
            from_=from_,
            direction="inbound",
            source=Source(url=settings.voice_url, method=settings.voice_method),
            created=now,
            status_callback=settings.status_callback,
            status_callback_method=settings.status_callback_method,
            clock=now,
            updated=now,
        )
        self.place(call)
        return call

    def person(self, call: Call) -> Behaviour:
        """Return the person on the far end of a leg: the caller of an inbound call."""
        return self.phones.behaviour(self._far_end(call))

    def voice_params(self, call: Call) -> dict[str, str]:
        """Return the parameters Twilio sends with every voice webhook of `call`."""
        params = {
            "AccountSid": call.account_sid,
            "ApiVersion": API_VERSION,
            "CallSid": call.sid,
            "CallStatus": call.status,
            "Called": call.to,
            "Caller": call.from_,
            "Direction": call.direction,
            "From": call.from_,
            "To": call.to,
        }
        if call.parent_call_sid:
            params["ParentCallSid"] = call.parent_call_sid
        if call.machine_detection and call.answered_by:
            params["AnsweredBy"] = call.answered_by
        return params

    def status_event(self, call: Call, event: str) -> None:
        """Send the status callback for `event` if the leg subscribed to it."""
        if not call.status_callback:
            return
        if event != "completed" and event not in call.status_callback_events:
            return
        with self.store.lock:
            params = self.voice_params(call)
            params["CallStatus"] = EVENT_STATUS.get(event, call.status)
            params["CallbackSource"] = "call-progress-events"
            params["SequenceNumber"] = str(call.sequence)
            params["Timestamp"] = rfc2822(call.clock) or ""
            call.sequence += 1
            if event == "completed":
                seconds = call.duration or 0
                params["CallDuration"] = str(seconds)
                params["Duration"] = str(math.ceil(seconds / 60))
        delivered = self.callbacks.send(call, event, params)
        if delivered is not None:
            delivered.wait(CALLBACK_ORDER_SECONDS)

    def hang_up_by_api(self, call: Call, status: str) -> None:
        """Ask the player to end `call` ("canceled" or "completed") and wait until it has."""
        self.store.update(call, command=("hangup", status))
        self.store.wait(lambda: call.finished, 2.0)

    def redirect(self, call: Call, source: Source) -> None:
        """Give a live leg new TwiML (a queued or ringing leg uses it once answered)."""
        if call.status == "in-progress":
            self.store.update(call, command=("redirect", source))
        else:
            self.store.update(call, source=source)

    def answer(self, sid: str) -> bool:
        """Answer a ringing leg on behalf of its person."""
        return self._person(sid, lambda c: c.status == "ringing", person_answer=True)

    def hang_up(self, sid: str) -> bool:
        """Hang up (or decline) a leg on behalf of its person."""
        return self._person(sid, lambda c: not c.finished, person_hangup=True)

    def press(self, sid: str, digits: str) -> bool:
        """Press keys on a leg's phone; they count only while a <Gather> listens."""
        with self.store.lock:
            call = self.store.get(sid)
            if call is None or call.status != "in-progress":
                return False
            call.note("keys", digits=digits, heard=call.gathering)
            if call.gathering:
                call.keys += digits
            self.store.changed.notify_all()
            return True

    def _person(self, sid: str, allowed: Any, **change: bool) -> bool:
        with self.store.lock:
            call = self.store.get(sid)
            if call is None or not allowed(call):
                return False
            self.store.update(call, **change)
            return True

    def reset(self) -> None:
        """Forget calls, requests and chaos; phones and numbers go back to the start."""
        self.store.reset()
        self.phones.reset()
        self.chaos.reset()
        self.numbers.reset()

    def close(self) -> None:
        """End every live call and stop delivering callbacks."""
        self.callbacks.close()
        self.store.reset()

    def state(self) -> dict[str, Any]:
        """Return phones, calls (with their logs), chaos and numbers for the control API."""
        with self.store.lock:
            calls = sorted(self.store.calls.values(), key=lambda c: c.created)
            texted = {m.to for m in self.store.messages.values()}
            numbers = {self._far_end(c) for c in calls} | texted | set(self.phones.configured())
            return {
                "time_scale": self.scale,
                "default_phone": self.phones.default.as_dict(),
                "phones": {n: self.phones.behaviour(n).as_dict() for n in sorted(numbers)},
                "calls": [self.call_state(c) for c in calls],
                "messages": self.messages_state(),
                "chaos": self.chaos.as_dict(),
                "numbers": self.numbers.as_dict(),
            }

    @staticmethod
    def _far_end(call: Call) -> str:
        return call.from_ if call.direction == "inbound" else call.to

    def messages_state(self) -> list[dict[str, Any]]:
        """Return every text message, oldest first, as the phones page shows them."""
        with self.store.lock:
            texts = sorted(self.store.messages.values(), key=lambda m: m.created)
            return [message_state(m) for m in texts]

    def call_state(self, call: Call) -> dict[str, Any]:
        """Return a leg's resource plus the simulator's view of it."""
        return {
            **call_json(call),
            "bridged_with": call.bridged_with,
            "gathering": call.gathering,
            "manual": self.person(call).manual,
            "log": list(call.log),
        }
