"""A request's history for staff: what happened to it, its call legs and their events.

Never a phone number: the visitor's is not read, an agent's is not shown, and every
free-form text (audit details, event parameters, names) has anything shaped like a
number masked, in case one was ever written where it should not have been.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from callback.models import Agent, AuditEntry, CallAttempt, CallbackRequest, CallEvent, iso
from callback.phones.masking import mask_phone_shaped

Entry = dict[str, Any]
# Entries at the same instant keep this order: the request, what was done, legs, events.
KIND_ORDER = {"request": 0, "audit": 1, "attempt": 2, "call_event": 3}


def timeline(session: Session, request: CallbackRequest) -> list[Entry]:
    """Return the request's history, oldest first, without any phone number."""
    attempts = session.scalars(
        select(CallAttempt).where(CallAttempt.request_id == request.id).order_by(CallAttempt.id)
    ).all()
    agent_ids = {a.agent_id for a in attempts if a.agent_id is not None}
    named = session.execute(select(Agent.id, Agent.name).where(Agent.id.in_(agent_ids)))
    names = {agent_id: name for agent_id, name in named}
    audits = session.scalars(select(AuditEntry).where(AuditEntry.request_id == request.id)).all()
    sids = [a.call_sid for a in attempts if a.call_sid]
    events = session.scalars(
        select(CallEvent).where(
            or_(CallEvent.attempt_id.in_([a.id for a in attempts]), CallEvent.call_sid.in_(sids))
        )
    ).all()
    dated = [(request.created_at, _received(request))]
    dated += [(entry.at, _audit(entry)) for entry in audits]
    dated += [(attempt.created_at, _attempt(attempt, names)) for attempt in attempts]
    dated += [(event.timestamp or event.received_at, _event(event)) for event in events]
    dated.sort(key=lambda pair: (pair[0], KIND_ORDER[pair[1]["kind"]]))
    return [{"at": iso(at), **entry} for at, entry in dated]


def _received(request: CallbackRequest) -> Entry:
    details = {"country": request.country, "wanted_at": iso(request.wanted_at)}
    return {"kind": "request", "action": "received", "actor": "visitor", "details": details}


def _audit(entry: AuditEntry) -> Entry:
    return {
        "kind": "audit",
        "action": _masked(entry.action),
        "actor": _masked(entry.actor),
        "details": _masked(entry.details or {}),
    }


def _attempt(attempt: CallAttempt, names: dict[int, str]) -> Entry:
    name = names.get(attempt.agent_id) if attempt.agent_id is not None else None
    return {
        "kind": "attempt",
        "attempt_id": attempt.id,
        "leg": attempt.leg.value,
        "attempt_number": attempt.attempt_number,
        "round": attempt.round,
        "agent_id": attempt.agent_id,
        "agent_name": _masked(name),
        "status": attempt.status.value,
        "call_sid": attempt.call_sid,
        "started_at": iso(attempt.sent_at),
        "answered_at": iso(attempt.answered_at),
        "ended_at": iso(attempt.ended_at),
        "duration_seconds": attempt.duration_seconds,
        "answered_by": attempt.answered_by,
        "error_code": attempt.error_code,
    }


def _event(event: CallEvent) -> Entry:
    return {
        "kind": "call_event",
        "attempt_id": event.attempt_id,
        "call_sid": event.call_sid,
        "sequence_number": event.sequence_number,
        "status": _masked(event.status),
        "received_at": iso(event.received_at),
        "params": _masked(event.params or {}),
    }


def _masked(value: Any) -> Any:
    """Return `value` with every phone-shaped text in it (keys too) masked."""
    if isinstance(value, str):
        return mask_phone_shaped(value)
    if isinstance(value, dict):
        return {_masked(key): _masked(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_masked(item) for item in value]
    return value
