"""ERASE_PROVIDER_RECORDS: delete every call and text of a finished request at Twilio, audited.

Twilio keeps call logs and messages, with both numbers, until they are deleted. A
text still on its way (not sent yet, or still at Twilio's queue) cannot be deleted:
the job waits for it, failing and being retried like a live call. With the setting on,
each request that reaches a terminal status gets a job (enqueued after the commit that
ended it, by `workers.queues`) that DELETEs each of its calls; a call Twilio cannot
delete yet (still live) or an outage makes the job fail and RQ retries it with backoff.
The retention job's periodic sweep enqueues it again for any request still lacking the
audit entry (`unerased_requests`), so the deletion is retried until it succeeds.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import and_, exists, or_, select
from sqlalchemy.orm import Session
from twilio.base.exceptions import TwilioRestException

from callback import db
from callback.lifecycle.states import TERMINAL_STATUSES
from callback.models import (
    AuditEntry,
    CallAttempt,
    CallbackRequest,
    MessageKind,
    MessageStatus,
    VisitorMessage,
    utcnow,
)
from callback.models.message import IN_FLIGHT_MESSAGE_STATUSES
from callback.telephony import twilio_client
from workers.context import job_context

AUDIT_ACTION = "provider_records_deleted"
SWEEP_WINDOW = timedelta(days=7)


class ProviderRecordsPending(Exception):
    """Twilio did not delete a call yet (live, rate limited or down); RQ retries."""


def delete_provider_records(request_id: str) -> int:
    """DELETE each call and text of the ended request `request_id` at Twilio; count them."""
    with job_context(__name__, request_id) as job_log:
        session = db.session()
        request = session.get(CallbackRequest, uuid.UUID(request_id))
        if request is None or not request.status.is_terminal:
            job_log.info("no ended request to erase provider records for")
            return 0
        sids = _call_sids(session, request)
        client = twilio_client()
        for sid in sids:  # first: a text on its way holds up only its own deletion
            _delete(client.calls(sid).delete)
        if _texts_in_flight(session, request.id):
            raise ProviderRecordsPending("a text to the visitor is still on its way")
        message_sids = _message_sids(session, request.id)
        for sid in message_sids:
            _delete(client.messages(sid).delete)
        if not _already_audited(session, request.id):
            session.add(
                AuditEntry(
                    request_id=request.id,
                    action=AUDIT_ACTION,
                    actor="system",
                    details={"calls": len(sids), "messages": len(message_sids)},
                )
            )
            session.commit()
        job_log.info("provider records deleted: calls=%s messages=%s", len(sids), len(message_sids))
        return len(sids) + len(message_sids)


def _delete(delete: Callable[[], object]) -> None:
    try:
        delete()
    except TwilioRestException as exc:
        if exc.status != 404:  # a 404 means the record is already gone
            raise ProviderRecordsPending(f"twilio {exc.status}/{exc.code}") from None


def _texts_in_flight(session: Session, request_id: uuid.UUID) -> bool:
    """Return whether a text of the request will still be sent, or is in Twilio's queue.

    A "missed" text waiting for its send will reach Twilio. A confirmation or reminder of
    an ended request never will (its job cancels it), and a text whose create answer was
    lost has no SID to delete: waiting on either would wait forever.
    """
    query = select(VisitorMessage.id).where(
        VisitorMessage.request_id == request_id,
        or_(
            and_(
                VisitorMessage.status == MessageStatus.PENDING,
                VisitorMessage.kind == MessageKind.MISSED,
            ),
            and_(
                VisitorMessage.status.in_(IN_FLIGHT_MESSAGE_STATUSES),
                VisitorMessage.message_sid.is_not(None),
            ),
        ),
    )
    return session.scalars(query.limit(1)).first() is not None


def _message_sids(session: Session, request_id: uuid.UUID) -> list[str]:
    query = select(VisitorMessage.message_sid).where(
        VisitorMessage.request_id == request_id, VisitorMessage.message_sid.is_not(None)
    )
    return [sid for sid in session.scalars(query.order_by(VisitorMessage.id)) if sid]


def _call_sids(session: Session, request: CallbackRequest) -> list[str]:
    """Return the request's calls: its legs, and a phone-line caller's own call."""
    query = select(CallAttempt.call_sid).where(
        CallAttempt.request_id == request.id, CallAttempt.call_sid.is_not(None)
    )
    sids = [sid for sid in session.scalars(query.order_by(CallAttempt.id)) if sid]
    if request.line_call_sid and request.line_call_sid not in sids:
        sids.append(request.line_call_sid)  # bridged, it is also the visitor's leg
    return sids


def _already_audited(session: Session, request_id: uuid.UUID) -> bool:
    query = select(AuditEntry.id).where(
        AuditEntry.request_id == request_id, AuditEntry.action == AUDIT_ACTION
    )
    return session.scalars(query.limit(1)).first() is not None


def unerased_requests(session: Session) -> list[uuid.UUID]:
    """Return recently ended requests with calls or texts not yet deleted at Twilio."""
    audited = exists().where(
        AuditEntry.request_id == CallbackRequest.id, AuditEntry.action == AUDIT_ACTION
    )
    has_calls = exists().where(
        CallAttempt.request_id == CallbackRequest.id, CallAttempt.call_sid.is_not(None)
    )
    has_texts = exists().where(
        VisitorMessage.request_id == CallbackRequest.id, VisitorMessage.message_sid.is_not(None)
    )
    ids = session.scalars(
        select(CallbackRequest.id).where(
            CallbackRequest.status.in_(TERMINAL_STATUSES),
            CallbackRequest.ended_at >= utcnow() - SWEEP_WINDOW,
            or_(has_calls, has_texts),
            ~audited,
        )
    ).all()
    return list(ids)
