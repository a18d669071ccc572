"""Agent legs in flight and their status callbacks, signed the way Twilio signs them."""

from __future__ import annotations

import uuid
from pathlib import Path
from urllib.parse import urlencode

from sqlalchemy import Engine
from sqlalchemy.orm import Session
from twilio.request_validator import RequestValidator

from bench.fixtures import visitor_requests
from bench.load import Call
from bench.numbers import visitor_numbers
from callback.models import CallAttempt, Leg, RequestStatus, Widget
from callback.settings import SANDBOX_AUTH_TOKEN

# Each leg reports these in order; every one records an event and moves the leg forward.
# The agent has pressed 1 (the visitor leg decides the outcome), so "completed" enqueues
# nothing: the figure is signature, event insert and state update only.
STATUSES = ("initiated", "ringing", "in-progress", "completed")


def make_legs(engine: Engine, widget_key: str, count: int) -> list[tuple[int, str]]:
    """Store `count` requests whose agent leg is queued at Twilio; return (attempt id, SID).

    The request tables must be empty (`BenchEnv.clear_requests`).
    """
    with Session(engine) as session:
        widget = session.query(Widget).filter_by(key=widget_key).one()
        numbers = visitor_numbers()
        requests = visitor_requests(widget, count, numbers, RequestStatus.CALLING_VISITOR)
        session.add_all(requests)
        session.flush()
        attempts = [
            CallAttempt(
                request_id=r.id, leg=Leg.AGENT, attempt_number=1, round=1, status="queued",
                call_sid="CA" + uuid.uuid4().hex, digits="1",
            )
            for r in requests
        ]  # fmt: skip
        session.add_all(attempts)
        session.commit()
        return [(a.id, str(a.call_sid)) for a in attempts]


def signed_calls(base_url: str, legs: list[tuple[int, str]]) -> list[Call]:
    """Return every leg's callbacks, status by status (all legs' first, then second...)."""
    validator = RequestValidator(SANDBOX_AUTH_TOKEN)
    calls = []
    for sequence, status in enumerate(STATUSES):
        for attempt_id, sid in legs:
            path = f"/twilio/attempts/{attempt_id}/status"
            form = {
                "CallSid": sid, "AccountSid": "AC" + "0" * 32, "CallStatus": status,
                "SequenceNumber": str(sequence), "Direction": "outbound-api",
                "Timestamp": "Mon, 01 Jun 2026 12:00:00 +0000",
                "CallbackSource": "call-progress-events",
            }  # fmt: skip
            signature = validator.compute_signature(base_url + path, form)
            headers = {
                "X-Twilio-Signature": signature,
                "Content-Type": "application/x-www-form-urlencoded",
            }
            calls.append(Call(path, urlencode(form).encode(), headers))
    return calls


def write_lines(calls: list[Call], path: Path) -> Path:
    """Write the calls for bench/wrk/lines.lua."""
    with path.open("w") as out:
        for call in calls:
            out.write(f"{call.path}\t{call.headers['X-Twilio-Signature']}\t{call.body.decode()}\n")
    return path
