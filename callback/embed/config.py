"""The widget's configuration as its script reads it: one request when the page loads."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from flask import current_app

from callback import db
from callback.embed.countries import countries
from callback.models import Widget, iso
from callback.schedule.hours import widget_schedule
from callback.schedule.slots import bookable_slots
from callback.texts import offered, translate
from callback.texts.form import FORM_KEYS
from callback.texts.messages import messages
from callback.texts.widget import widget_texts
from callback.widgets.display import display_rules
from callback.widgets.theme import theme

# A select of times stays usable with a keyboard: two working days of 15-minute slots.
MAX_SLOTS_SHOWN = 64
SLOT_LABEL = "EEE d MMM, HH:mm"


def choose_language(widget: Widget, requested: str | None) -> str:
    """Return the page's language when it is offered, else the widget's own."""
    return offered(requested) or offered(widget.language) or "en"


def privacy(widget: Widget, language: str) -> dict[str, Any]:
    """Return the notice shown beside the consent box, its link and its version."""
    hours = current_app.config["RETENTION_MAX_HOURS"]
    notice = widget.privacy_notice or translate(FORM_KEYS["notice"], language).format(
        hours=f"{hours:g}"
    )
    return {
        "notice": notice,
        "policy_url": widget.privacy_policy_url,
        "consent_version": widget.consent_version,
    }


def hours(widget: Widget, language: str, now: datetime) -> dict[str, Any]:
    """Return whether the team takes calls now and, if not, when it can call back."""
    schedule = widget_schedule(widget)
    if schedule.is_open(now):
        return {"open": True, "next_opening": None, "slots": []}
    zone = ZoneInfo(widget.timezone)

    def label(when: datetime) -> str:
        return format_datetime(when, SLOT_LABEL, tzinfo=zone, locale=language)

    opening = schedule.next_opening(now)
    slots = bookable_slots(db.session(), widget, now)[:MAX_SLOTS_SHOWN]
    return {
        "open": False,
        "next_opening": {"at": iso(opening), "label": label(opening)} if opening else None,
        "slots": [{"start": iso(slot.start), "label": label(slot.start)} for slot in slots],
    }


def widget_config(widget: Widget, requested_language: str | None, now: datetime) -> dict[str, Any]:
    """Return everything the widget script needs to draw and pre-check the form."""
    language = choose_language(widget, requested_language)
    allowed = widget.allowed_countries or [widget.default_region]
    return {
        "key": widget.key,
        "name": widget.name,
        "language": language,
        "countries": countries(allowed, language),
        "default_country": widget.default_region
        if widget.default_region in allowed
        else allowed[0],
        "theme": theme(widget),
        "texts": widget_texts(language, widget.name, widget.theme_texts),
        # Same codes and words as the API's 422 answers: one source for both.
        "messages": messages(language),
        **hours(widget, language, now),
        "timezone": widget.timezone,
        "privacy": privacy(widget, language),
        "display": display_rules(widget),
    }
