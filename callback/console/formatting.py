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


def helpers() -> dict[str, object]:
    return {"when": when, "role_name": role_name, "status_name": status_name}
