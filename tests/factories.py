"""Rows for tests, with fictional numbers only."""

from __future__ import annotations

from typing import Any

import phonenumbers
from phonenumbers import PhoneNumberFormat, PhoneNumberType
from sqlalchemy import func, select

from callback import db
from callback.models import Agent, CallAttempt, CallbackRequest, Leg, RequestStatus, Widget

# Ofcom drama numbers: valid to phonenumbers, never assigned to anyone.
VISITOR_LANDLINE = "+442079460123"
VISITOR_TYPED = "020 7946 0123"
AGENT_PHONE = "+442079460001"
SECOND_AGENT_PHONE = "+442079460002"


def example_number(region: str, kind: int = PhoneNumberType.MOBILE) -> str:
    """Return phonenumbers' example number of `kind` in `region`, in E.164."""
    number = phonenumbers.example_number_for_type(region, kind)
    assert number is not None, (region, kind)
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def stored_requests() -> int:
    """Return how many callback requests the database holds."""
    return db.session().scalar(select(func.count()).select_from(CallbackRequest)) or 0


def make_widget(**overrides: Any) -> Widget:
    fields: dict[str, Any] = {
        "name": "Example Ltd",
        "allowed_origins": ["https://www.example.com"],
        "default_region": "GB",
        "allowed_countries": ["GB"],
    }
    fields.update(overrides)
    widget = Widget(**fields)
    db.session().add(widget)
    db.session().commit()
    return widget


def make_agent(**overrides: Any) -> Agent:
    fields: dict[str, Any] = {"name": "Ada", "phone": AGENT_PHONE, "team": "default"}
    fields.update(overrides)
    agent = Agent(**fields)
    db.session().add(agent)
    db.session().commit()
    return agent


def make_request(widget: Widget | None = None, **overrides: Any) -> CallbackRequest:
    """Store a request from the fictional visitor, queued unless `overrides` say otherwise."""
    fields: dict[str, Any] = {
        "phone": VISITOR_LANDLINE,
        "country": "GB",
        "number_type": "FIXED_LINE",
        "consent_version": "t",
    }
    fields.update(overrides)
    row = CallbackRequest(widget=widget or make_widget(), **fields)
    db.session().add(row)
    db.session().commit()
    return row


def make_agent_leg(
    call_sid: str | None = None, status: str = "queued", **widget_fields: Any
) -> CallAttempt:
    """Return the agent leg of a request that is ringing its first agent."""
    request_row = make_request(
        make_widget(**widget_fields),
        page_url="https://www.example.com/pricing",
        status=RequestStatus.CALLING_AGENT,
    )
    attempt = CallAttempt(
        request_id=request_row.id,
        leg=Leg.AGENT,
        attempt_number=1,
        agent_id=make_agent().id,
        call_sid=call_sid,
        status=status,
    )
    db.session().add(attempt)
    db.session().commit()
    return attempt
