"""Each move as one conditional write: `UPDATE ... WHERE status IN (sources)`.

Under READ COMMITTED, PostgreSQL re-checks the WHERE against a row another transaction
has just committed, so a move that matches no row lost a race (or was never allowed):
the caller gets False and the object is reloaded with the truth. Nothing is overwritten.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from sqlalchemy import ClauseElement, ColumnElement, Table, Update, bindparam, update
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
    moved = _moved(session, request, move.sources, changes, conditions)
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
    return _moved(session, attempt, sources, changes, conditions)


def _moved(
    session: Session,
    row: CallbackRequest | CallAttempt,
    sources: frozenset[str],
    changes: Mapping[str, Any],
    conditions: tuple[ColumnElement[bool], ...],
) -> bool:
    """Run the move; keep the in-memory row equal to what it wrote, or reload it if it lost."""
    table = type(row).__table__
    assert isinstance(table, Table)
    computed = {k: v for k, v in changes.items() if isinstance(v, ClauseElement)}
    given = {k: v for k, v in changes.items() if k not in computed}
    statement = _update(table, sources, tuple(given))
    if conditions:
        statement = statement.where(*conditions)
    if computed:
        statement = statement.values(computed)
    # A Core UPDATE of the table skips the ORM's bulk-update machinery (a status callback's
    # move has no extra conditions: the hot path) and its autoflush: changes made to the
    # rows before the move go first, and a row just added gets its id.
    session.flush()
    parameters = {"row_id": row.id, **{f"new_{k}": v for k, v in given.items()}}
    if session.execute(statement, parameters).first() is None:
        session.refresh(row)  # someone else moved it first: decide on what is true now
        return False
    for name, value in changes.items():
        if isinstance(value, ClauseElement):
            session.expire(row, [name])  # computed by the database: read when next used
        else:
            set_committed_value(row, name, value)
    return True


@lru_cache(maxsize=256)
def _update(table: Table, sources: frozenset[str], names: tuple[str, ...]) -> Update:
    """`UPDATE table SET names WHERE id = :row_id AND status IN (sources) RETURNING id`.

    Built once per move (a move with extra conditions or computed values adds them to a
    copy): building and keying the statement per callback cost about as much as sending it.
    """
    return (
        update(table)
        .where(table.c.id == bindparam("row_id"), table.c.status.in_(sources))
        .values({name: bindparam(f"new_{name}") for name in names})
        .returning(table.c.id)
    )
