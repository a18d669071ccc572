"""The admin API's models: their refusals in the API's words, and the document from them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import schemathesis
from pydantic import BaseModel, ValidationError

from callback.api.openapi import document
from callback.schemas import answers as bodies
from callback.schemas.admin import (
    AgentCreate,
    AgentUpdate,
    SubjectRequest,
    WidgetCreate,
    WidgetUpdate,
    first_refusal,
)

API = Path(__file__).resolve().parents[2] / "callback" / "api"
WHOLE = "must be a whole number from"
WIDGET = {"name": "Shop", "default_region": "GB"}


def refusal(model: type[BaseModel], body: dict[str, Any]) -> str:
    with pytest.raises(ValidationError) as caught:
        model.model_validate(body)
    field, text = first_refusal(model, body, caught.value)
    return f"{field}: {text}"


@pytest.mark.parametrize(
    ("model", "body", "said"),
    [
        (WidgetCreate, {"colour": "red", "name": "x" * 201}, "colour: unknown field"),
        (WidgetCreate, {"name": "x" * 201}, "default_region: is required"),
        (WidgetCreate, {"name": None, "default_region": ""}, "name: is required"),
        (WidgetUpdate, {"name": None}, "name: must be a non-empty string"),
        (WidgetUpdate, {"name": "   "}, "name: must be a non-empty string"),
        (WidgetUpdate, {"name": "x" * 201}, "name: must be at most 200 characters"),
        (WidgetUpdate, {"retry_attempts": True}, f"retry_attempts: {WHOLE} 1 to 10"),
        (WidgetUpdate, {"retry_attempts": "3"}, f"retry_attempts: {WHOLE} 1 to 10"),
        (WidgetUpdate, {"retry_intervals": [1, -1]}, f"retry_intervals: {WHOLE} 0 to 86400"),
        (
            WidgetUpdate,
            {"retry_intervals": [1] * 10},
            "retry_intervals: must be a list of at most 9 items",
        ),
        (WidgetUpdate, {"slot_minutes": 5.0}, "slot_minutes: must be one of 5, 10, 15, 20, 30, 60"),
        (
            WidgetUpdate,
            {"ring_strategy": "random"},
            "ring_strategy: must be one of sequential, round_robin, simultaneous",
        ),
        (
            WidgetUpdate,
            {"allowed_number_types": ["FAX"]},
            "allowed_number_types: 'FAX' is not a phonenumbers number type name",
        ),
        (
            WidgetUpdate,
            {"default_region": "XX"},
            "default_region: 'XX' is not a two-letter country code",
        ),
        (
            WidgetUpdate,
            {"allowed_origins": ["https://*.example.com"]},
            "allowed_origins: 'https://*.example.com' is not an exact origin such as https://www.example.com",
        ),
        (
            WidgetUpdate,
            {"timezone": "x" * 300},
            f"timezone: {'x' * 300!r} is not a time zone name such as Europe/Warsaw",
        ),
        (
            WidgetUpdate,
            {"business_hours": {"mon": [["17:00", "09:00"]]}},
            "business_hours: mon: 17:00-09:00 closes before it opens",
        ),
        (
            WidgetUpdate,
            {"theme_color": "teal"},
            "theme_color: 'teal' is not a colour such as #1d4ed8",
        ),
        (AgentUpdate, {"active": "yes"}, "active: must be true or false"),
        (
            AgentCreate,
            {"name": "Ada", "phone": "12345"},
            "phone: must be a phone number in international format, like +44...",
        ),
    ],
)
def test_refusals_are_worded_as_the_api_has_always_worded_them(
    model: type[BaseModel], body: dict[str, Any], said: str
) -> None:
    assert refusal(model, body) == said


def test_a_payload_keeps_only_the_fields_given_cleaned() -> None:
    body = {**WIDGET, "name": "  Shop  ", "caller_id": "", "closed_dates": ["20261224"]}
    given = WidgetCreate.model_validate(body).model_dump(mode="json", exclude_unset=True)
    assert given == {**WIDGET, "caller_id": None, "closed_dates": ["2026-12-24"]}


def test_a_subject_request_ignores_what_it_does_not_need() -> None:
    subject = SubjectRequest.model_validate({"phone": "+44 20 7946 0123", "region": 3, "x": 1})
    assert (subject.phone, subject.region) == ("+44 20 7946 0123", None)


def test_the_document_is_valid_openapi_with_the_models_as_components() -> None:
    schemathesis.openapi.from_dict(document()).validate()
    components = document()["components"]["schemas"]
    assert components["WidgetCreate"]["required"] == ["name", "default_region"]
    assert components["WidgetUpdate"]["additionalProperties"] is False
    assert set(components["Widget"]["properties"]) == set(bodies.Widget.model_fields)


@pytest.mark.parametrize(
    ("model", "body", "said"),
    [
        (WidgetCreate, {**WIDGET, "name": "Sh\x00op"}, "name: must not contain control characters"),
        (WidgetUpdate, {"team": "sa\x01les"}, "team: must not contain control characters"),
        (AgentUpdate, {"name": "Ada\nLovelace"}, "name: must not contain control characters"),
        (
            WidgetUpdate,
            {"privacy_notice": "We call back.\x00"},
            "privacy_notice: must not contain control characters",
        ),
    ],
)
def test_text_with_control_characters_is_refused(
    model: type[BaseModel], body: dict[str, Any], said: str
) -> None:
    # PostgreSQL cannot store a NUL in text: refused here, never a 500 there.
    assert refusal(model, body) == said


def test_a_privacy_notice_may_have_several_lines() -> None:
    checked = WidgetUpdate.model_validate({"privacy_notice": "We call back.\r\nThat is all."})
    assert checked.privacy_notice == "We call back.\r\nThat is all."
