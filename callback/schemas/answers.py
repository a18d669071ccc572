"""The bodies the API answers with, and the visitor's submission: described, not checked.

The admin API builds its answers from these models' field names (callback/api/admin.py),
so what it shows and what the document says are one list. The visitor's submission is
checked by callback/lifecycle/intake.py, which refuses in the visitor's language.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from callback.schemas.admin import ABSENT, AgentUpdate, WidgetUpdate

Timestamp = datetime | None


class CallbackSubmission(BaseModel):
    """Ask for a callback, as JSON or as a form post; fields not listed are ignored."""

    phone: str = Field(description="as typed", examples=["020 7946 0123"])
    consent: bool | str = Field(description="must be true")
    page_url: str = ABSENT
    locale: str = ABSENT
    preferred_time: str = Field(ABSENT, description="ISO 8601")


class CallbackAccepted(BaseModel):
    """A request taken. A number with one pending gets only `status` ("already_requested")
    and `message`: whoever typed it may not be the one who asked, so nothing else is said."""

    id: uuid.UUID = ABSENT
    status: str
    status_url: str = ABSENT
    scheduled_for: Timestamp = None
    message: str = ABSENT


class CallbackStatus(BaseModel):
    """A request as its visitor sees it: never the number."""

    id: uuid.UUID
    status: str
    outcome: str | None = None
    scheduled_for: Timestamp = None
    created_at: Timestamp = None
    updated_at: Timestamp = None
    ended_at: Timestamp = None
    queue_position: int | None = None
    estimated_wait_seconds: int | None = None


class AdminCallback(BaseModel):
    """A request as the admin API lists it, its number masked."""

    id: uuid.UUID
    widget: str
    phone: str | None = Field(None, description="masked: +44********23")
    country: str | None = None
    number_type: str | None = None
    status: str
    outcome: str | None = None
    page_url: str | None = None
    created_at: Timestamp = None
    scheduled_for: Timestamp = None
    ended_at: Timestamp = None
    erased: bool


class CallbackList(BaseModel):
    callbacks: Annotated[list[AdminCallback], Field(max_length=500)]


class Slot(BaseModel):
    start: datetime
    end: datetime
    free: int = Field(description="requests the slot can still take")


class Slots(BaseModel):
    """A widget's bookable callback times of the next days, with whether it is open now."""

    timezone: str
    open_now: bool
    next_opening: Timestamp
    slot_minutes: int
    slots: list[Slot]


class DisplayRules(BaseModel):
    """A widget's display rules as its script reads them (config's `display`): the action
    fires once a visit when any trigger set fires, on pages matching `paths` (none: all)."""

    action: str = Field(description="none, nudge or open")
    after_seconds: int | None = Field(None, description="seconds on the page")
    exit_intent: bool = Field(description="the pointer leaves through the top (desktop)")
    scroll_percent: int | None = Field(None, description="share of the page scrolled, 1-100")
    paths: list[str] = Field(description='patterns such as "/pricing*"; empty: every page')


class WidgetConfig(BaseModel):
    """What the widget script loads once per page: countries, texts, theme, hours, rules."""

    model_config = ConfigDict(extra="allow")

    key: str
    language: str
    display: DisplayRules


class Widget(WidgetUpdate):
    """A widget as the admin API shows it."""

    model_config = ConfigDict(extra="ignore")

    key: str
    created_at: Timestamp = None


class WidgetList(BaseModel):
    widgets: list[Widget]


class Agent(AgentUpdate):
    """An agent as the admin API shows it; `paused_reason` says why one is paused."""

    model_config = ConfigDict(extra="ignore")

    id: int
    paused_reason: str | None = None
    created_at: Timestamp = None


class AgentList(BaseModel):
    agents: list[Agent]


class ErrorDetail(BaseModel):
    code: str
    message: str
    field: str = Field(ABSENT, description="the field to blame, when one is")
    limit: str = Field(
        ABSENT,
        description="on a 429: the limit reached (per_address, per_number, "
        "new_numbers_per_address, per_widget, daily_cap)",
    )
    retry_after: int = Field(ABSENT, description="on a 429: seconds until it resets")
    resets_at: str = Field(ABSENT, description="on a 429: when it resets (ISO 8601, UTC)")


class Error(BaseModel):
    """Every refusal: a stable code and a readable message."""

    error: ErrorDetail


def shown(model: type[BaseModel], row: Any) -> dict[str, Any]:
    """Return `row`'s attributes named by `model`'s fields, timestamps in ISO 8601."""
    values = {name: getattr(row, name) for name in model.model_fields}
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in values.items()}
