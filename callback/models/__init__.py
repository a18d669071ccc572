"""The data model; see DESIGN.md "Domain"."""

from callback.models.base import Base, utcnow
from callback.models.call import LIVE_CALL_STATUSES, AuditEntry, CallAttempt, CallEvent, Leg
from callback.models.request import (
    PENDING_STATUSES,
    TERMINAL_STATUSES,
    CallbackRequest,
    RequestStatus,
)
from callback.models.widget import Agent, Widget

__all__ = [
    "LIVE_CALL_STATUSES",
    "PENDING_STATUSES",
    "TERMINAL_STATUSES",
    "Agent",
    "AuditEntry",
    "Base",
    "CallAttempt",
    "CallEvent",
    "CallbackRequest",
    "Leg",
    "RequestStatus",
    "Widget",
    "utcnow",
]
