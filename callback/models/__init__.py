"""The data model; see docs/architecture.md, "Domain"."""

from callback.lifecycle.states import AttemptStatus, RequestStatus
from callback.models.account import Account, ApiKey, Invitation, Role, WebAuthnCredential
from callback.models.base import Base, iso, utcnow
from callback.models.blocklist import BlockEntry, BlockKind
from callback.models.call import AuditEntry, CallAttempt, CallEvent, Leg
from callback.models.integration import (
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)
from callback.models.message import MessageKind, MessageStatus, VisitorMessage
from callback.models.report import AgentLegFact, RequestFact
from callback.models.request import CallbackRequest
from callback.models.widget import Agent, Widget

__all__ = [
    "Account",
    "Agent",
    "AgentLegFact",
    "ApiKey",
    "AttemptStatus",
    "AuditEntry",
    "Base",
    "BlockEntry",
    "BlockKind",
    "CallAttempt",
    "CallEvent",
    "CallbackRequest",
    "Invitation",
    "Leg",
    "MessageKind",
    "MessageStatus",
    "RequestFact",
    "RequestStatus",
    "Role",
    "VisitorMessage",
    "WebAuthnCredential",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookEndpoint",
    "WebhookEvent",
    "Widget",
    "iso",
    "utcnow",
]
