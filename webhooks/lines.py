"""Twilio-facing routes of the phone line: the caller's call, from arriving to leaving.

The widget's Voice URL puts the caller in a queue of their own (callback.lines.order
.queue_name); Twilio plays the wait URL to them in a loop until they take a callback
(<Leave>), hang up, or the agent who pressed 1 takes them out with <Dial><Queue>.
"""

from __future__ import annotations

import uuid

from flask import Blueprint, Response, abort, current_app
from flask import request as http_request

from callback import db
from callback.lines import calls, order
from callback.models import CallbackRequest, RequestStatus, utcnow
from callback.schedule.hours import widget_schedule
from callback.telephony import public_url
from callback.texts.voice import spoken_opening
from callback.widgets.cache import find_widget
from webhooks import twiml
from webhooks.signature import twilio_signed

bp = Blueprint("twilio_line", __name__, url_prefix="/twilio")

# Being connected to the agent who pressed 1: the caller only holds.
CONNECTING = (RequestStatus.CALLING_VISITOR, RequestStatus.CONNECTED)


def _xml(body: str) -> Response:
    return Response(body, mimetype="text/xml")


def _line_url(request: CallbackRequest, step: str) -> str:
    return public_url(f"/twilio/lines/{request.id}/{step}")


def _caller(request_id: uuid.UUID) -> CallbackRequest:
    request = db.session().get(CallbackRequest, request_id)
    if request is None or request.channel != order.PHONE:
        abort(404)
    return request


@bp.post("/widgets/<key>/voice")
@twilio_signed
def call_in(key: str) -> Response:
    """A call to the company's number: greet the caller and put them in line."""
    widget = find_widget(key)
    if widget is None or not widget.line_enabled:
        return _xml(twiml.goodbye(widget.language if widget else "en", "line_closed"))
    call_sid = http_request.form.get("CallSid", "")[:34]
    if not call_sid:
        abort(400)
    request = calls.arrive(db.session(), widget, call_sid, http_request.form.get("From", ""))
    if request.status.is_terminal:  # Twilio asked again for a call that has ended
        return _xml(twiml.goodbye(widget.language, "line_ended"))
    return _xml(
        twiml.line_welcome(
            widget.language,
            widget.name,
            order.queue_name(request),
            _line_url(request, "wait"),
            _line_url(request, "left"),
        )
    )


@bp.post("/lines/<uuid:request_id>/wait")
@twilio_signed
def wait(request_id: uuid.UUID) -> Response:
    """What a waiting caller hears, again and again: their place, the wait, the offer."""
    session = db.session()
    request = _caller(request_id)
    language = request.widget.language
    if request.status.is_terminal or not request.on_line:
        return _xml(twiml.line_leave(language, "line_ended"))
    if request.status in CONNECTING:
        return _xml(twiml.line_hold())
    hours = max(1, round(current_app.config["RETENTION_MAX_HOURS"]))
    widget = request.widget
    now = utcnow()
    schedule = widget_schedule(widget)
    if not schedule.is_open(now):  # the callback is offered at once, for the opening
        opening = schedule.next_opening(now)
        # No opening in sight (closed for the next two weeks): no callback to promise.
        calls.waiting(session, request, offer=opening is not None)
        spoken = spoken_opening(opening, widget.timezone, language) if opening else None
        choice_url = _line_url(request, "choice") if opening else None
        return _xml(
            twiml.line_after_hours(language, spoken, choice_url, hours, widget.line_music_url)
        )
    place = order.position(session, request)
    minutes = order.wait_minutes(session, request, place)
    waited = _seconds(http_request.form.get("QueueTime"))
    offer = waited >= widget.line_offer_seconds
    calls.waiting(session, request, offer)
    offer_url = _line_url(request, "choice") if offer else None
    return _xml(twiml.line_wait(language, place, minutes, offer_url, hours, widget.line_music_url))


@bp.post("/lines/<uuid:request_id>/choice")
@twilio_signed
def choice(request_id: uuid.UUID) -> Response:
    """The key pressed after the offer: 1 this number, 2 another, anything else: wait."""
    request = _caller(request_id)
    language = request.widget.language
    digits = http_request.form.get("Digits", "")[:1]
    if digits == "1":
        return _taken(request, http_request.form.get("From", ""), from_caller_id=True)
    if digits == "2":
        return _xml(
            twiml.line_enter_number(
                language, _line_url(request, "number"), _line_url(request, "wait")
            )
        )
    return _xml(twiml.line_hold(1))


@bp.post("/lines/<uuid:request_id>/number")
@twilio_signed
def typed_number(request_id: uuid.UUID) -> Response:
    """The number the caller typed to be called back on."""
    request = _caller(request_id)
    digits = http_request.form.get("Digits", "").strip("#")[:32]
    return _taken(request, digits, from_caller_id=False)


def _taken(request: CallbackRequest, number: str, from_caller_id: bool) -> Response:
    language = request.widget.language
    result = calls.take_callback(db.session(), request, number, from_caller_id)
    if result == calls.Taken.TAKEN:
        last_digits = " ".join((request.phone or "")[-2:])
        return _xml(twiml.line_leave(language, "line_taken", last_digits=last_digits))
    if result == calls.Taken.CONNECTING:
        return _xml(twiml.line_hold())
    reason = {
        calls.Taken.WITHHELD: "line_withheld",
        calls.Taken.REFUSED: "line_refused",
        calls.Taken.ALREADY: "line_already",
    }[result]
    return _xml(twiml.line_back_in_line(language, reason, _line_url(request, "wait")))


@bp.post("/lines/<uuid:request_id>/left")
@twilio_signed
def left(request_id: uuid.UUID) -> Response:
    """The caller left the queue: bridged, took a callback, hung up, or we ended it."""
    request = _caller(request_id)
    result = http_request.form.get("QueueResult", "")[:32]
    calls.left(db.session(), request, result, http_request.form.get("QueueSid", ""))
    return _xml(twiml.hangup())  # whatever was to be said, the wait URL said it


@bp.post("/lines/<uuid:request_id>/dequeued")
@twilio_signed
def dequeued(request_id: uuid.UUID) -> Response:
    """Played to the caller as the agent takes them from the queue, before the bridge."""
    request = _caller(request_id)
    calls.dequeued(db.session(), request, http_request.form.get("CallSid", ""))
    return _xml(twiml.line_connecting(request.widget.language))


def _seconds(value: str | None) -> int:
    try:
        return max(0, int(value or 0))
    except ValueError:
        return 0
