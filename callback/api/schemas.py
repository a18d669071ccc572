"""Component schemas of the OpenAPI document (see callback/api/openapi.py)."""

from __future__ import annotations

from typing import Any

from callback.api.validation import RING_STRATEGIES
from callback.phones.policy import NUMBER_TYPE_NAMES
from callback.texts import LANGUAGES

STRING = {"type": "string"}
NULLABLE_STRING = {"type": "string", "nullable": True}
TIMESTAMP = {"type": "string", "format": "date-time", "nullable": True}
REGION = {"type": "string", "pattern": "^[A-Za-z]{2}$", "example": "GB"}
ORIGIN = {"type": "string", "example": "https://www.example.com"}
E164 = {"type": "string", "example": "+442079460001"}
NUMBER_TYPE = {"type": "string", "enum": sorted(NUMBER_TYPE_NAMES.values())}


def _array(items: dict[str, Any], max_items: int = 50) -> dict[str, Any]:
    return {"type": "array", "items": items, "maxItems": max_items}


def _object(properties: dict[str, Any], required: tuple[str, ...] = ()) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        schema["required"] = list(required)
    return schema


# {"mon": [["09:00", "17:00"]], ...}: a day left out is closed.
WEEKLY_HOURS: dict[str, Any] = {
    "type": "object",
    "additionalProperties": _array(_array({"type": "string", "example": "09:00"}, 2), 12),
}
WIDGET_FIELDS: dict[str, Any] = {
    "name": {"type": "string", "maxLength": 200},
    "allowed_origins": _array(ORIGIN),
    "default_region": REGION,
    "allowed_countries": _array(REGION, 250),
    "allowed_number_types": _array(NUMBER_TYPE),
    "caller_id": {**E164, "nullable": True},
    "language": {"type": "string", "enum": list(LANGUAGES)},
    "timezone": {"type": "string", "example": "Europe/London"},
    "team": {"type": "string", "maxLength": 64},
    "ring_strategy": {"type": "string", "enum": list(RING_STRATEGIES)},
    "retry_attempts": {"type": "integer", "minimum": 1, "maximum": 10},
    "retry_intervals": _array({"type": "integer", "minimum": 0, "maximum": 86400}, 9),
    "privacy_policy_url": {"type": "string", "format": "uri", "nullable": True},
    "consent_version": {"type": "string", "maxLength": 40},
    "daily_call_cap": {"type": "integer", "minimum": 0, "maximum": 100000},
    "business_hours": {**WEEKLY_HOURS, "nullable": True},
    "holidays_region": {**NULLABLE_STRING, "example": "GB"},
    "closed_dates": _array({"type": "string", "format": "date"}, 366),
    "max_wait_minutes": {"type": "integer", "minimum": 1, "maximum": 10080},
    "slot_minutes": {"type": "integer", "enum": [5, 10, 15, 20, 30, 60]},
}
AGENT_FIELDS: dict[str, Any] = {
    "name": {"type": "string", "maxLength": 200},
    "phone": E164,
    "team": {"type": "string", "maxLength": 64},
    "priority": {"type": "integer", "minimum": 0, "maximum": 10000},
    "active": {"type": "boolean"},
    "available": {"type": "boolean"},
    "languages": _array({"type": "string", "enum": list(LANGUAGES)}),
    "hours": {**WEEKLY_HOURS, "nullable": True},
    "timezone": {"type": "string", "example": "Europe/London"},
    "missed_in_row": {"type": "integer", "minimum": 0, "maximum": 0},
}
CALLBACK_STATUS = _object(
    {
        "id": {"type": "string", "format": "uuid"},
        "status": STRING,
        "outcome": NULLABLE_STRING,
        "scheduled_for": TIMESTAMP,
        "created_at": TIMESTAMP,
        "updated_at": TIMESTAMP,
        "ended_at": TIMESTAMP,
        "queue_position": {"type": "integer", "nullable": True},
        "estimated_wait_seconds": {"type": "integer", "nullable": True},
    },
    ("id", "status"),
)
ADMIN_CALLBACK = _object(
    {
        "id": {"type": "string", "format": "uuid"},
        "widget": STRING,
        "phone": {**NULLABLE_STRING, "description": "masked: +44********23"},
        "country": NULLABLE_STRING,
        "number_type": NULLABLE_STRING,
        "status": STRING,
        "outcome": NULLABLE_STRING,
        "page_url": NULLABLE_STRING,
        "created_at": TIMESTAMP,
        "scheduled_for": TIMESTAMP,
        "ended_at": TIMESTAMP,
        "erased": {"type": "boolean"},
    }
)
SCHEMAS: dict[str, Any] = {
    "CallbackSubmission": _object(
        {
            "phone": {"type": "string", "description": "as typed", "example": "020 7946 0123"},
            "consent": {"oneOf": [{"type": "boolean"}, STRING], "description": "must be true"},
            "page_url": STRING,
            "locale": STRING,
            "preferred_time": {**STRING, "description": "ISO 8601"},
        },
        ("phone", "consent"),
    ),
    # A number that already has a pending request gets only {"status": "already_requested",
    # "message"}: whoever typed it may not be the one who asked, so nothing else is said.
    "CallbackAccepted": _object(
        {
            "id": {"type": "string", "format": "uuid"},
            "status": STRING,
            "status_url": STRING,
            "scheduled_for": TIMESTAMP,
            "message": STRING,
        },
        ("status",),
    ),
    "CallbackStatus": CALLBACK_STATUS,
    "CallbackList": _object({"callbacks": _array(ADMIN_CALLBACK, 500)}, ("callbacks",)),
    "WidgetCreate": _object(WIDGET_FIELDS, ("name", "default_region")),
    "WidgetUpdate": _object(WIDGET_FIELDS),
    "Widget": _object({"key": STRING, **WIDGET_FIELDS, "created_at": TIMESTAMP}, ("key",)),
    "WidgetList": _object(
        {"widgets": {"type": "array", "items": {"$ref": "#/components/schemas/Widget"}}}
    ),
    "AgentCreate": _object(AGENT_FIELDS, ("name", "phone")),
    "AgentUpdate": _object(AGENT_FIELDS),
    "Agent": _object(
        {
            "id": {"type": "integer"},
            **AGENT_FIELDS,
            "paused_reason": {"type": ["string", "null"]},
            "created_at": TIMESTAMP,
        }
    ),
    "AgentList": _object(
        {"agents": {"type": "array", "items": {"$ref": "#/components/schemas/Agent"}}}
    ),
    "SubjectRequest": _object({"phone": STRING, "region": REGION}, ("phone",)),
    "Error": _object(
        {
            "error": _object(
                {"code": STRING, "message": STRING, "field": STRING}, ("code", "message")
            )
        },
        ("error",),
    ),
}
COMPONENTS: dict[str, Any] = {
    "schemas": SCHEMAS,
    "responses": {
        "Error": {
            "description": "An error with a stable code",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
        }
    },
    "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
}
