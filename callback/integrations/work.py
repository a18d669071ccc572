"""The integration work a commit leaves behind; `workers.queues` enqueues each piece."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class DeliverWebhooks:
    """Send a request's pending events to one endpoint, in order (at `at`, or now)."""

    endpoint_id: int
    request_id: uuid.UUID | None
    at: datetime | None = None


@dataclass(frozen=True)
class NoticeEndpointDisabled:
    """Tell a widget's owners, managers and alert list that an endpoint was turned off."""

    endpoint_id: int


@dataclass(frozen=True)
class SendAlert:
    """Tell the widget's alert recipients (e-mail, chat) about one event."""

    event_id: int
