"""Twilio-facing routes: TwiML for the agent leg, status callbacks for both legs and texts."""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app
from flask import request as http_request
from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import lazyload

from callback import db
from callback.lifecycle.legs import accept, apply_status
from callback.lifecycle.sms_moves import move_message, twilio_status
from callback.lines.order import PHONE, queue_name
from callback.models import CallAttempt, CallbackRequest, RequestStatus, VisitorMessage
from callback.telephony import public_url, small_int
from callback.texts.voice import describe_page
from webhooks import twiml
from webhooks.events import record_event
from webhooks.signature import twilio_signed

bp = Blueprint("twilio", __name__, url_prefix="/twilio")


def _xml(body: str) -> Response:
    return Response(body, mimetype="text/xml")


# One query for both rows (every webhook needs them); later gets hit the identity map.
# Built once: building and keying the statement per request cost more than running it.
ATTEMPT_WITH_REQUEST = (
    select(CallAttempt, CallbackRequest)
    .join(CallbackRequest, CallbackRequest.id == CallAttempt.request_id)
    .where(CallAttempt.id == bindparam("attempt_id"))
)
# Webhooks that write lock the request in the query that loads it, so that each takes
# its locks in one order: the request, then its legs. Left to the flush, a key press
# locked the leg (its digits) before the request, and a late status callback of the same
# leg the request (agent_ringing_at) before the leg: under load they deadlocked, and the
# agent heard an application error. NO KEY UPDATE: a new leg's insert goes on meanwhile.
ATTEMPT_WITH_REQUEST_LOCKED = ATTEMPT_WITH_REQUEST.with_for_update(
    of=CallbackRequest, key_share=True
)
# Status callbacks rarely need the widget (only a leg's end may): it is read when used.
STATUS_ATTEMPT_WITH_REQUEST_LOCKED = ATTEMPT_WITH_REQUEST_LOCKED.options(
    lazyload(CallbackRequest.widget)
)


def _attempt(
    attempt_id: int, statement: Select[CallAttempt, CallbackRequest] = ATTEMPT_WITH_REQUEST
) -> tuple[CallAttempt, CallbackRequest]:
    found = db.session().execute(statement, {"attempt_id": attempt_id}).first()
    if found is None:
        abort(404)
    return found[0], found[1]


def _is_current(attempt: CallAttempt, request: CallbackRequest) -> bool:
    return attempt.round == request.round and not request.status.is_terminal


@bp.post("/attempts/<int:attempt_id>/whisper")
@twilio_signed
def whisper(attempt_id: int) -> Response:
    attempt, request = _attempt(attempt_id)
    language = request.widget.language
    if not _is_current(attempt, request) or request.status != RequestStatus.CALLING_AGENT:
        return _xml(twiml.goodbye(language, "taken"))
    key_url = public_url(f"/twilio/attempts/{attempt.id}/key")
    if request.channel == PHONE:
        kind = "whisper_line" if request.on_line else "whisper_line_callback"
        return _xml(twiml.whisper_line(language, kind, request.widget.name, key_url))
    site, page = describe_page(request.page_url, language)
    return _xml(twiml.whisper(language, site or request.widget.name, page, key_url))


@bp.post("/attempts/<int:attempt_id>/key")
@twilio_signed
def key_pressed(attempt_id: int) -> Response:
    session = db.session()
    attempt, request = _attempt(attempt_id, ATTEMPT_WITH_REQUEST_LOCKED)
    language = request.widget.language
    attempt.digits = http_request.form.get("Digits", "")[:8]
    if attempt.digits != "1":
        session.commit()
        return _xml(twiml.goodbye(language, "passed"))
    visitor_leg = accept(session, request, attempt)
    if visitor_leg is None:
        session.commit()
        return _xml(twiml.goodbye(language, "taken"))
    session.commit()
    if request.on_line:  # the caller waits in their queue: take them out of it
        return _xml(
            twiml.line_bridge(
                language,
                queue_name(request),
                public_url(f"/twilio/lines/{request.id}/dequeued"),
                public_url(f"/twilio/attempts/{visitor_leg.id}/dial-result"),
            )
        )
    caller_id = request.widget.caller_id or current_app.config.get("TWILIO_FROM_NUMBER") or ""
    return _xml(
        twiml.bridge(
            language,
            request.phone or "",
            caller_id,
            public_url(f"/twilio/attempts/{visitor_leg.id}/dial-result"),
            public_url(f"/twilio/attempts/{visitor_leg.id}/status"),
        )
    )


@bp.post("/attempts/<int:attempt_id>/dial-result")
@twilio_signed
def dial_result(attempt_id: int) -> Response:
    session = db.session()
    visitor_leg, request = _attempt(attempt_id, ATTEMPT_WITH_REQUEST_LOCKED)
    status = http_request.form.get("DialCallStatus", "")
    if http_request.form.get("DialCallSid") and visitor_leg.call_sid is None:
        visitor_leg.call_sid = http_request.form["DialCallSid"][:34]
    # The Dial action reports the visitor leg's end just as its status callback does;
    # whichever arrives first applies it, the other changes nothing.
    duration = small_int(http_request.form.get("DialCallDuration"))
    apply_status(session, visitor_leg, status, duration)
    session.commit()
    language = request.widget.language
    if status == "completed":
        return _xml(twiml.empty())
    return _xml(twiml.goodbye(language, "visitor_unavailable"))


@bp.post("/attempts/<int:attempt_id>/status")
@twilio_signed
def call_status(attempt_id: int) -> tuple[str, int]:
    session = db.session()
    attempt, _request = _attempt(attempt_id, STATUS_ATTEMPT_WITH_REQUEST_LOCKED)
    if not record_event(session, attempt, http_request.form):
        return "", 204  # a duplicate: already applied
    if attempt.call_sid is None and http_request.form.get("CallSid"):
        attempt.call_sid = http_request.form["CallSid"][:34]
    apply_status(
        session,
        attempt,
        http_request.form.get("CallStatus", ""),
        small_int(http_request.form.get("CallDuration")),
        http_request.form.get("AnsweredBy"),
    )
    session.commit()
    return "", 204


@bp.post("/messages/<int:message_id>/status")
@twilio_signed
def message_status(message_id: int) -> tuple[str, int]:
    """Record how far a visitor message got (queued, sent, delivered...), forward only."""
    session = db.session()
    message = session.get(VisitorMessage, message_id)
    if message is None:
        abort(404)
    status = twilio_status(http_request.form.get("MessageStatus"))
    sid = http_request.form.get("MessageSid", "")[:34] or None
    if status is not None:
        code = small_int(http_request.form.get("ErrorCode"))
        move_message(session, message, status, {"error_code": code} if code else None)
    if message.message_sid is None and sid:
        message.message_sid = sid  # the create's answer was lost, or is still on its way
    session.commit()
    return "", 204
