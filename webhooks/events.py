"""Status callbacks: each stored once, as an append-only event without any number."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC
from email.utils import parsedate_to_datetime
from functools import cache
from typing import cast

from sqlalchemy import Insert, Table
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from callback.db import UPSERT_INSERTS
from callback.models import CallAttempt, CallEvent
from callback.telephony import small_int

# Parameters worth keeping; To, From, Called, Caller and the like are never stored.
KEPT_PARAMETERS = (
    "CallDuration",
    "Duration",
    "Direction",
    "AnsweredBy",
    "CallbackSource",
    "SipResponseCode",
    "ErrorCode",
    "ParentCallSid",
)


def record_event(session: Session, attempt: CallAttempt, form: Mapping[str, str]) -> bool:
    """Append the callback as a CallEvent; return False if it was seen before."""
    sequence = small_int(form.get("SequenceNumber"))
    values = {
        "call_sid": form.get("CallSid", "")[:34],
        "attempt_id": attempt.id,
        "sequence_number": -1 if sequence is None else sequence,
        "status": form.get("CallStatus", "")[:20],
        "timestamp": _timestamp(form.get("Timestamp")),
        "params": {k: form[k][:64] for k in KEPT_PARAMETERS if k in form},
    }
    dialect = session.get_bind().dialect.name
    if dialect in UPSERT_INSERTS:
        # One statement instead of SAVEPOINT, INSERT, RELEASE (a webhook's hot path):
        # a duplicate (call SID, sequence number) inserts nothing and returns no row.
        return session.execute(_insert_event(dialect), values).first() is not None
    try:
        with session.begin_nested():
            session.add(CallEvent(**values))
    except IntegrityError:
        return False
    return True


@cache
def _insert_event(dialect: str) -> Insert:
    # Built once per dialect: building it per callback cost as much as sending it.
    table = cast(Table, CallEvent.__table__)
    return (
        UPSERT_INSERTS[dialect](table)
        .on_conflict_do_nothing(index_elements=["call_sid", "sequence_number"])
        .returning(table.c.id)
    )


def _timestamp(value: str | None) -> object:
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    # RFC 2822 "-0000" means UTC with the sender's zone unknown; it parses as naive.
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
