"""What the agent hears, in the widget's language (words in callback/texts)."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from babel.dates import format_datetime

from callback.texts import N_, language_of, translate

VOICE_KEYS = {
    "whisper": N_("voice.whisper"),
    "unknown_page": N_("voice.unknown_page"),
    "no_key": N_("voice.no_key"),
    "passed": N_("voice.passed"),
    "connecting": N_("voice.connecting"),
    "taken": N_("voice.taken"),
    "visitor_unavailable": N_("voice.visitor_unavailable"),
    "page_suffix": N_("voice.page_suffix"),
    "home_page": N_("voice.home_page"),
    "whisper_line": N_("voice.whisper_line"),
    "whisper_line_callback": N_("voice.whisper_line_callback"),
    "line_closed": N_("voice.line_closed"),
    "line_welcome": N_("voice.line_welcome"),
    "line_position": N_("voice.line_position"),
    "line_offer": N_("voice.line_offer"),
    "line_enter_number": N_("voice.line_enter_number"),
    "line_taken": N_("voice.line_taken"),
    "line_withheld": N_("voice.line_withheld"),
    "line_refused": N_("voice.line_refused"),
    "line_already": N_("voice.line_already"),
    "line_connecting": N_("voice.line_connecting"),
    "line_ended": N_("voice.line_ended"),
    "line_after_hours": N_("voice.line_after_hours"),
    "line_after_hours_opening": N_("voice.line_after_hours_opening"),
    "line_after_hours_offer": N_("voice.line_after_hours_offer"),
}
SAY_LANGUAGES = {"en": "en-GB", "pl": "pl-PL"}
# The day and time the line opens again, as spoken after "open again on".
OPENING_PATTERNS = {"en": "EEEE 'at' HH:mm", "pl": "EEEE, HH:mm"}


def text(key: str, language: str, **values: str) -> str:
    """Return the spoken text `key` in `language`, filled with `values`."""
    return translate(VOICE_KEYS[key], language).format(**values)


def spoken_opening(when: datetime, zone: str, language: str) -> str:
    """Return when the line opens again, in the widget's time zone: "Monday at 09:00"."""
    language = language_of(language)
    return format_datetime(when, OPENING_PATTERNS[language], tzinfo=ZoneInfo(zone), locale=language)


def say_language(language: str) -> str:
    """Return the `<Say language>` value for a widget language."""
    return SAY_LANGUAGES[language_of(language)]


def describe_page(page_url: str | None, language: str) -> tuple[str | None, str | None]:
    """Return (site, page) as spoken: ("example.com", "pricing page")."""
    if not page_url:
        return None, None
    parts = urlsplit(page_url)
    site = parts.hostname.removeprefix("www.") if parts.hostname else None
    segments = [s for s in parts.path.split("/") if s]
    if not segments:
        return site, text("home_page", language)
    name = segments[-1].rsplit(".", 1)[0].replace("-", " ").replace("_", " ")
    return site, text("page_suffix", language, name=name)
