"""Text messages to the visitor (SMS): which are due, their statuses, and their number.

A message row is written in the transaction of the move it follows; its send job
(`work.SendMessage`) is enqueued once that commits.

Which messages a request gets (only where the widget has `sms_enabled`):

- a callback scheduled for later (the visitor's chosen time, or the next opening):
  a confirmation now, and a reminder `sms_reminder_minutes` before the time (left out
  when that moment is too close to be worth it);
- a request that failed or expired (not withdrawn, not erased, not capped by retention):
  a "missed" message, "we tried to call you".

The confirmation and the reminder are sent while the request is pending, so their job
reads the number from the request itself. The "missed" message is decided by the very
move that erases the request's number, so its row keeps a copy in `to` until its first
send ends (accepted, refused or given up), which is seconds, or minutes while Twilio
asks us to slow down; `forget_numbers_before` caps it at RETENTION_MAX_HOURS whatever
happens, and a data-subject erasure nulls it at once (`forget_number`).

A text's status only moves forward, one conditional UPDATE a move (`sms_moves`).

Sending is `workers.sms`; Twilio's status callbacks land in `webhooks.routes`;
docs/sms.md tells the whole story.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, exists, func, or_, select, update
from sqlalchemy.orm import Session

from callback import after_commit
from callback.lifecycle.work import SendMessage
from callback.models import (
    CallbackRequest,
    MessageKind,
    MessageStatus,
    VisitorMessage,
    Widget,
    utcnow,
)

# A reminder due sooner than this after the confirmation would only repeat it.
MIN_REMINDER_LEAD = timedelta(minutes=2)
# Ends that get a "missed" message; the retention cap's own expiry does not (the number
# must be gone by then), nor a withdrawal or an erasure (the visitor asked for quiet).
MISSED_STATUSES = frozenset({"failed", "expired"})
NOT_MISSED_OUTCOMES = frozenset({"retention_cap"})


def scheduled(
    session: Session, widget: Widget, request_id: uuid.UUID, scheduled_for: datetime
) -> list[VisitorMessage]:
    """Write the confirmation and the reminder of a request just scheduled for later."""
    if not widget.sms_enabled:
        return []
    now = utcnow()
    messages = [VisitorMessage(request_id=request_id, kind=MessageKind.CONFIRMATION, send_at=now)]
    remind_at = scheduled_for - timedelta(minutes=widget.sms_reminder_minutes)
    if remind_at > now + MIN_REMINDER_LEAD:
        messages.append(
            VisitorMessage(request_id=request_id, kind=MessageKind.REMINDER, send_at=remind_at)
        )
    return _queue(session, messages)


def ended(
    session: Session, request: CallbackRequest, phone: str | None, status: str, outcome: str
) -> VisitorMessage | None:
    """Follow a request's end: cancel what is pointless now; maybe say "we tried to call".

    `phone` is the number as it was before the move that erased it.
    """
    if not request.widget.sms_enabled:
        # No query at all; a message left from before SMS was turned off is canceled by
        # its own job, which looks at the request and the setting again.
        return None
    cancel_pending(session, request.id, "request_ended")
    if phone is None or status not in MISSED_STATUSES or outcome in NOT_MISSED_OUTCOMES:
        return None
    missed = VisitorMessage(request_id=request.id, kind=MessageKind.MISSED, to=phone)
    return _queue(session, [missed])[0]


def rescheduled(session: Session, request: CallbackRequest, when: datetime) -> None:
    """Move the request's pending reminder to go out before its new time `when`.

    Its job at the old time would wait for a later time by itself, but not send
    sooner; no new confirmation is sent (staff tell the visitor themselves).
    """
    if not request.widget.sms_enabled:
        return
    reminder = session.scalars(
        select(VisitorMessage).where(
            VisitorMessage.request_id == request.id,
            VisitorMessage.kind == MessageKind.REMINDER,
            VisitorMessage.status == MessageStatus.PENDING,
        )
    ).first()
    if reminder is None:
        return
    due = when - timedelta(minutes=request.widget.sms_reminder_minutes)
    reminder.send_at = due
    after_commit.add(session, SendMessage(reminder.id, due if due > utcnow() else None))


def _queue(session: Session, messages: list[VisitorMessage]) -> list[VisitorMessage]:
    session.add_all(messages)
    session.flush()  # their ids name their jobs
    now = utcnow()
    for message in messages:
        at = message.send_at if message.send_at > now else None
        after_commit.add(session, SendMessage(message.id, at))
    return messages


def cancel_pending(session: Session, request_id: uuid.UUID, reason: str) -> int:
    """Cancel the request's messages not sent yet (a "missed" one too); count them."""
    canceled = session.execute(
        update(VisitorMessage)
        .where(
            VisitorMessage.request_id == request_id,
            VisitorMessage.status == MessageStatus.PENDING,
        )
        .values(status=MessageStatus.CANCELED, reason=reason, to=None, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return canceled.rowcount or 0  # type: ignore[attr-defined]


def forget_number(session: Session, e164: str) -> int:
    """Null `e164` in every message still holding it, unsent ones canceled; count them."""
    return _forget(session, VisitorMessage.to == e164, "erased_on_request")


def forget_numbers_before(session: Session, cutoff: datetime) -> int:
    """Null the number of messages past the retention cap, sent or not; count them.

    `cutoff` is now less RETENTION_MAX_HOURS. As for webhook events, a message is past it
    when its request is (counted from when the visitor asked) or when it was written
    before the cutoff, whichever comes first.
    """
    asked_at = func.coalesce(CallbackRequest.wanted_at, CallbackRequest.created_at)
    request_capped = exists().where(
        CallbackRequest.id == VisitorMessage.request_id,
        CallbackRequest.created_at < cutoff,
        asked_at < cutoff,
    )
    past = or_(VisitorMessage.created_at < cutoff, request_capped)
    return _forget(session, past, "retention_cap")


def _forget(session: Session, which: ColumnElement[bool], reason: str) -> int:
    holding = and_(VisitorMessage.to.is_not(None), which)
    session.execute(
        update(VisitorMessage)
        .where(holding, VisitorMessage.status == MessageStatus.PENDING)
        .values(status=MessageStatus.CANCELED, reason=reason, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    erased = session.execute(
        update(VisitorMessage)
        .where(holding)
        .values(to=None, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return erased.rowcount or 0  # type: ignore[attr-defined]
