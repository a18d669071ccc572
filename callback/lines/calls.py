"""The caller's side of the line: arriving, taking a callback, leaving.

None of this stores the number a caller rings from while they wait: it is read from
Twilio's request when they take a callback on it, and then kept as any visitor's number
(in `callback_requests.phone` only, erased when the request ends).
"""

from __future__ import annotations

import enum
import logging
import uuid
from datetime import datetime

import phonenumbers
from phonenumbers import NumberParseException
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from callback import after_commit
from callback.blocklist.matching import is_blocked
from callback.errors import Refused
from callback.lifecycle.legs import apply_status
from callback.lifecycle.requests import finish, withdraw
from callback.lifecycle.states import FINAL_CALL_STATUSES, AttemptStatus, RequestStatus
from callback.lifecycle.work import DeleteLineQueue, FirstDial
from callback.lines.order import PHONE
from callback.models import AuditEntry, CallAttempt, CallbackRequest, Leg, Widget, utcnow
from callback.phones.policy import NUMBER_TYPE_NAMES, PhoneRejected, parse_visitor_number
from callback.reports.facts import LINE_ABANDONED
from callback.schedule.hours import widget_schedule
from callback.security import caps, counters

log = logging.getLogger(__name__)

# The version of the consent notice spoken with the offer (texts voice.line_offer):
# recorded as the request's consent_version when a caller takes a callback. Change it
# whenever the spoken words change.
SPOKEN_NOTICE_VERSION = "line-2026-12"
# The same for the offer made while the widget is closed (voice.line_after_hours_offer),
# whose retention is counted from the opening.
SPOKEN_AFTER_HOURS_NOTICE_VERSION = "line-after-hours-2026-12"
# What Twilio sends as From when the caller withholds their number.
WITHHELD = frozenset({"", "anonymous", "restricted", "unknown", "private", "+266696687"})
# A callback can be taken while the caller still waits for an agent; not once an agent
# has accepted them (they are being connected).
WAITING = (RequestStatus.QUEUED, RequestStatus.SCHEDULED, RequestStatus.CALLING_AGENT)
ENDED_CALL = frozenset(status.value for status in FINAL_CALL_STATUSES)


class Taken(enum.StrEnum):
    """What became of a caller's wish to be called back."""

    TAKEN = "taken"
    WITHHELD = "withheld"  # no number to call back
    REFUSED = "refused"  # a number the widget's rules refuse
    ALREADY = "already"  # that number already waits for a callback here
    CONNECTING = "connecting"  # too late: an agent is taking the call


def arrive(session: Session, widget: Widget, call_sid: str, caller: str) -> CallbackRequest:
    """Put the caller of `call_sid` in line (once, however often Twilio asks); commit.

    Only the country and type of the caller's number are kept, as for any request.
    """
    existing = _by_call(session, call_sid)
    if existing is not None:
        return existing
    now = utcnow()
    country, number_type = _describe(caller, widget.default_region)
    request = CallbackRequest(
        id=uuid.uuid4(),
        widget_id=widget.id,
        phone=None,
        country=country,
        number_type=number_type,
        locale=widget.language,
        consent_version="",  # none yet: the spoken notice comes with the offer
        status=RequestStatus.QUEUED,
        round=1,
        wanted_at=now,
        created_at=now,
        updated_at=now,
        channel=PHONE,
        line_call_sid=call_sid,
        on_line=True,
    )
    session.add(request)
    try:
        session.flush()
    except IntegrityError:  # the same call, put in line by a concurrent request
        session.rollback()
        return session.scalars(
            select(CallbackRequest).where(CallbackRequest.line_call_sid == call_sid)
        ).one()
    after_commit.add(session, FirstDial(request.id))
    session.commit()
    log.info("caller in line: request %s, widget %s", request.id, widget.id)
    return request


def waiting(session: Session, request: CallbackRequest, offer: bool) -> None:
    """Note that the caller is still waiting, and whether they heard the callback offer."""
    now = utcnow()
    request.line_seen_at = now
    if offer and request.line_offered_at is None:
        request.line_offered_at = now  # the first offer counts
    session.commit()


def take_callback(
    session: Session, request: CallbackRequest, typed: str, from_caller_id: bool
) -> Taken:
    """Turn the waiting caller into a callback to `typed`, keeping their place; commit.

    The number passes the same rules as the form's: the widget's countries and number
    types, the per-number rate limit, the blocklist and the daily cap. The caller heard
    the spoken notice; its version is recorded in place of the form's.
    """
    widget = request.widget
    if not request.on_line or request.status not in WAITING:
        return Taken.CONNECTING
    if from_caller_id and typed.strip().lower() in WITHHELD:
        return Taken.WITHHELD
    try:
        number = parse_visitor_number(
            typed,
            widget.default_region,
            widget.allowed_countries or [widget.default_region],
            widget.allowed_number_types,
            widget.language,
        )
        counters.check_number(number.e164, widget.language)
    except (PhoneRejected, Refused):
        return Taken.REFUSED
    if is_blocked(session, widget, number.e164, None) is not None:
        log.info("line callback refused: widget %s, blocked number", widget.id)
        return Taken.REFUSED
    try:
        caps.reserve_call(widget, widget.language)
    except Refused:
        return Taken.REFUSED
    now = utcnow()
    # Taken while the widget is closed, it is for the next opening, as the form's: its
    # maximum wait and the retention cap count from then, as the after-hours offer says.
    opening = _opening_after(widget, now)
    notice = SPOKEN_NOTICE_VERSION if opening is None else SPOKEN_AFTER_HOURS_NOTICE_VERSION
    values = dict(
        wanted_at=opening or request.wanted_at,
        phone=number.e164,
        country=number.country,
        number_type=number.number_type,
        consent_version=notice,
        on_line=False,
        line_callback_at=now,
        line_offered_at=request.line_offered_at or now,
        updated_at=now,
    )
    statement = (
        update(CallbackRequest)
        .where(
            CallbackRequest.id == request.id,
            CallbackRequest.on_line.is_(True),
            CallbackRequest.status.in_(WAITING),
        )
        .values(values)
        .returning(CallbackRequest.id)
    )
    try:
        won = session.execute(statement, execution_options={"synchronize_session": False}).first()
    except IntegrityError:  # one pending request per number and widget
        session.rollback()
        caps.release_call(widget)
        return Taken.ALREADY
    if won is None:  # an agent accepted the caller meanwhile
        session.rollback()
        caps.release_call(widget)
        return Taken.CONNECTING
    session.add(
        AuditEntry(
            request_id=request.id,
            action="line_callback_taken",
            actor="caller",
            details={"consent_version": notice, "own_number": from_caller_id},
        )
    )
    session.commit()
    session.refresh(request)
    return Taken.TAKEN


def left(session: Session, request: CallbackRequest, queue_result: str, queue_sid: str) -> None:
    """Settle the caller's leaving the queue (Twilio's QueueResult); commit.

    Hanging up while waiting ends the request as abandoned, and any agent being rung for
    it is hung up. A caller who took a callback left with <Leave>: nothing to do. Their
    queue, empty now, is deleted at Twilio after the commit.
    """
    if queue_sid:
        after_commit.add(session, DeleteLineQueue(request.id, queue_sid[:34]))
    ended_here = queue_result != "bridged" and request.on_line and not request.status.is_terminal
    if ended_here and queue_result == "hangup":
        withdraw(session, request, "caller", LINE_ABANDONED)
    elif ended_here:  # ended by Twilio (error, queue full, shut down) or by a redirect of ours
        finish(session, request, RequestStatus.FAILED, f"line_{queue_result or 'left'}"[:64])
    session.commit()


def still_there(session: Session, request: CallbackRequest, call_status: str) -> bool:
    """Settle a caller not heard of for a while by their call's status at Twilio.

    Returns False when the call had ended: the caller hung up in line, unheard.
    """
    if call_status not in ENDED_CALL:
        return True
    left(session, request, "hangup", "")
    return False


def dequeued(session: Session, request: CallbackRequest, call_sid: str) -> None:
    """The accepting agent took the caller from the queue: their leg is now answered."""
    leg = session.scalars(
        select(CallAttempt)
        .where(
            CallAttempt.request_id == request.id,
            CallAttempt.leg == Leg.VISITOR,
            CallAttempt.round == request.round,
        )
        .order_by(CallAttempt.attempt_number.desc())
        .limit(1)
    ).first()
    request.on_line = False
    if leg is not None:
        if leg.call_sid is None and call_sid:
            leg.call_sid = call_sid[:34]
        apply_status(session, leg, AttemptStatus.IN_PROGRESS.value)
    session.commit()


def _opening_after(widget: Widget, now: datetime) -> datetime | None:
    """The widget's next opening if it is closed at `now`; None if open (or never again)."""
    schedule = widget_schedule(widget)
    return None if schedule.is_open(now) else schedule.next_opening(now)


def _by_call(session: Session, call_sid: str) -> CallbackRequest | None:
    return session.scalars(
        select(CallbackRequest).where(CallbackRequest.line_call_sid == call_sid)
    ).one_or_none()


def _describe(caller: str, region: str) -> tuple[str, str]:
    """Return the country and type of the caller's number (never the number itself)."""
    try:
        number = phonenumbers.parse(caller, region.upper())
    except NumberParseException:
        return "ZZ", "UNKNOWN"
    if not phonenumbers.is_valid_number(number):
        return "ZZ", "UNKNOWN"
    country = phonenumbers.region_code_for_number(number) or "ZZ"
    return country, NUMBER_TYPE_NAMES.get(phonenumbers.number_type(number), "UNKNOWN")
