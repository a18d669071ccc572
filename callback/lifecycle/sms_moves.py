"""A visitor text's status only moves forward: one conditional UPDATE per move.

The order is `MessageStatus.rank` (pending, unknown, accepted, queued, sending, sent,
then a final status). Twilio's status callbacks may arrive late, twice or out of order;
a move to a status no higher than the row's changes nothing, so a late "sent" never
undoes "delivered", and two processes racing cannot move a text backwards. The one step
back, pending again for a retry, is `release_for_retry`, taken only by the job that
claimed the send. Which texts a request gets is `sms`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import ColumnElement, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from callback import metrics
from callback.models import MessageStatus, VisitorMessage, utcnow


def lower_than(status: MessageStatus) -> frozenset[MessageStatus]:
    """Return the statuses a message may move to `status` from."""
    return frozenset(s for s in MessageStatus if s.rank < status.rank)


def move_message(
    session: Session,
    message: VisitorMessage,
    status: MessageStatus,
    values: Mapping[str, Any] | None = None,
    *conditions: ColumnElement[bool],
) -> bool:
    """Move `message` to `status` (with `values`) if that is forward; return whether it did."""
    changes = {"status": status, "updated_at": utcnow(), **(values or {})}
    statement = (
        update(VisitorMessage)
        .where(
            VisitorMessage.id == message.id,
            VisitorMessage.status.in_(lower_than(status)),
            *conditions,
        )
        .values(changes)
        .returning(VisitorMessage.id)
    )
    moved = session.execute(statement, execution_options={"synchronize_session": False}).first()
    if moved is None:
        session.refresh(message)  # someone moved it first: callers decide on the truth
        return False
    for name, value in changes.items():
        set_committed_value(message, name, value)
    metrics.visitor_text(message.kind.value, status.value)
    return True


def twilio_status(value: str | None) -> MessageStatus | None:
    """Return Twilio's message status `value` as ours, or None for one we do not track."""
    try:
        status = MessageStatus(value or "")
    except ValueError:
        return None  # "scheduled", "read", "receiving"...: nothing to record
    ours = {MessageStatus.PENDING, MessageStatus.UNKNOWN, MessageStatus.CANCELED}
    return None if status in ours else status


def release_for_retry(
    session: Session,
    message: VisitorMessage,
    tries: int,
    code: int | None,
    held: ColumnElement[bool],
) -> bool:
    """Put a message whose send surely reached nobody back to pending, for RQ's retry.

    Only as the calling run holds it (`held`: still pending, or unknown under its own
    claim), and only while Twilio has no SID for the message: a message another run is
    sending, or that Twilio has, is never made pending again.
    """
    released = session.execute(
        update(VisitorMessage)
        .where(
            VisitorMessage.id == message.id,
            held,
            VisitorMessage.message_sid.is_(None),
        )
        .values(status=MessageStatus.PENDING, tries=tries, error_code=code, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    session.expire(message)
    return bool(released.rowcount)  # type: ignore[attr-defined]


def forget_message_number(session: Session, message: VisitorMessage) -> None:
    """Null the message's copy of the number: its one send has ended, one way or another."""
    session.execute(
        update(VisitorMessage)
        .where(VisitorMessage.id == message.id, VisitorMessage.to.is_not(None))
        .values(to=None)
        .execution_options(synchronize_session=False)
    )
    session.expire(message, ["to"])
