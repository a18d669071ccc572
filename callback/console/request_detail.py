"""One request for owners and managers: its facts, its history, and what staff may do to it.

The actions are `lifecycle.staff`'s (call now, retry now, reschedule, cancel), each a POST
form; a refusal is shown on the page in the reader's language (409 for the request's
state, 400 for a bad time or a missing confirmation), a success as a flash message.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from sqlalchemy import select
from werkzeug.wrappers import Response

from callback import db
from callback.accounts import audit, roles
from callback.console import request_history
from callback.console.access import account, for_roles
from callback.console.blueprint import bp
from callback.console.formatting import outcome_name, status_name, when
from callback.console.requests import masked_number
from callback.errors import Conflict, Invalid, Refused
from callback.lifecycle import staff
from callback.lifecycle.states import RequestStatus
from callback.models import CallbackRequest, utcnow
from callback.phones.masking import mask_phone_shaped
from callback.texts import N_

LOCAL_INPUT = "%Y-%m-%dT%H:%M"
# The domain's refusal codes in the reader's words; an unknown code shows its message.
REFUSALS = {
    "not_scheduled": N_("console.request.refused.not_scheduled"),
    "not_retryable": N_("console.request.refused.not_retryable"),
    "number_erased": N_("console.request.refused.number_erased"),
    "ended_request": N_("console.request.refused.ended_request"),
    "not_reschedulable": N_("console.request.refused.not_reschedulable"),
    "already_ended": N_("console.request.refused.already_ended"),
    "time_without_zone": N_("console.request.refused.time_without_zone"),
    "time_in_past": N_("console.request.refused.time_in_past"),
    "time_past_deadline": N_("console.request.refused.time_past_deadline"),
    "time_unreadable": N_("console.request.refused.time_unreadable"),
    "time_not_in_zone": N_("console.request.refused.time_not_in_zone"),
    "confirm_cancel": N_("console.request.refused.confirm_cancel"),
}
DONE = {
    "call_now": N_("console.request.done.call_now"),
    "retry": N_("console.request.done.retry"),
    "reschedule": N_("console.request.done.reschedule"),
    "cancel": N_("console.request.done.cancel"),
}
Action = Callable[[CallbackRequest, str], None]


@bp.get("/requests/<uuid:request_id>")
@for_roles("owner", "manager")
def request_detail(request_id: uuid.UUID) -> tuple[str, int, dict[str, str]]:
    return _page(_visible(request_id))


@bp.post("/requests/<uuid:request_id>/call-now")
@for_roles("owner", "manager")
def request_call_now(request_id: uuid.UUID) -> Response | tuple[str, int, dict[str, str]]:
    return _act(
        request_id, "call_now", lambda item, actor: staff.call_now(db.session(), item, actor)
    )


@bp.post("/requests/<uuid:request_id>/retry")
@for_roles("owner", "manager")
def request_retry(request_id: uuid.UUID) -> Response | tuple[str, int, dict[str, str]]:
    return _act(request_id, "retry", lambda item, actor: staff.retry(db.session(), item, actor))


@bp.post("/requests/<uuid:request_id>/reschedule")
@for_roles("owner", "manager")
def request_reschedule(request_id: uuid.UUID) -> Response | tuple[str, int, dict[str, str]]:
    def move(item: CallbackRequest, actor: str) -> None:
        staff.reschedule(db.session(), item, _local_time(item, request.form.get("when", "")), actor)

    return _act(request_id, "reschedule", move)


@bp.post("/requests/<uuid:request_id>/cancel")
@for_roles("owner", "manager")
def request_cancel(request_id: uuid.UUID) -> Response | tuple[str, int, dict[str, str]]:
    def end(item: CallbackRequest, actor: str) -> None:
        if request.form.get("confirm") != "yes":
            raise Invalid(
                "confirm_cancel", "Confirm that the request is to be canceled.", "confirm"
            )
        staff.cancel(db.session(), item, actor)

    return _act(request_id, "cancel", end)


def _visible(request_id: uuid.UUID) -> CallbackRequest:
    """The request, if the signed-in account may see it; 404 alike for unknown and others'."""
    found = db.session().scalar(
        select(CallbackRequest).where(
            CallbackRequest.id == request_id, roles.request_filter(account())
        )
    )
    if found is None:
        abort(404)
    return found


def _act(
    request_id: uuid.UUID, name: str, action: Action
) -> Response | tuple[str, int, dict[str, str]]:
    item = _visible(request_id)
    try:
        action(item, audit.actor_of(account()))
    except Refused as refused:
        db.session().rollback()  # nothing was written; read the request as it is now
        status = 409 if isinstance(refused, Conflict) else 400
        return _page(item, refused=(name, _wording(refused, item)), status=status)
    db.session().refresh(item)
    flash(
        gettext(DONE[name]).format(when=when(item.scheduled_for, item.widget.timezone)), "success"
    )
    return redirect(url_for("console.request_detail", request_id=item.id))


def _page(
    item: CallbackRequest, refused: tuple[str, str] | None = None, status: int = 200
) -> tuple[str, int, dict[str, str]]:
    zone = item.widget.timezone
    earliest, latest = _limits(item)
    return (
        render_template(
            "console/requests/detail.html",
            item=item,
            zone=zone,
            number=masked_number(item),
            page_url=mask_phone_shaped(item.page_url or ""),
            outcome=mask_phone_shaped(outcome_name(item.outcome)),
            status_text=status_name(item.status.value),
            entries=request_history.entries(db.session(), item),
            may=_actions(item),
            refused=refused,
            typed_when=request.form.get("when", "")
            if refused and refused[0] == "reschedule"
            else _local(item.scheduled_for, zone),
            earliest=earliest,
            latest=latest,
            earliest_input=_local(earliest, zone),
            latest_input=_local(latest, zone),
        ),
        status,
        {"Cache-Control": "no-store"},
    )


def _actions(item: CallbackRequest) -> dict[str, bool]:
    """Which actions apply to the request as it stands."""
    scheduled = item.status == RequestStatus.SCHEDULED
    return {
        "call_now": scheduled,
        "retry": scheduled and item.round >= 2,
        "reschedule": item.status in (RequestStatus.SCHEDULED, RequestStatus.QUEUED),
        "cancel": not item.status.is_terminal,
    }


def _limits(item: CallbackRequest) -> tuple[datetime, datetime]:
    """The window a new time must fall in: from now to the request's last moment."""
    return utcnow(), staff.latest_time(item)


def _local(moment: datetime | None, zone: str) -> str:
    """`moment` as a datetime-local input writes it, in `zone`."""
    return moment.astimezone(ZoneInfo(zone)).strftime(LOCAL_INPUT) if moment else ""


def _local_time(item: CallbackRequest, typed: str) -> datetime:
    """Read a datetime-local value as a time of the widget's zone; return it in UTC."""
    zone = ZoneInfo(item.widget.timezone)
    try:
        naive = datetime.fromisoformat(typed.strip())
    except ValueError:
        raise Invalid("time_unreadable", "Enter a date and a time.", "when") from None
    if naive.tzinfo is not None:
        raise Invalid("time_unreadable", "Enter a local date and time.", "when")
    try:
        moment = naive.replace(tzinfo=zone).astimezone(UTC)
        # A time the clocks skip (spring forward) does not come back unchanged.
        back = moment.astimezone(zone).replace(tzinfo=None)
    except OverflowError:  # year 1 east of UTC, or 9999 west of it: no UTC time to hold
        raise Invalid("time_unreadable", "Enter a date and a time.", "when") from None
    if back != naive:
        raise Invalid("time_not_in_zone", "That time does not exist in the widget's zone.", "when")
    return moment


def _wording(refused: Refused, item: CallbackRequest) -> str:
    """The refusal in the reader's language, else the domain's own message."""
    key = REFUSALS.get(refused.code)
    if key is None:
        return refused.message
    zone = item.widget.timezone
    return gettext(key).format(
        status=status_name(item.status.value),
        latest=when(_limits(item)[1], zone),
        zone=zone,
    )
