"""Webhook endpoints in the admin API: the bodies it takes, and the answers it gives.

A URL is checked by the domain (callback/integrations/addresses.py), which knows what
may be reached; here it is only text of a bounded length.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field

from callback.integrations.events import EVENT_TYPES
from callback.schemas.admin import ABSENT, Payload
from callback.schemas.constraints import Clearable, Flag, Items, OneOf, Text

EventType = Annotated[str, OneOf(*EVENT_TYPES)]
EventTypes = Annotated[list[EventType], Items(len(EVENT_TYPES))]
EndpointUrl = Annotated[str, Text(2048), Field(examples=["https://crm.example.com/hooks/callback"])]


class WebhookUpdate(Payload):
    """Change an endpoint; `enabled: true` turns it back on and sends what waited."""

    url: EndpointUrl = ABSENT
    events: EventTypes = ABSENT
    description: Clearable[Annotated[str, Text(200)]] = ABSENT
    enabled: Flag = ABSENT


class WebhookCreate(Payload):
    """Add an endpoint: where, and which event types it gets."""

    url: EndpointUrl
    events: EventTypes
    description: Clearable[Annotated[str, Text(200)]] = ABSENT


class Webhook(BaseModel):
    """An endpoint as the admin API shows it: never its secret."""

    id: int
    url: str
    events: list[str]
    description: str | None = None
    enabled: bool
    disabled_reason: str | None = None
    failing_since: datetime | None = None
    created_at: datetime | None = None


class WebhookCreated(Webhook):
    """An endpoint just added, with its signing secret: shown this once only."""

    secret: str = Field(examples=["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"])


class WebhookList(BaseModel):
    webhooks: list[Webhook]


class WebhookSecret(BaseModel):
    """A rotated endpoint's new secret: the old one signs nothing from now on."""

    secret: str


class WebhookAttempt(BaseModel):
    """One send of one event: what the endpoint answered, never the body or a number."""

    at: datetime
    status_code: int | None = None
    error: str | None = None
    duration_ms: int
    manual: bool
    delivery_id: int
    delivery_state: str = Field(description="pending, delivered or failed")
    event_type: str
    message_id: str = Field(description="the webhook-id header")


class WebhookAttemptList(BaseModel):
    attempts: list[WebhookAttempt]


class WebhookReplay(BaseModel):
    """A delivery put back in its line, to be sent again shortly."""

    delivery_id: int
    state: str
