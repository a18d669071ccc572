"""The widget settings form: what it shows for a widget, and the JSON body it stands for.

The form speaks HTML (one origin a line, "09:00-12:00, 13:00-17:00" per weekday, a
checkbox per number type); the admin API's pydantic models speak JSON. `values_of` and
`values_from` give the form's values (a widget's, or what the person typed), and
`body_of` turns them into the body WidgetCreate/WidgetUpdate check, so the console keeps
the admin API's rules and refusal texts.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from zoneinfo import available_timezones

import phonenumbers
from babel import Locale
from werkzeug.datastructures import MultiDict

from callback.console import hours_field
from callback.models import Widget
from callback.models.widget import (
    DEFAULT_ALLOWED_NUMBER_TYPES,
    DEFAULT_DAILY_CALL_CAP,
    DEFAULT_RETRY_INTERVALS,
    DEFAULT_SMS_REMINDER_MINUTES,
)
from callback.phones.policy import NUMBER_TYPE_NAMES
from callback.schedule.hours import DAY_NAMES
from callback.texts import LANGUAGES, N_
from callback.texts.widget import OVERRIDABLE
from callback.widgets import theme

SLOT_CHOICES = (5, 10, 15, 20, 30, 60)
NUMBER_TYPES = sorted(NUMBER_TYPE_NAMES.values())
LANGUAGE_NAMES = {"en": "English", "pl": "Polski"}
STRATEGY_NAMES = {
    "sequential": N_("console.widgets.strategy.sequential"),
    "round_robin": N_("console.widgets.strategy.round_robin"),
    "simultaneous": N_("console.widgets.strategy.simultaneous"),
}
POSITION_NAMES = {
    "bottom-right": N_("console.widgets.position.bottom_right"),
    "bottom-left": N_("console.widgets.position.bottom_left"),
}
DAY_LABELS = {
    "mon": N_("console.widgets.day.mon"),
    "tue": N_("console.widgets.day.tue"),
    "wed": N_("console.widgets.day.wed"),
    "thu": N_("console.widgets.day.thu"),
    "fri": N_("console.widgets.day.fri"),
    "sat": N_("console.widgets.day.sat"),
    "sun": N_("console.widgets.day.sun"),
}
NUMBER_TYPE_LABELS = {
    "FIXED_LINE": N_("console.widgets.type.FIXED_LINE"),
    "MOBILE": N_("console.widgets.type.MOBILE"),
    "FIXED_LINE_OR_MOBILE": N_("console.widgets.type.FIXED_LINE_OR_MOBILE"),
    "TOLL_FREE": N_("console.widgets.type.TOLL_FREE"),
    "PREMIUM_RATE": N_("console.widgets.type.PREMIUM_RATE"),
    "SHARED_COST": N_("console.widgets.type.SHARED_COST"),
    "VOIP": N_("console.widgets.type.VOIP"),
    "PERSONAL_NUMBER": N_("console.widgets.type.PERSONAL_NUMBER"),
    "PAGER": N_("console.widgets.type.PAGER"),
    "UAN": N_("console.widgets.type.UAN"),
    "VOICEMAIL": N_("console.widgets.type.VOICEMAIL"),
    "UNKNOWN": N_("console.widgets.type.UNKNOWN"),
}
DISPLAY_ACTION_NAMES = {
    "none": N_("console.widgets.display_action.none"),
    "nudge": N_("console.widgets.display_action.nudge"),
    "open": N_("console.widgets.display_action.open"),
}
TEXT_LABELS = {
    "open": N_("console.widgets.text.open"),
    "title": N_("console.widgets.text.title"),
    "intro": N_("console.widgets.text.intro"),
    "phone_label": N_("console.widgets.text.phone_label"),
    "consent": N_("console.widgets.text.consent"),
    "submit": N_("console.widgets.text.submit"),
    "closed": N_("console.widgets.text.closed"),
    "time": N_("console.widgets.text.time"),
}
# What a new widget starts with: the columns' own defaults (callback/models/widget.py).
NEW_WIDGET: dict[str, Any] = {
    "name": "",
    "allowed_origins": [],
    "default_region": "GB",
    "allowed_countries": [],
    "allowed_number_types": list(DEFAULT_ALLOWED_NUMBER_TYPES),
    "caller_id": None,
    "language": "en",
    "timezone": "UTC",
    "team": "default",
    "ring_strategy": "sequential",
    "ring_other_languages": True,
    "retry_attempts": 3,
    "retry_intervals": list(DEFAULT_RETRY_INTERVALS),
    "privacy_policy_url": None,
    "consent_version": Widget.__table__.c.consent_version.default.arg,
    "privacy_notice": None,
    "daily_call_cap": DEFAULT_DAILY_CALL_CAP,
    "theme_color": None,
    "theme_position": None,
    "theme_texts": None,
    "business_hours": None,
    "holidays_region": None,
    "closed_dates": [],
    "max_wait_minutes": 240,
    "slot_minutes": 15,
    "display_action": "none",
    "display_after_seconds": None,
    "display_on_exit_intent": False,
    "display_scroll_percent": None,
    "display_paths": [],
    "sms_enabled": False,
    "sms_reminder_minutes": DEFAULT_SMS_REMINDER_MINUTES,
    "line_enabled": False,
    "line_offer_seconds": Widget.__table__.c.line_offer_seconds.default.arg,
    "line_music_url": None,
}
# The settings the form edits: every field of WidgetUpdate, in its order.
SETTINGS = tuple(NEW_WIDGET)
# A refusal of one day's hours starts with the day ("mon: ..."): shown beside that day.
DAY_REFUSAL = re.compile(r"^(mon|tue|wed|thu|fri|sat|sun):")


def settings_of(widget: Widget) -> dict[str, Any]:
    """Return the widget's settings as the admin API's JSON has them."""
    return {name: getattr(widget, name) for name in SETTINGS}


def values_of(settings: Mapping[str, Any]) -> dict[str, Any]:
    """Return the form's values showing `settings` (a widget's, or NEW_WIDGET)."""
    hours = settings["business_hours"]
    texts = settings["theme_texts"] or {}
    values: dict[str, Any] = {
        "name": settings["name"],
        "allowed_origins": "\n".join(settings["allowed_origins"]),
        "default_region": settings["default_region"],
        "allowed_countries": list(settings["allowed_countries"]),
        "allowed_number_types": list(settings["allowed_number_types"]),
        "caller_id": settings["caller_id"] or "",
        "language": settings["language"],
        "timezone": settings["timezone"],
        "always_open": hours is None,
        "holidays_region": settings["holidays_region"] or "",
        "closed_dates": "\n".join(str(day) for day in settings["closed_dates"]),
        "team": settings["team"],
        "ring_strategy": settings["ring_strategy"],
        "ring_other_languages": settings["ring_other_languages"],
        "retry_attempts": str(settings["retry_attempts"]),
        "retry_intervals": ", ".join(str(s) for s in settings["retry_intervals"]),
        "privacy_policy_url": settings["privacy_policy_url"] or "",
        "privacy_notice": settings["privacy_notice"] or "",
        "consent_version": settings["consent_version"],
        "daily_call_cap": str(settings["daily_call_cap"]),
        "max_wait_minutes": str(settings["max_wait_minutes"]),
        "slot_minutes": str(settings["slot_minutes"]),
        "sms_enabled": bool(settings["sms_enabled"]),
        "sms_reminder_minutes": str(settings["sms_reminder_minutes"]),
        "line_enabled": bool(settings["line_enabled"]),
        "line_offer_seconds": str(settings["line_offer_seconds"]),
        "line_music_url": settings["line_music_url"] or "",
        "theme_color": settings["theme_color"] or theme.DEFAULT_COLOUR,
        "theme_position": settings["theme_position"] or theme.POSITIONS[0],
        "display_action": settings["display_action"],
        "display_after_seconds": _shown(settings["display_after_seconds"]),
        "display_on_exit_intent": settings["display_on_exit_intent"],
        "display_scroll_percent": _shown(settings["display_scroll_percent"]),
        "display_paths": "\n".join(settings["display_paths"]),
    }
    for day in DAY_NAMES:
        periods = (hours or {}).get(day, [])
        values[f"hours_{day}"] = ", ".join(f"{opens}-{closes}" for opens, closes in periods)
    for language in LANGUAGES:
        for name in OVERRIDABLE:
            values[f"text_{language}_{name}"] = texts.get(language, {}).get(name, "")
    return values


def values_from(form: MultiDict[str, str]) -> dict[str, Any]:
    """Return the form's values as the person sent them."""
    values: dict[str, Any] = {name: form.get(name, "") for name in values_of(NEW_WIDGET)}
    values["allowed_countries"] = form.getlist("allowed_countries")
    values["allowed_number_types"] = form.getlist("allowed_number_types")
    values["always_open"] = bool(form.get("always_open"))
    values["ring_other_languages"] = bool(form.get("ring_other_languages"))
    values["display_on_exit_intent"] = bool(form.get("display_on_exit_intent"))
    values["sms_enabled"] = bool(form.get("sms_enabled"))
    values["line_enabled"] = bool(form.get("line_enabled"))
    return values


def body_of(values: Mapping[str, Any]) -> dict[str, Any]:
    """Return the admin API body the form's values stand for (checked by the model)."""
    colour = values["theme_color"].strip()
    position = values["theme_position"]
    return {
        "name": values["name"],
        "allowed_origins": _lines(values["allowed_origins"]),
        "default_region": values["default_region"],
        "allowed_countries": values["allowed_countries"] or [values["default_region"]],
        "allowed_number_types": values["allowed_number_types"],
        "caller_id": values["caller_id"].strip(),
        "language": values["language"],
        "timezone": values["timezone"],
        "team": values["team"],
        "ring_strategy": values["ring_strategy"],
        "ring_other_languages": values["ring_other_languages"],
        "retry_attempts": _number(values["retry_attempts"]),
        "retry_intervals": [
            _number(s) for s in re.split(r"[\s,;]+", values["retry_intervals"]) if s
        ],
        "privacy_policy_url": values["privacy_policy_url"].strip(),
        "consent_version": values["consent_version"],
        "privacy_notice": values["privacy_notice"].strip(),
        "daily_call_cap": _number(values["daily_call_cap"]),
        # The standard look is stored as none, so a later change of the standard reaches it.
        "theme_color": None if colour.lower() == theme.DEFAULT_COLOUR else colour,
        "theme_position": None if position == theme.POSITIONS[0] else position,
        "theme_texts": _texts(values),
        "business_hours": None if values["always_open"] else hours_field.weekly(values),
        "holidays_region": values["holidays_region"].strip(),
        "closed_dates": _lines(values["closed_dates"]),
        "max_wait_minutes": _number(values["max_wait_minutes"]),
        "slot_minutes": _number(values["slot_minutes"]),
        "display_action": values["display_action"],
        "display_after_seconds": _number(values["display_after_seconds"]),
        "display_on_exit_intent": values["display_on_exit_intent"],
        "display_scroll_percent": _number(values["display_scroll_percent"]),
        "display_paths": _lines(values["display_paths"]),
        "sms_enabled": values["sms_enabled"],
        "sms_reminder_minutes": _number(values["sms_reminder_minutes"]),
        "line_enabled": values["line_enabled"],
        "line_offer_seconds": _number(values["line_offer_seconds"]),
        "line_music_url": values["line_music_url"].strip(),
    }


def error_field(field: str, words: str) -> str:
    """Return the form field to show a refusal of `field` beside."""
    if field == "business_hours" and (day := DAY_REFUSAL.match(words)):
        return f"hours_{day.group(1)}"
    return field


def _shown(number: int | None) -> str:
    return "" if number is None else str(number)


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _number(text: str) -> int | str:
    """A whole number as typed, as an int; anything else stays text for the model to refuse."""
    text = text.strip()
    return int(text) if re.fullmatch(r"-?\d{1,9}", text) else text


def _texts(values: Mapping[str, Any]) -> dict[str, dict[str, str]] | None:
    texts: dict[str, dict[str, str]] = {}
    for language in LANGUAGES:
        for name in OVERRIDABLE:
            typed = values[f"text_{language}_{name}"].strip()
            if typed:
                texts.setdefault(language, {})[name] = typed
    return texts or None


def region_choices(language: str) -> list[tuple[str, str]]:
    """Return (code, name in `language`) for every region a number can be from, by name."""
    names = Locale.parse(language).territories
    return sorted(
        ((code, names.get(code, code)) for code in phonenumbers.SUPPORTED_REGIONS),
        key=lambda pair: pair[1],
    )


def timezone_choices() -> list[str]:
    return sorted(available_timezones())
