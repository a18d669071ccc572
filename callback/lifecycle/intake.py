"""Taking a callback request: validate, store in one transaction; its first dial follows."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import cast
from urllib.parse import parse_qsl, urlsplit, urlunsplit
from zoneinfo import ZoneInfo

from sqlalchemy import Insert, Table, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from callback import after_commit, db, metrics
from callback.blocklist import decoys
from callback.blocklist.matching import is_blocked
from callback.db import UPSERT_INSERTS
from callback.errors import Invalid, NotFound, Refused, refusal
from callback.integrations import events
from callback.lifecycle import sms
from callback.lifecycle.states import PENDING_STATUSES
from callback.lifecycle.work import FirstDial
from callback.models import BlockKind, CallbackRequest, RequestStatus, Widget, utcnow
from callback.phones.policy import PhoneRejected, parse_visitor_number
from callback.schedule.hours import widget_schedule
from callback.schedule.slots import slot_taking
from callback.security import caps, counters
from callback.texts.messages import message, request_language
from callback.texts.plain import has_control_characters
from callback.widgets.cache import forget_widget

log = logging.getLogger(__name__)
TRUE_WORDS = {"true", "1", "yes", "on"}
MAX_LOCALE_LENGTH = 16
# A pending request that ends between our INSERT and our look at it is retried; a
# number whose requests keep doing that is not worth a loop.
INSERT_TRIES = 3


MAX_UTM_LENGTH = 200


@dataclass(frozen=True)
class Accepted:
    request_id: uuid.UUID
    status: RequestStatus
    scheduled_for: datetime | None


@dataclass(frozen=True)
class AlreadyRequested:
    """The number has a pending request here. Whoever typed it learns nothing more about
    it: not its id, time or status, and gets no way to cancel it."""

    locale: str


def submit(
    widget: Widget, form: Mapping[str, object], ip: str | None = None
) -> Accepted | AlreadyRequested:
    """Validate a visitor's submission and store it; say so if the number has one pending.

    A blocked submission (number, prefix or address `ip` on the blocklist) is answered
    the same, from a decoy: nothing is stored or dialled (callback/blocklist/decoys.py).
    """
    locale = _locale(form.get("locale")) or request_language(widget.language)
    counters.check_widget(widget, locale)
    if str(form.get("consent", "")).strip().lower() not in TRUE_WORDS:
        raise Invalid("consent_required", message("consent_required", locale), "consent")
    try:
        number = parse_visitor_number(
            str(form.get("phone") or ""),
            widget.default_region,
            widget.allowed_countries or [widget.default_region],
            widget.allowed_number_types,
            locale,
        )
    except PhoneRejected as rejected:
        raise Invalid(rejected.code, rejected.message, rejected.field) from None
    counters.check_number(number.e164, locale)
    preferred = _preferred_time(form.get("preferred_time"), widget.timezone, locale)

    session = db.session()
    # The blocklist is read after the refusals about the submission itself (a blocked
    # visitor gets those too); the refusals below are answered alike to blocked and
    # accepted ones, so a blocked visitor is past the cap refused as any other, or the
    # 429 would tell the blocked from the rest.
    try:
        scheduled_for = _when_to_call(session, widget, preferred, locale)
        # Last check: only a request about to be stored counts.
        caps.reserve_call(widget, locale)
    except Refused:
        # A visitor asking again is shown their pending request, even when the slot is
        # now taken (by that request) or today's cap is reached.
        pending = (
            decoys.has_pending(widget, number.e164)
            if is_blocked(session, widget, number.e164, ip) is not None
            else _has_pending(session, widget.id, number.e164)
        )
        if not pending:
            raise
        return AlreadyRequested(locale)
    # Read after the cap's Redis round trip, next to the INSERT: on SQLite the first
    # statement takes the write lock (BEGIN IMMEDIATE), and every other submission
    # waits while it is held.
    blocked = is_blocked(session, widget, number.e164, ip)
    if blocked is not None:
        session.commit()  # a read only: the lock is not held over the decoy's Redis work
        caps.release_call(widget)  # a decoy costs no call, so it keeps no reservation
        return _decoy(widget, number.e164, blocked, scheduled_for, locale)
    request_id = uuid.uuid4()
    page_url = _page_url(form.get("page_url"), widget.allowed_origins)
    status = RequestStatus.SCHEDULED if scheduled_for else RequestStatus.QUEUED
    now = utcnow()
    values: dict[str, object] = dict(
        id=request_id,
        widget_id=widget.id,
        phone=number.e164,
        country=number.country,
        number_type=number.number_type,
        page_url=page_url,
        **(_campaign(form.get("page_url")) if page_url else {}),
        locale=locale,
        consent_version=widget.consent_version,
        status=status,
        round=1,
        scheduled_for=scheduled_for,
        wanted_at=scheduled_for or now,
        created_at=now,
        updated_at=now,
    )
    for _ in range(INSERT_TRIES):
        if _insert_unless_pending(session, widget, **values):
            after_commit.add(session, FirstDial(request_id, scheduled_for))
            events.record(session, widget, request_id, events.REQUESTED, number.e164)
            if scheduled_for is not None:
                events.record(session, widget, request_id, events.SCHEDULED, number.e164)
                sms.scheduled(session, widget, request_id, scheduled_for)
            session.commit()
            return Accepted(request_id, status, scheduled_for)
        if _has_pending(session, widget.id, number.e164):
            caps.release_call(widget)
            return AlreadyRequested(locale)
        # The pending request ended between the two statements: this one may go in now.
    raise RuntimeError("the number's pending request kept changing; nothing was stored")


def _decoy(
    widget: Widget,
    e164: str,
    blocked: BlockKind,
    scheduled_for: datetime | None,
    locale: str,
) -> Accepted | AlreadyRequested:
    """Answer a blocked submission as an accepted one; store and dial nothing."""
    metrics.submission_blocked(blocked.value)
    log.info("blocked submission: widget %s, %s entry", widget.id, blocked.value)
    if decoys.has_pending(widget, e164):
        return AlreadyRequested(locale)
    status = RequestStatus.SCHEDULED if scheduled_for else RequestStatus.QUEUED
    return Accepted(
        decoys.make_decoy(widget, e164, status, scheduled_for, locale), status, scheduled_for
    )


def _insert_unless_pending(session: Session, widget: Widget, **values: object) -> bool:
    """INSERT the request unless the number has a pending one there; True if stored.

    The partial unique index on pending requests decides, in the same statement, so
    racing submissions of one number store one request.
    """
    statement = _insert_statement(session.get_bind().dialect.name)
    try:
        return session.execute(statement, values).first() is not None
    except IntegrityError:
        # The widget was deleted after this process cached it (callback/widgets/cache.py).
        session.rollback()
        caps.release_call(widget)
        forget_widget(widget.key)
        raise refusal(NotFound, "unknown_widget") from None


@cache
def _insert_statement(dialect: str) -> Insert:
    # Built once: building it per request (values() and all) cost as much as sending it.
    table = cast(Table, CallbackRequest.__table__)
    # RETURNING, not rowcount: drivers may report -1 for a row count they did not fetch.
    return UPSERT_INSERTS[dialect](table).on_conflict_do_nothing().returning(table.c.id)


def _has_pending(session: Session, widget_id: int, e164: str) -> bool:
    found = session.scalar(
        select(CallbackRequest.id).where(
            CallbackRequest.widget_id == widget_id,
            CallbackRequest.phone == e164,
            CallbackRequest.status.in_(PENDING_STATUSES),
        )
    )
    return found is not None


def _when_to_call(
    session: Session, widget: Widget, preferred: datetime | None, locale: str | None
) -> datetime | None:
    """Return when to ring: None for now, the visitor's slot, or the next opening."""
    now = utcnow()
    if preferred is not None:
        if slot_taking(session, widget, preferred, now) is None:
            code = "slot_unavailable"
            raise Invalid(code, message(code, locale), "preferred_time")
        return preferred
    schedule = widget_schedule(widget)
    if schedule.is_open(now):
        return None
    opening = schedule.next_opening(now)
    if opening is None:
        raise Invalid("no_opening_soon", message("no_opening_soon", locale))
    return opening


def _locale(value: object) -> str | None:
    text = str(value or "").strip()
    if not text or len(text) > MAX_LOCALE_LENGTH:
        return None
    return text if all(ch.isalnum() or ch in "-_" for ch in text) else None


def _page_url(value: object, allowed_origins: list[str]) -> str | None:
    """Keep the page's address without query or fragment, which may carry personal data.

    Only a page on one of the widget's own origins is kept: any other is what the sender
    says, and would be read out to the agent as the page the visitor came from.
    """
    text = str(value or "").strip()
    parts = urlsplit(text)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        return None
    if f"{parts.scheme}://{parts.netloc}" not in allowed_origins:
        return None
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))[:2048]


def _campaign(page_url: object) -> dict[str, str]:
    """Return the page's utm_* values (the campaign), each plain and bounded; nothing else.

    Any other query parameter may carry personal data (an e-mail, a session), so only
    these five names are read, and a value with control characters is left out.
    """
    query = urlsplit(str(page_url or "")).query
    kept: dict[str, str] = {}
    for name, value in parse_qsl(query, keep_blank_values=False):
        text = value.strip()[:MAX_UTM_LENGTH]
        plain = text and not has_control_characters(text)
        if name in events.UTM_FIELDS and name not in kept and plain:
            kept[name] = text
    return kept


def _preferred_time(value: object, timezone: str, locale: str | None) -> datetime | None:
    text = str(value or "").strip()
    if not text:
        return None
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        code = "invalid_preferred_time"
        raise Invalid(code, message(code, locale), "preferred_time") from None
    if when.tzinfo is None:
        # A time typed without an offset is the widget's local time, as shown to the visitor.
        when = when.replace(tzinfo=ZoneInfo(timezone))
    if when <= utcnow():
        code = "preferred_time_in_past"
        raise Invalid(code, message(code, locale), "preferred_time")
    return when.astimezone(UTC)
