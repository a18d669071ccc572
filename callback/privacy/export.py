"""Data-subject access: find and export everything held about one phone number."""

from __future__ import annotations

from typing import Any

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat
from redis import Redis
from sqlalchemy import select
from sqlalchemy.orm import Session

from callback.blocklist.entries import number_entries
from callback.models import (
    Agent,
    AuditEntry,
    CallAttempt,
    CallbackRequest,
    CallEvent,
    VisitorMessage,
    Widget,
    iso,
    utcnow,
)
from callback.phones.hashing import indexed_phone_keys


class SubjectNumberInvalid(ValueError):
    """The number typed for a data-subject request cannot be read as a phone number."""


def parse_subject_number(typed: str, region: str | None = None) -> str:
    """Return `typed` in E.164; `region` reads national formats, else a + prefix is needed."""
    try:
        number = phonenumbers.parse(typed.strip(), region.upper() if region else None)
    except NumberParseException:
        raise SubjectNumberInvalid(
            "not a phone number: give it with its + country code, or a region for national format"
        ) from None
    if not phonenumbers.is_possible_number(number):
        raise SubjectNumberInvalid("not a possible phone number for its country")
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def requests_of(session: Session, e164: str) -> list[CallbackRequest]:
    """Return every request that still holds `e164`, oldest first."""
    query = select(CallbackRequest).where(CallbackRequest.phone == e164)
    return list(session.scalars(query.order_by(CallbackRequest.created_at)))


def abuse_limit_keys(redis: Redis, e164: str) -> list[bytes]:
    """Return the Redis keys about `e164` (named by its keyed hash, never the number)."""
    return indexed_phone_keys(redis, e164)


def export_number(session: Session, redis: Redis, e164: str) -> dict[str, Any]:
    """Return everything held about `e164`: requests, their calls, events and audit trail."""
    limits = [
        {"key": key.decode(), "ttl_seconds": redis.ttl(key)}
        for key in abuse_limit_keys(redis, e164)
    ]
    agents = session.scalars(select(Agent).where(Agent.phone == e164)).all()
    blocked = [
        {
            "widget": _widget_key(session, entry.widget_id),
            "note": entry.note,
            "created_at": iso(entry.created_at),
        }
        for entry in number_entries(session, e164)
    ]
    return {
        "phone": e164,
        "generated_at": iso(utcnow()),
        "requests": [_request(session, row) for row in requests_of(session, e164)],
        "abuse_limit_keys": limits,
        "agents": [{"id": a.id, "name": a.name, "team": a.team} for a in agents],
        # The number blocked, by a widget's list or (widget null) the global one.
        "blocklist": blocked,
        "messages": [_message(m) for m in messages_to(session, e164)],
    }


def messages_to(session: Session, e164: str) -> list[VisitorMessage]:
    """Return the texts still holding `e164` (a "missed" one not sent yet), oldest first."""
    query = select(VisitorMessage).where(VisitorMessage.to == e164)
    return list(session.scalars(query.order_by(VisitorMessage.id)))


def _message(message: VisitorMessage) -> dict[str, Any]:
    return {
        "request_id": str(message.request_id),
        **{name: _value(getattr(message, name)) for name in MESSAGE_FIELDS},
    }


def _request(session: Session, row: CallbackRequest) -> dict[str, Any]:
    attempts = session.scalars(
        select(CallAttempt).where(CallAttempt.request_id == row.id).order_by(CallAttempt.id)
    )
    audit = session.scalars(
        select(AuditEntry).where(AuditEntry.request_id == row.id).order_by(AuditEntry.id)
    )
    return {
        "id": str(row.id),
        "widget": {"key": row.widget.key, "name": row.widget.name},
        **{name: _value(getattr(row, name)) for name in REQUEST_FIELDS},
        "attempts": [_attempt(session, attempt) for attempt in attempts],
        "audit": [
            {"action": a.action, "actor": a.actor, "at": iso(a.at), "details": a.details}
            for a in audit
        ],
    }


REQUEST_FIELDS = (
    "status", "outcome", "country", "number_type", "page_url", "locale", "consent_version",
    "round", "created_at", "updated_at", "scheduled_for", "agent_ringing_at", "connected_at",
    "ended_at", "talk_seconds", "erased_at",
)  # fmt: skip
MESSAGE_FIELDS = ("kind", "status", "send_at", "created_at")
ATTEMPT_FIELDS = (
    "leg", "attempt_number", "round", "call_sid", "status", "answered_by", "digits",
    "error_code", "created_at", "answered_at", "ended_at", "duration_seconds",
)  # fmt: skip


def _attempt(session: Session, attempt: CallAttempt) -> dict[str, Any]:
    events = session.scalars(
        select(CallEvent).where(CallEvent.attempt_id == attempt.id).order_by(CallEvent.id)
    )
    return {
        **{name: _value(getattr(attempt, name)) for name in ATTEMPT_FIELDS},
        "events": [
            {
                "status": e.status,
                "sequence_number": e.sequence_number,
                "timestamp": iso(e.timestamp),
                "received_at": iso(e.received_at),
                "params": e.params,
            }
            for e in events
        ],
    }


def _widget_key(session: Session, widget_id: int | None) -> str | None:
    widget = session.get(Widget, widget_id) if widget_id is not None else None
    return widget.key if widget else None


def _value(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value.value if hasattr(value, "value") else value


def export_for_subject(session: Session, redis: Redis, e164: str, actor: str) -> dict[str, Any]:
    """Export everything about `e164` and audit the export (without the number)."""
    export = export_number(session, redis, e164)
    session.add(
        AuditEntry(
            request_id=None,
            action="subject_export",
            actor=actor,
            details={"requests": [r["id"] for r in export["requests"]]},
        )
    )
    session.commit()
    return export
