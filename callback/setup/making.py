"""Create a widget or an agent from checked fields, with the same rules wherever asked.

The fields come checked by the payload schemas (callback.schemas.admin) at the edge;
what needs more than one field, or the service's settings, is checked here.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from callback.accounts import audit
from callback.errors import Invalid
from callback.integrations.alerts import checked_chat_url
from callback.integrations.endpoints import check_number_sharing
from callback.models import Agent, Widget
from callback.models.widget import DEFAULT_ALLOWED_NUMBER_TYPES

NO_CALLER_ID = (
    "caller_id: the number the widget's calls come from is required (a number of your "
    "Twilio account or a verified caller ID, E.164 such as +442079460999), unless "
    "TWILIO_FROM_NUMBER gives one to every widget."
)


def create_widget(
    session: Session,
    fields: dict[str, Any],
    actor: str,
    default_caller_id: str | None,
    **details: Any,
) -> Widget:
    """Add the widget `fields` describe and audit it; flush, the caller commits.

    Refuses a widget with no caller ID when TWILIO_FROM_NUMBER (`default_caller_id`) gives
    none either: its calls would have no number to come from.
    """
    if not fields.get("caller_id") and not default_caller_id:
        raise Invalid("caller_id_required", NO_CALLER_ID, "caller_id")
    fields.setdefault("allowed_countries", [fields["default_region"]])
    fields.setdefault("allowed_number_types", list(DEFAULT_ALLOWED_NUMBER_TYPES))
    if fields.get("alert_chat_url"):
        fields["alert_chat_url"] = checked_chat_url(fields["alert_chat_url"])
    widget = Widget(**fields)
    session.add(widget)
    session.flush()  # the key, and the defaults the sharing check reads
    check_number_sharing(
        {
            "webhook_number_consent_version": widget.webhook_number_consent_version,
            "privacy_notice": widget.privacy_notice,
            "consent_version": widget.consent_version,
        }
    )
    audit.record(session, actor, "widget_created", widget=widget.key, **details)
    return widget


def add_agent(session: Session, fields: dict[str, Any], actor: str, **details: Any) -> Agent:
    """Add the agent `fields` describe and audit it; flush, the caller commits."""
    agent = Agent(**fields)
    session.add(agent)
    session.flush()  # the id the audit entry names
    audit.record(session, actor, "agent_created", agent_id=agent.id, **details)
    return agent
