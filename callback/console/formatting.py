"""How the console writes times and roles, in the page's language."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from flask_babel import get_locale, gettext

from callback.texts import N_

ROLE_NAMES = {
    "owner": N_("console.role.owner"),
    "manager": N_("console.role.manager"),
    "agent": N_("console.role.agent"),
}

STATUS_NAMES = {
    "scheduled": N_("console.status.scheduled"),
    "queued": N_("console.status.queued"),
    "calling_agent": N_("console.status.calling_agent"),
    "calling_visitor": N_("console.status.calling_visitor"),
    "connected": N_("console.status.connected"),
    "completed": N_("console.status.completed"),
    "failed": N_("console.status.failed"),
    "canceled": N_("console.status.canceled"),
    "expired": N_("console.status.expired"),
}

# Why a request ended (CallbackRequest.outcome), as staff read it.
OUTCOME_NAMES = {
    "talked": N_("console.outcome.talked"),
    "withdrawn": N_("console.outcome.withdrawn"),
    "canceled_by_staff": N_("console.outcome.canceled_by_staff"),
    "erased_on_request": N_("console.outcome.erased_on_request"),
    "max_wait_exceeded": N_("console.outcome.max_wait_exceeded"),
    "retention_cap": N_("console.outcome.retention_cap"),
    "no_agent_accepted": N_("console.outcome.no_agent_accepted"),
    "no_agent_available": N_("console.outcome.no_agent_available"),
    "agent_left_before_bridge": N_("console.outcome.agent_left_before_bridge"),
    "visitor_busy": N_("console.outcome.visitor_busy"),
    "visitor_no_answer": N_("console.outcome.visitor_no_answer"),
    "visitor_failed": N_("console.outcome.visitor_failed"),
    "visitor_canceled": N_("console.outcome.visitor_canceled"),
}
TWILIO_ERROR = "twilio_error_"


def when(moment: datetime | None, zone: str = "UTC") -> str:
    """`moment` as a reader of the page's language writes it, with its time zone."""
    if moment is None:
        return ""
    written = format_datetime(
        moment, "medium", tzinfo=ZoneInfo(zone), locale=str(get_locale() or "en")
    )
    return f"{written} ({zone})"


def role_name(role: str) -> str:
    return gettext(ROLE_NAMES[role]) if role in ROLE_NAMES else role


def status_name(status: str) -> str:
    return gettext(STATUS_NAMES[status]) if status in STATUS_NAMES else status


def outcome_name(outcome: str | None) -> str:
    """Why a request ended, in words; a code this console does not know, as it is."""
    if not outcome:
        return ""
    if outcome in OUTCOME_NAMES:
        return gettext(OUTCOME_NAMES[outcome])
    if outcome.startswith(TWILIO_ERROR) and outcome[len(TWILIO_ERROR) :].isdecimal():
        return gettext(N_("console.outcome.twilio_error")).format(code=outcome[len(TWILIO_ERROR) :])
    return outcome


def helpers() -> dict[str, object]:
    return {
        "when": when,
        "role_name": role_name,
        "status_name": status_name,
        "outcome_name": outcome_name,
    }
