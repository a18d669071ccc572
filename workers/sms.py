"""The send job: one text message to the visitor, by message id, at most once.

The job is given a message id, never a number or a text: it reads the number from the
request (a confirmation or reminder, sent while the request is pending) or from the
message's own `to` (a "missed" message, whose request has already erased its number),
and builds the text in the visitor's language as it sends.

Exactly-once is not on offer from Twilio for messages, so this is at most once: the
move from pending to unknown, committed before the create is sent, is the claim a
second run of the job cannot win. A create that got no answer (a read timeout, a reset
connection) stays unknown: its status callbacks, which name the message, tell the rest.
Only what surely sent nothing is retried with backoff: Twilio's 429 and 5xx, a connect
timeout, no pacing token. Any other 4xx (21211 invalid number, 21610 unsubscribed,
21408 no permission for the region...) fails the message with Twilio's code.

Whatever the first send's end (accepted, refused, given up, unknown), the message's
copy of the number is nulled in the same commit.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import requests
from flask import current_app
from sqlalchemy import ColumnElement, and_, exists, true
from sqlalchemy.orm import Session
from twilio.base.exceptions import TwilioRestException

from callback import after_commit, db, metrics
from callback.lifecycle.requests import SCHEDULER_SLACK
from callback.lifecycle.sms_moves import (
    forget_message_number,
    move_message,
    release_for_retry,
    twilio_status,
)
from callback.lifecycle.states import PENDING_STATUSES, RequestStatus
from callback.lifecycle.work import SendMessage
from callback.models import (
    CallbackRequest,
    MessageKind,
    MessageStatus,
    VisitorMessage,
    utcnow,
)
from callback.redis_client import redis_connection
from callback.telephony import is_retryable, public_url, twilio_client
from callback.texts.sms import sms_text
from workers.context import JobLog, job_context
from workers.cps import MESSAGE_BUCKET_KEY, CallPacer

# Runs of the job for one message (the first and RQ's retries) before it is given up.
SEND_TRIES = 7


class RetryableMessageError(Exception):
    """Twilio asked us to slow down, had trouble, or was not reached; RQ retries."""


def send_message(message_id: str) -> str:
    """Send visitor message `message_id` if it is still wanted; say what was done."""
    with job_context(__name__, "-") as log:
        return _send(int(message_id), log)


def _send(message_id: int, log: JobLog) -> str:
    session = db.session()
    message = session.get(VisitorMessage, message_id)
    if message is None or message.status != MessageStatus.PENDING:
        log.info("nothing to send: message=%s moved on", message_id)
        return "skipped"
    log.extra = {**(log.extra or {}), "request_id": str(message.request_id)}
    request = session.get_one(CallbackRequest, message.request_id)
    reason = _not_wanted(request, message)
    if reason is not None:
        _end(session, message, MessageStatus.CANCELED, {"reason": reason}, _held(None))
        log.info("not sent: message=%s %s", message.id, reason)
        return "canceled"
    if message.kind == MessageKind.REMINDER and (due := _reminder_due(request)) > _soon():
        return _wait_for(session, message, due, log)
    to = message.to if message.kind == MessageKind.MISSED else request.phone
    sender = request.widget.caller_id or current_app.config.get("TWILIO_FROM_NUMBER")
    if not to or not sender:
        _end(session, message, MessageStatus.FAILED, {"reason": "no_sender"}, _held(None))
        log.warning("not sent: message=%s has no number to send from", message.id)
        return "failed"
    if not _paced():
        return _retry_later(session, message, None, "no pacing token in time", log, None)
    claim = {"sent_at": utcnow()}
    if not move_message(session, message, MessageStatus.UNKNOWN, claim, _still_wanted(message)):
        if message.status == MessageStatus.PENDING:  # not claimed: its request moved on
            _end(session, message, MessageStatus.CANCELED, {"reason": "request_moved_on"},
                 _held(None))  # fmt: skip
            log.info("not sent: the request of message=%s moved on meanwhile", message.id)
            return "canceled"
        session.commit()
        log.info("not sent: another run claimed message=%s", message.id)
        return "skipped"
    session.commit()
    return _create(session, request, message, to, sender, log, claim["sent_at"])


def _not_wanted(request: CallbackRequest, message: VisitorMessage) -> str | None:
    """Return why the message should not go out any more, or None."""
    if not request.widget.sms_enabled:
        return "sms_disabled"
    if message.kind == MessageKind.MISSED:
        return None if message.to else "number_erased"
    if request.status.is_terminal or request.phone is None:
        return "request_ended"
    if message.kind == MessageKind.REMINDER and (
        request.status != RequestStatus.SCHEDULED
        or request.round != 1
        or request.scheduled_for is None
    ):
        return "request_moved_on"  # rung early, or its first round is over
    return None


def _still_wanted(message: VisitorMessage) -> ColumnElement[bool]:
    """Return the condition, checked in the claim itself, that the request still wants it.

    The pacing wait may have taken a while: a request that ended (or was rung early)
    meanwhile gets no confirmation or reminder. A "missed" text's request has ended.
    """
    if message.kind == MessageKind.MISSED:
        return true()
    pending = (
        [RequestStatus.SCHEDULED] if message.kind == MessageKind.REMINDER else PENDING_STATUSES
    )
    return exists().where(
        CallbackRequest.id == message.request_id, CallbackRequest.status.in_(pending)
    )


def _reminder_due(request: CallbackRequest) -> datetime:
    minutes = request.widget.sms_reminder_minutes
    return (request.scheduled_for or utcnow()) - timedelta(minutes=minutes)


def _soon() -> datetime:
    return utcnow() + SCHEDULER_SLACK


def _wait_for(session: Session, message: VisitorMessage, due: datetime, log: JobLog) -> str:
    """The callback was moved later (staff rescheduled it): remind at the new time."""
    message.send_at = due
    after_commit.add(session, SendMessage(message.id, due))
    session.commit()
    log.info("reminder not due yet: message=%s", message.id)
    return "not_due"


def _paced() -> bool:
    pacer = CallPacer(redis_connection(), current_app.config["TWILIO_CPS"], MESSAGE_BUCKET_KEY)
    try:
        pacer.take()
    except TimeoutError:
        return False
    return True


def _create(
    session: Session,
    request: CallbackRequest,
    message: VisitorMessage,
    to: str,
    sender: str,
    log: JobLog,
    claimed_at: datetime,
) -> str:
    widget = request.widget
    when = request.scheduled_for if message.kind != MessageKind.MISSED else None
    body = sms_text(message.kind.value, request.locale or widget.language, widget.name,
                    when, widget.timezone)  # fmt: skip
    try:
        created = twilio_client().messages.create(
            to=to,
            from_=sender,
            body=body,
            status_callback=public_url(f"/twilio/messages/{message.id}/status"),
        )
    except requests.ConnectTimeout:
        return _retry_later(session, message, None, "no connection to Twilio", log, claimed_at)
    except (requests.Timeout, requests.ConnectionError) as exc:
        # The create may have reached Twilio: at most once, so no retry; the message's
        # status callbacks (they name it) move it on if it was sent.
        forget_message_number(session, message)
        session.commit()
        log.warning("create answer lost: message=%s error=%s", message.id, type(exc).__name__)
        return "unknown"
    except TwilioRestException as exc:
        metrics.twilio_error(exc)
        if is_retryable(exc.status, exc.code):
            why = f"twilio {exc.status}/{exc.code}"
            return _retry_later(session, message, exc.code, why, log, claimed_at)
        refused = {"error_code": exc.code, "reason": "refused"}
        _end(session, message, MessageStatus.FAILED, refused, _held(claimed_at))
        log.warning("twilio refused message=%s code=%s", message.id, exc.code)
        return "failed"
    status = twilio_status(created.status) or MessageStatus.QUEUED
    sid = created.sid or None
    if not move_message(session, message, status, {"message_sid": sid, "to": None}):
        # Its status callbacks got here first and moved it on: add only the SID.
        message.message_sid = message.message_sid or sid
    forget_message_number(session, message)
    session.commit()
    log.info("message sent: message=%s sid=%s kind=%s", message.id, sid, message.kind.value)
    return "sent"


def _retry_later(
    session: Session,
    message: VisitorMessage,
    code: int | None,
    why: str,
    log: JobLog,
    claimed_at: datetime | None,
) -> str:
    """Put a message that surely was not sent back to pending for RQ's retry, or give up.

    Only as this run holds it (`claimed_at`: pending, or under this run's claim): another
    run of the job may have claimed it meanwhile, and its send is not this run's to undo.
    """
    tries = message.tries + 1
    held = _held(claimed_at)
    if tries >= SEND_TRIES:
        _end(session, message, MessageStatus.FAILED, {"error_code": code, "reason": "gave_up",
                                                      "tries": tries}, held)  # fmt: skip
        log.warning("gave up on message=%s after %s tries: %s", message.id, tries, why)
        return "failed"
    release_for_retry(session, message, tries, code, held)
    session.commit()
    log.warning("message=%s not sent, retrying: %s", message.id, why)
    raise RetryableMessageError(why)


def _held(claimed_at: datetime | None) -> ColumnElement[bool]:
    """Return the condition that the message is as this run holds it.

    Before its claim, pending; after it, unknown under this run's own claim (`sent_at`).
    A stale run (the reconciler's copy of the job, say) then cannot end or release a
    message another run is sending.
    """
    if claimed_at is None:
        return VisitorMessage.status == MessageStatus.PENDING
    return and_(
        VisitorMessage.status == MessageStatus.UNKNOWN, VisitorMessage.sent_at == claimed_at
    )


def _end(
    session: Session,
    message: VisitorMessage,
    status: MessageStatus,
    values: dict[str, Any],
    held: ColumnElement[bool],
) -> None:
    if move_message(session, message, status, values, held):
        forget_message_number(session, message)  # else the run that holds it does
    session.commit()
