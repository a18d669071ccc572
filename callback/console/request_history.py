"""A request's timeline (`lifecycle.history.timeline`) worded for the console's page.

Each entry becomes a time in the widget's zone, a title in the reader's language and a
list of (label, value) facts. The timeline has already masked anything number-shaped.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from flask_babel import gettext
from sqlalchemy import select
from sqlalchemy.orm import Session

from callback.console.formatting import when
from callback.console.params import whole_id
from callback.lifecycle.history import timeline
from callback.models import Account, CallbackRequest
from callback.texts import N_

Entry = dict[str, Any]
Fact = tuple[str, str]
LEGS = {"agent": N_("console.request.leg.agent"), "visitor": N_("console.request.leg.visitor")}
ATTEMPT_FACTS = [
    ("agent_name", N_("console.request.fact.agent")),
    ("status", N_("console.request.fact.call_status")),
    ("started_at", N_("console.request.fact.started")),
    ("answered_at", N_("console.request.fact.answered")),
    ("ended_at", N_("console.request.fact.ended")),
    ("duration_seconds", N_("console.request.fact.duration")),
    ("answered_by", N_("console.request.fact.answered_by")),
    ("error_code", N_("console.request.fact.error_code")),
    ("call_sid", N_("console.request.fact.call_sid")),
]
# Actions staff see most; any other is shown by its code.
ACTIONS = {
    "staff_call_now": N_("console.request.action.staff_call_now"),
    "staff_retry": N_("console.request.action.staff_retry"),
    "staff_reschedule": N_("console.request.action.staff_reschedule"),
    "request_completed": N_("console.request.action.request_completed"),
    "request_failed": N_("console.request.action.request_failed"),
    "request_canceled": N_("console.request.action.request_canceled"),
    "request_expired": N_("console.request.action.request_expired"),
}
TIMES = {"started_at", "answered_at", "ended_at", "wanted_at", "at"}


def entries(session: Session, request: CallbackRequest) -> list[Entry]:
    """Return the request's history, oldest first, ready for the page."""
    history = timeline(session, request)
    names = _account_names(session, history)
    zone = request.widget.timezone
    words: dict[str, Callable[[Entry], tuple[str, list[Fact]]]] = {
        "request": lambda entry: _received(entry, zone),
        "audit": lambda entry: _audit(entry, names, zone),
        "attempt": lambda entry: _attempt(entry, zone),
        "call_event": _event,
    }
    shown = []
    for entry in history:
        title, facts = words[entry["kind"]](entry)
        shown.append({"when": _time(entry["at"], zone), "title": title, "facts": facts})
    return shown


def _received(entry: Entry, zone: str) -> tuple[str, list[Fact]]:
    details = entry["details"]
    facts = [(gettext(N_("console.request.fact.country")), details["country"] or "")]
    if details.get("wanted_at"):
        facts.append(
            (gettext(N_("console.request.fact.wanted_at")), _time(details["wanted_at"], zone))
        )
    return gettext(N_("console.request.timeline.received")), facts


def _audit(entry: Entry, names: dict[str, str], zone: str) -> tuple[str, list[Fact]]:
    actor = str(names.get(entry["actor"], entry["actor"]))
    facts: list[Fact] = [(gettext(N_("console.request.fact.actor")), actor)]
    for key, value in sorted(entry["details"].items()):
        dated = isinstance(value, str) and str(key).endswith(("_at", "_for"))
        facts.append((str(key), _time(value, zone) if dated else _plain(value)))
    action = entry["action"]
    named = gettext(ACTIONS[action]) if action in ACTIONS else action
    title = gettext(N_("console.request.timeline.action")).format(action=named)
    return title, facts


def _attempt(entry: Entry, zone: str) -> tuple[str, list[Fact]]:
    leg = gettext(LEGS.get(entry["leg"], entry["leg"]))
    title = gettext(N_("console.request.timeline.attempt")).format(
        leg=leg, number=entry["attempt_number"], round=entry["round"]
    )
    facts = []
    for key, label in ATTEMPT_FACTS:
        value = entry.get(key)
        if value is None or value == "":
            continue
        facts.append((gettext(label), _time(value, zone) if key in TIMES else str(value)))
    return title, facts


def _event(entry: Entry) -> tuple[str, list[Fact]]:
    title = gettext(N_("console.request.timeline.event")).format(status=entry["status"])
    facts = [
        (gettext(N_("console.request.fact.call_sid")), entry["call_sid"]),
        (gettext(N_("console.request.fact.sequence")), str(entry["sequence_number"])),
    ]
    facts += [(str(key), _plain(value)) for key, value in sorted(entry["params"].items())]
    return title, facts


def _account_names(session: Session, history: list[Entry]) -> dict[str, str]:
    """Name the staff behind "account:<id>" actors (the others stay as written)."""
    read = (
        whole_id(entry["actor"].removeprefix("account:"))
        for entry in history
        if entry["kind"] == "audit" and entry["actor"].startswith("account:")
    )
    ids = {account_id for account_id in read if account_id is not None}
    if not ids:
        return {}
    found = session.execute(select(Account.id, Account.name).where(Account.id.in_(ids)))
    return {f"account:{account_id}": name for account_id, name in found}


def _time(written: str | None, zone: str) -> str:
    if not written:
        return ""
    try:
        return when(datetime.fromisoformat(written), zone)
    except ValueError:
        return written


def _plain(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return ", ".join(_plain(item) for item in value)
    if isinstance(value, dict):
        return "; ".join(f"{key}: {_plain(item)}" for key, item in value.items())
    return str(value)
