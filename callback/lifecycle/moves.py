"""Each move as one conditional write: `UPDATE ... WHERE status IN (sources)`.

Under READ COMMITTED, PostgreSQL re-checks the WHERE against a row another transaction
has just committed, so a move that matches no row lost a race (or was never allowed):
the caller gets False and the object is reloaded with the truth. Nothing is overwritten.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import ClauseElement, ColumnElement, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from callback.integrations import events
from callback.lifecycle.states import TERMINAL_STATUSES, AttemptStatus
from callback.lifecycle.transitions import (
    ATTEMPT_MOVES,
    REQUEST_MOVES,
    AttemptEvent,
    RequestEvent,
    reported_sources,
)
from callback.models import CallAttempt, CallbackRequest, utcnow
from callback.reports import facts

# The outcome event each move announces to the widget's integrations (if any listen).
ANNOUNCED: dict[RequestEvent, str] = {
    RequestEvent.VISITOR_ANSWERED: events.CONNECTED,
    RequestEvent.TALKED: events.COMPLETED,
    RequestEvent.NEXT_ROUND: events.SCHEDULED,
    RequestEvent.RESCHEDULED: events.SCHEDULED,
    RequestEvent.GAVE_UP: events.FAILED,
    RequestEvent.EXPIRED: events.EXPIRED,
    RequestEvent.WITHDRAWN: events.CANCELED,
}


def move_request(
    session: Session,
    request: CallbackRequest,
    event: RequestEvent,
    values: Mapping[str, Any] | None = None,
    *conditions: ColumnElement[bool],
) -> bool:
    """Apply `event` to `request` with `values` if its status allows; return whether it did.

    A move that happened writes the outcome event it announces in the same transaction,
    and a move that ends the request writes the figures the reports count.
    """
    move = REQUEST_MOVES[event]
    phone = request.phone  # before the move: an ending erases it
    changes = {"status": move.target, "updated_at": utcnow(), **(values or {})}
    statement = update(CallbackRequest).where(
        CallbackRequest.id == request.id,
        CallbackRequest.status.in_(move.sources),
        *conditions,
    )
    moved = _moved(
        session, request, statement.values(changes).returning(CallbackRequest.id), changes
    )
    if moved and event in ANNOUNCED:
        events.record(session, request.widget, request, ANNOUNCED[event], phone)
    if moved and move.target in TERMINAL_STATUSES:
        facts.record_ended(session, request)
    return moved


def move_attempt(
    session: Session,
    attempt: CallAttempt,
    event: AttemptEvent,
    values: Mapping[str, Any] | None = None,
    *conditions: ColumnElement[bool],
    to: AttemptStatus | None = None,
) -> bool:
    """Apply `event` to `attempt` (REPORTED takes the status `to`); return whether it did."""
    move = ATTEMPT_MOVES[event]
    target = AttemptStatus(to or move.target or "")
    sources = reported_sources(target) if event == AttemptEvent.REPORTED else move.sources
    changes = {"status": target, **(values or {})}
    statement = update(CallAttempt).where(
        CallAttempt.id == attempt.id, CallAttempt.status.in_(sources), *conditions
    )
    return _moved(session, attempt, statement.values(changes).returning(CallAttempt.id), changes)


def _moved(session: Session, row: object, statement: Any, changes: Mapping[str, Any]) -> bool:
    """Run the move; keep the in-memory row equal to what it wrote, or reload it if it lost."""
    if session.execute(statement, execution_options={"synchronize_session": False}).first() is None:
        session.refresh(row)  # someone else moved it first: decide on what is true now
        return False
    for name, value in changes.items():
        if isinstance(value, ClauseElement):
            session.expire(row, [name])  # computed by the database: read when next used
        else:
            set_committed_value(row, name, value)
    return True
