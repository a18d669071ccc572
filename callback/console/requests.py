"""The requests list for owners and managers: filters, pages, and a JSON copy for live updates.

Newest first, paged by keyset (created_at, id), so a page stays right while new requests
arrive. The visitor's number is only ever shown masked (`phones.masking.mask`), or as
"erased": never in full, in the page, the JSON or a log line.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import jsonify, render_template, request, url_for
from flask_babel import gettext
from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from callback import db
from callback.accounts import roles
from callback.console.access import account, for_roles
from callback.console.blueprint import bp
from callback.console.formatting import outcome_name, status_name, when
from callback.console.params import whole_id
from callback.lifecycle.states import RequestStatus
from callback.models import Account, CallbackRequest, Widget, utcnow
from callback.phones.masking import mask, mask_phone_shaped
from callback.texts import N_

PAGE_SIZE = 50
ERASED = N_("console.requests.erased")
BAD_DATE = N_("console.requests.bad_date")
DATE_OUT_OF_RANGE = N_("console.requests.date_out_of_range")
# Dates and cursors outside these years are refused: a day's bounds in a far-east or
# far-west zone, or the day after, would fall outside what datetime can hold.
FIRST_YEAR, LAST_YEAR = 1900, 9000
# "Needs attention": ended unanswered in the last day, or still waiting this long past its time.
ATTENTION_WINDOW = timedelta(days=1)
LATE = timedelta(minutes=5)
ENDED_UNANSWERED = (RequestStatus.FAILED, RequestStatus.EXPIRED)
WAITING = (RequestStatus.SCHEDULED, RequestStatus.QUEUED)
TONES = {
    RequestStatus.COMPLETED: "good",
    RequestStatus.FAILED: "bad",
    RequestStatus.EXPIRED: "bad",
    RequestStatus.CANCELED: "",
}


@dataclass
class Filters:
    """What the list is narrowed to, read from the query string; `errors` by field."""

    statuses: list[RequestStatus] = field(default_factory=list)
    widget: Widget | None = None
    date_from: date | None = None
    date_to: date | None = None
    attention: bool = False
    before: tuple[datetime, uuid.UUID] | None = None
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def zone(self) -> str:
        """Dates are days of the chosen widget's time zone, else of UTC."""
        return self.widget.timezone if self.widget is not None else "UTC"


@bp.get("/requests")
@for_roles("owner", "manager")
def requests() -> tuple[str, int, dict[str, str]]:
    mine = account()
    session = db.session()
    filters = read_filters(session, mine, request.args)
    rows, cursor = page(session, mine, filters)
    args: dict[str, Any] = request.args.to_dict(flat=False)
    args.pop("before", None)
    return (
        render_template(
            "console/requests/list.html",
            rows=rows,
            filters=filters,
            widgets=session.scalars(
                select(Widget).where(roles.widget_filter(mine)).order_by(Widget.name)
            ).all(),
            statuses=list(RequestStatus),
            typed=request.args,
            older_url=url_for("console.requests", **args, before=cursor) if cursor else None,
            newest_url=url_for("console.requests", **args) if filters.before else None,
            live_url=url_for("console.requests_json"),
        ),
        400 if filters.errors else 200,
        {"Cache-Control": "no-store"},
    )


@bp.get("/requests.json")
@for_roles("owner", "manager")
def requests_json() -> Response:
    mine = account()
    session = db.session()
    filters = read_filters(session, mine, request.args)
    rows, cursor = page(session, mine, filters)
    answer = jsonify({"rows": rows, "next": cursor, "errors": filters.errors})
    answer.status_code = 400 if filters.errors else 200
    answer.headers["Cache-Control"] = "no-store"
    return answer


def read_filters(session: Session, mine: Account, args: MultiDict[str, str]) -> Filters:
    """Read the filters from `args`; ignore what the account may not see."""
    filters = Filters()
    known = {status.value: status for status in RequestStatus}
    filters.statuses = [known[value] for value in args.getlist("status") if value in known]
    widget_id = whole_id(args.get("widget"))
    if widget_id is not None:
        filters.widget = session.scalar(
            select(Widget).where(Widget.id == widget_id, roles.widget_filter(mine))
        )
    filters.date_from = _date(args, "from", filters)
    filters.date_to = _date(args, "to", filters)
    filters.attention = args.get("attention") == "1"
    filters.before = _cursor(args.get("before", ""))
    return filters


def page(
    session: Session, mine: Account, filters: Filters
) -> tuple[list[dict[str, Any]], str | None]:
    """Return one page of rows, newest first, and the cursor of the next page (or None)."""
    found: Sequence[CallbackRequest] = session.scalars(
        _query(mine, filters).limit(PAGE_SIZE + 1)
    ).all()
    rows = [row(item) for item in found[:PAGE_SIZE]]
    if len(found) <= PAGE_SIZE:
        return rows, None
    last = found[PAGE_SIZE - 1]
    return rows, f"{last.created_at.isoformat()}_{last.id}"


def _query(mine: Account, filters: Filters) -> Select[Any]:
    query = select(CallbackRequest).where(roles.request_filter(mine))
    if filters.statuses:
        query = query.where(CallbackRequest.status.in_(filters.statuses))
    if filters.widget is not None:
        query = query.where(CallbackRequest.widget_id == filters.widget.id)
    if filters.date_from is not None:
        query = query.where(CallbackRequest.created_at >= _midnight(filters.date_from, filters))
    if filters.date_to is not None:
        day_after = filters.date_to + timedelta(days=1)
        query = query.where(CallbackRequest.created_at < _midnight(day_after, filters))
    if filters.attention:
        query = query.where(needs_attention(utcnow()))
    if filters.before is not None:
        created, request_id = filters.before
        query = query.where(
            or_(
                CallbackRequest.created_at < created,
                and_(CallbackRequest.created_at == created, CallbackRequest.id < request_id),
            )
        )
    return query.order_by(CallbackRequest.created_at.desc(), CallbackRequest.id.desc())


def needs_attention(now: datetime) -> ColumnElement[bool]:
    """Ended unanswered in the last day, or waiting well past the time it was due."""
    ended = func.coalesce(CallbackRequest.ended_at, CallbackRequest.updated_at)
    due = func.coalesce(CallbackRequest.scheduled_for, CallbackRequest.updated_at)
    return or_(
        and_(CallbackRequest.status.in_(ENDED_UNANSWERED), ended >= now - ATTENTION_WINDOW),
        and_(CallbackRequest.status.in_(WAITING), due < now - LATE),
    )


def row(item: CallbackRequest) -> dict[str, Any]:
    """One request as the list shows it, in its widget's time zone, its number masked."""
    zone = item.widget.timezone
    return {
        "id": str(item.id),
        "url": url_for("console.request_detail", request_id=item.id),
        "created": when(item.created_at, zone),
        "widget": item.widget.name,
        "number": masked_number(item),
        "country": item.country,
        "status": item.status.value,
        "status_name": status_name(item.status.value),
        "tone": TONES.get(item.status, "warn"),
        "scheduled_for": when(item.scheduled_for, zone),
        "outcome": mask_phone_shaped(item.outcome or ""),
        "outcome_name": mask_phone_shaped(outcome_name(item.outcome)),
        "round": item.round,
    }


def masked_number(item: CallbackRequest) -> str:
    """The visitor's number with most digits hidden, or "erased"."""
    return mask(item.phone) or gettext(ERASED)


def _date(args: MultiDict[str, str], name: str, filters: Filters) -> date | None:
    typed = args.get(name, "").strip()
    if not typed:
        return None
    try:
        day = date.fromisoformat(typed)
    except ValueError:
        filters.errors[name] = gettext(BAD_DATE)
        return None
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        filters.errors[name] = gettext(DATE_OUT_OF_RANGE).format(first=FIRST_YEAR, last=LAST_YEAR)
        return None
    return day


def _midnight(day: date, filters: Filters) -> datetime:
    return datetime.combine(day, time(), tzinfo=ZoneInfo(filters.zone))


def _cursor(typed: str) -> tuple[datetime, uuid.UUID] | None:
    """Read a page cursor ("<created_at ISO>_<id>"); a mangled one starts from the top."""
    created, _, request_id = typed.partition("_")
    try:
        moment = datetime.fromisoformat(created)
        if moment.tzinfo is None or not FIRST_YEAR <= moment.year <= LAST_YEAR:
            return None
        return moment, uuid.UUID(request_id)
    except (ValueError, OverflowError):
        return None
