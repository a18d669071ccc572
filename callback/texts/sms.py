"""The text messages a visitor gets, in their language (words in callback/texts).

No personal data: the site's name and the time of the call, never a number or a name.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from babel.dates import format_datetime

from callback.texts import N_, language_of, translate

SMS_KEYS = {
    "confirmation": N_("sms.confirmation"),
    "reminder": N_("sms.reminder"),
    "missed": N_("sms.missed"),
}
# The confirmation names the day (it may be days ahead); the reminder only the hour.
TIME_PATTERNS = {"confirmation": "EEE d MMM, HH:mm", "reminder": "HH:mm", "missed": "HH:mm"}


def sms_text(kind: str, language: str | None, site: str, when: datetime | None, zone: str) -> str:
    """Return the message `kind` in `language`, naming `site` and `when` in time zone `zone`."""
    language = language_of(language)
    time = ""
    if when is not None:
        time = format_datetime(when, TIME_PATTERNS[kind], tzinfo=ZoneInfo(zone), locale=language)
    return translate(SMS_KEYS[kind], language).format(site=site, time=time)
