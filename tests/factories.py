"""Rows for tests, with fictional numbers only.

Each factory stores its row in the app's session (the test's rolled-back transaction), or
in the `session` it is given: committed data for tests that run the service elsewhere.
"""

from __future__ import annotations

from itertools import count
from typing import Any, TypeVar

import phonenumbers
from phonenumbers import PhoneNumberFormat, PhoneNumberType
from sqlalchemy import Connection, func, select
from sqlalchemy.orm import Session

from callback import db
from callback.models import Agent, CallAttempt, CallbackRequest, Leg, RequestStatus, Widget

# Ofcom drama numbers: valid to phonenumbers, never assigned to anyone.
VISITOR_LANDLINE = "+442079460123"
VISITOR_TYPED = "020 7946 0123"
AGENT_PHONE = "+442079460001"
SECOND_AGENT_PHONE = "+442079460002"
# The company's number the calls come from.
CALLER_ID = "+442079460999"
_LINE_CALLERS = count(500)  # phone-line callers' numbers: +442079460500 and on

Row = TypeVar("Row", Widget, Agent, CallbackRequest)


def example_number(region: str, kind: int = PhoneNumberType.MOBILE) -> str:
    """Return phonenumbers' example number of `kind` in `region`, in E.164."""
    number = phonenumbers.example_number_for_type(region, kind)
    assert number is not None, (region, kind)
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def stored_requests() -> int:
    """Return how many callback requests the database holds."""
    return db.session().scalar(select(func.count()).select_from(CallbackRequest)) or 0


def session_connection() -> Connection:
    """Return the connection the app's session runs on: the test's own transaction."""
    return db.session().connection()


def _stored(row: Row, session: Session | None) -> Row:
    """Add `row` to `session` (by default the app's) and commit it."""
    into = db.session() if session is None else session
    into.add(row)
    into.commit()
    return row


def make_widget(session: Session | None = None, **overrides: Any) -> Widget:
    """Store the fictional company's widget (www.example.com, GB numbers), with `overrides`."""
    fields: dict[str, Any] = {
        "name": "Example Ltd",
        "allowed_origins": ["https://www.example.com"],
        "default_region": "GB",
        "allowed_countries": ["GB"],
    }
    fields.update(overrides)
    return _stored(Widget(**fields), session)


def make_agent(session: Session | None = None, **overrides: Any) -> Agent:
    """Store an agent, Ada on AGENT_PHONE in the default team, with `overrides`."""
    fields: dict[str, Any] = {"name": "Ada", "phone": AGENT_PHONE, "team": "default"}
    fields.update(overrides)
    return _stored(Agent(**fields), session)


def make_request(
    widget: Widget | None = None, *, session: Session | None = None, **overrides: Any
) -> CallbackRequest:
    """Store a request from the fictional visitor, queued unless `overrides` say otherwise."""
    fields: dict[str, Any] = {
        "phone": VISITOR_LANDLINE,
        "country": "GB",
        "number_type": "FIXED_LINE",
        "consent_version": "t",
    }
    fields.update(overrides)
    return _stored(CallbackRequest(widget=widget or make_widget(session), **fields), session)


def make_line_caller(widget: Widget, *, on_line: bool, **overrides: Any) -> CallbackRequest:
    """Store a phone-line caller of `widget`: waiting on the phone (`on_line`), or a caller
    who took a callback (not on the line), queued unless `overrides` say otherwise."""
    fields: dict[str, Any] = {
        "channel": "phone",
        "on_line": on_line,
        "status": RequestStatus.QUEUED,
        # Each caller their own number: one pending request per number and widget.
        "phone": f"+44207946{next(_LINE_CALLERS):04d}",
    }
    if not on_line:
        fields["line_callback_at"] = func.now()
    fields.update(overrides)
    return make_request(widget, **fields)


def make_agent_leg(
    call_sid: str | None = None, status: str = "queued", **widget_fields: Any
) -> CallAttempt:
    """Return the agent leg of a request that is ringing its first agent."""
    request = make_request(
        make_widget(**widget_fields),
        page_url="https://www.example.com/pricing",
        status=RequestStatus.CALLING_AGENT,
    )
    attempt = CallAttempt(
        request_id=request.id,
        leg=Leg.AGENT,
        attempt_number=1,
        agent_id=make_agent().id,
        call_sid=call_sid,
        status=status,
    )
    db.session().add(attempt)
    db.session().commit()
    return attempt
