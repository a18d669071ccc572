"""One thread per call (REST-created or inbound): ring, answer, play the TwiML, report."""

from __future__ import annotations

import logging
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from typing import TYPE_CHECKING

from callback.sandbox import twiml, verbs
from callback.sandbox.interrupts import Dequeued, HungUp, Redirected
from callback.sandbox.people import MAGIC_TO_ERRORS
from callback.sandbox.store import Call, Source

if TYPE_CHECKING:
    from callback.sandbox.network import Network

log = logging.getLogger(__name__)


class Player:
    """Play one call (and the legs it dials) in simulated time."""

    def __init__(self, network: Network, call: Call) -> None:
        self.net, self.call = network, call
        self.legs = [call]  # legs whose clocks run together
        self.deadlines: dict[str, float] = {}  # when each person hangs up, on the leg's clock
        self.gathers: dict[str, int] = {}
        # Real seconds per simulated second at least: waiting on other calls (a queue)
        # must not run ahead of them, even at time scale 0.
        self.min_scale = 0.0

    def run(self) -> None:
        """Play the call from queued to its final status."""
        leg = self.call
        try:
            self._play(leg)
        finally:
            if not leg.finished:  # a bug, not a telephone outcome: still end the call
                self.finish(leg, "failed")

    def _play(self, leg: Call) -> None:
        if leg.direction == "inbound":
            self._play_inbound(leg)
            return
        try:
            self.start(leg)
            outcome = self.ring(leg, leg.timeout)
            if outcome != "answered":
                self.finish(leg, outcome)
                return
            self.answer(leg)
            self.run_documents(leg, leg.source)
            self.finish(leg, "completed")
        except HungUp as exc:
            self.finish(leg, exc.status)

    def _play_inbound(self, leg: Call) -> None:
        """Ring our number: its Voice URL answers the call by returning TwiML to play."""
        try:
            self.net.store.update(leg, status="ringing", start_time=leg.clock)
            leg.note("incoming", caller=leg.from_)
            self.net.status_event(leg, "ringing")
            document = self.fetch(leg, leg.source)
            if document is not None and [e.tag for e in document[0]][:1] == ["Reject"]:
                leg.note("reject", reason=document[0][0].get("reason"))
                self.finish(leg, "busy")  # Twilio reports a rejected call as busy
                return
            self.answer(leg)  # Twilio answers as the first verb plays
            verbs.play_documents(self, leg, document)
            self.finish(leg, "completed")
        except HungUp as exc:
            self.finish(leg, exc.status)
        except Dequeued:  # only ever raised inside <Enqueue>: a bug if it gets here
            self.finish(leg, "failed")

    def run_documents(self, leg: Call, source: Source, extra: dict[str, str] | None = None) -> bool:
        """Play TwiML on `leg` until it runs out (False) or hangs up (True)."""
        return verbs.run_documents(self, leg, source, extra)

    def start(self, leg: Call) -> None:
        """Start dialling a leg."""
        self.net.store.update(leg, start_time=leg.clock)
        self.net.status_event(leg, "initiated")
        self.check()

    def ring(self, leg: Call, timeout: float) -> str:
        """Ring the leg's phone; return "answered" or the final status it ends with."""
        person = self.net.person(leg)
        if person.fail or leg.to in MAGIC_TO_ERRORS or not leg.to.startswith("+"):
            return "failed"
        if person.busy:
            return "busy"
        self.net.store.update(leg, status="ringing")
        leg.note("ringing")
        self.net.status_event(leg, "ringing")

        def picked_up() -> bool:
            return leg.person_answer or leg.person_hangup

        if person.manual:
            self.wait(timeout, picked_up, real_time=True)
        else:
            never = person.no_answer or person.answer_after >= timeout
            self.wait(timeout if never else person.answer_after, picked_up)
            if not never and not leg.person_hangup:
                return "answered"
        if leg.person_answer:
            return "answered"
        return "busy" if leg.person_hangup else "no-answer"

    def answer(self, leg: Call) -> None:
        """Mark the leg answered and report it."""
        person = self.net.person(leg)
        answered_by = None
        if leg.machine_detection:
            answered_by = "machine_start" if person.voicemail else "human"
        self.net.store.update(
            leg, status="in-progress", answer_time=leg.clock, answered_by=answered_by
        )
        leg.note("answered", by="voicemail" if person.voicemail else "person")
        if person.hangup_after_answer is not None:
            self.deadlines[leg.sid] = leg.clock + person.hangup_after_answer
        self.net.status_event(leg, "answered")

    def finish(self, leg: Call, status: str) -> None:
        """End the leg with `status` and report it (once)."""
        with self.net.store.lock:
            if leg.finished:
                return
            if status == "completed" and leg.answer_time is None:
                status = "canceled"
            leg.note("ended", status=status)
            self.net.store.update(
                leg, status=status, end_time=leg.clock, command=None, gathering=False
            )
        self.deadlines.pop(leg.sid, None)
        self.net.status_event(leg, "completed")

    def fetch(
        self, leg: Call, source: Source, extra: dict[str, str] | None = None
    ) -> tuple[ET.Element, str | None] | None:
        """Fetch the leg's next TwiML; None (logged) when that fails, as Twilio hangs up."""
        params = {**self.net.voice_params(leg), **(extra or {})}
        try:
            document = twiml.fetch(self.net.auth_token, source, params)
        except twiml.TwimlError as exc:
            log.warning("sandbox call %s: TwiML error %s", leg.sid, exc.code)
            leg.note("error", code=exc.code, reason=exc.reason)
            return None
        self.check()
        return document

    def wait(
        self,
        seconds: float | None,
        until: Callable[[], bool] | None = None,
        real_time: bool = False,
    ) -> bool:
        """Let simulated time pass on every leg; True if `until` came true first.

        Raises HungUp or Redirected when a leg is ended or redirected meanwhile. With
        `real_time` a person on the phones page is waited for at no less than real speed.
        """
        scale = max(self.net.scale, 1.0 if real_time else self.min_scale)
        cap = seconds
        for leg in self.legs:
            if leg.sid in self.deadlines:
                left = max(self.deadlines[leg.sid] - leg.clock, 0.0)
                cap = left if cap is None else min(cap, left)
        fired = False

        def ready() -> bool:
            nonlocal fired
            fired = bool(until and until())
            return fired or self._interrupted()

        began = time.monotonic()
        woke = self.net.store.wait(ready, None if cap is None else cap * scale)
        elapsed = time.monotonic() - began
        simulated = (elapsed / scale if scale > 0 else elapsed) if woke else (cap or 0.0)
        if cap is not None:
            simulated = min(simulated, cap)
        with self.net.store.lock:
            for leg in self.legs:
                leg.clock += simulated
        self.check()
        return fired

    def _interrupted(self) -> bool:
        return any(
            leg.command or leg.dequeue or (leg.person_hangup and leg.status == "in-progress")
            for leg in self.legs
        )

    def check(self) -> None:
        """Raise for the first leg (the dialled one first) that was ended or redirected."""
        with self.net.store.lock:
            for leg in reversed(self.legs):
                command, leg.command = leg.command, None
                if command and command[0] == "hangup":
                    raise HungUp(leg.sid, command[1], "api")
                if command and command[0] == "redirect":
                    raise Redirected(leg.sid, command[1])
                if leg.person_hangup and leg.status == "in-progress":
                    raise HungUp(leg.sid, "completed", "person")
                deadline = self.deadlines.get(leg.sid)
                if deadline is not None and leg.clock >= deadline - 1e-6:
                    raise HungUp(leg.sid, "completed", "person")
                if leg.dequeue:  # after the hang-ups: a caller who left is not dequeued
                    by, leg.dequeue = leg.dequeue, None
                    raise Dequeued(leg.sid, by)
