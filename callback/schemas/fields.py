"""The admin API's field types: what a region, an origin, a phone number or hours are.

Each check that no JSON Schema keyword can express (a real country, time zone or phone
number) raises ValueError in the API's words; the type around it gives the schema.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays
import phonenumbers
from annotated_types import MaxLen, MinLen
from phonenumbers import NumberParseException
from pydantic import AfterValidator, BeforeValidator, Field

from callback.phones.policy import NUMBER_TYPE_NAMES
from callback.schedule.hours import DAY_NAMES, validate_hours
from callback.schemas.constraints import OneOf, Text, worded
from callback.texts import LANGUAGES
from callback.texts.widget import OVERRIDABLE
from callback.widgets import display, theme

RING_STRATEGIES = ("sequential", "round_robin", "simultaneous")


def _region(value: Any) -> str:
    code = value.upper() if isinstance(value, str) else ""
    if code not in phonenumbers.SUPPORTED_REGIONS:
        raise ValueError(f"{value!r} is not a two-letter country code")
    return code


def _origin(value: Any) -> str:
    parts = urlsplit(value if isinstance(value, str) else "")
    exact = f"{parts.scheme}://{parts.netloc}"
    if parts.scheme not in {"http", "https"} or not parts.netloc or value != exact or "*" in value:
        raise ValueError(f"{value!r} is not an exact origin such as https://www.example.com")
    return exact


def _e164(value: Any) -> str:
    try:
        number = phonenumbers.parse(value if isinstance(value, str) else "", None)
    except NumberParseException:
        raise ValueError("must be a phone number in international format, like +44...") from None
    if not phonenumbers.is_valid_number(number):
        raise ValueError("is not a valid phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _timezone(value: Any) -> str:
    try:
        ZoneInfo(str(value))
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: longer than a file name
        raise ValueError(f"{value!r} is not a time zone name such as Europe/Warsaw") from None
    return str(value)


def _http_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise ValueError("must be an http(s) URL")
    return value


def _email_address(value: Any) -> str:
    # The shape of an address, not its existence: a bounce tells the owner the rest.
    text = value.strip() if isinstance(value, str) else ""
    local, at, domain = text.rpartition("@")
    labels = domain.split(".")
    if (
        not at
        or not local
        or len(text) > 254
        or any(c.isspace() or ord(c) < 32 or c in '<>,;"' for c in text)
        or len(labels) < 2
        or not all(labels)
    ):
        raise ValueError(f"{value!r} is not an e-mail address such as alerts@example.com")
    return text


def _holidays_region(value: Any) -> str:
    country, _, subdivision = str(value).upper().partition("-")
    supported = holidays.list_supported_countries()
    if country not in supported or (subdivision and subdivision not in supported[country]):
        raise ValueError(f"{value!r} is not a country (or country-subdivision) with holidays")
    return f"{country}-{subdivision}" if subdivision else country


def _iso_date(value: Any) -> date:
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ValueError(f"{value!r} is not a date like 2026-12-24") from None


Name = Annotated[str, Text(200)]
Team = Annotated[str, Text(64)]
Region = Annotated[str, Field(pattern="^[A-Za-z]{2}$", examples=["GB"]), BeforeValidator(_region)]
Origin = Annotated[str, Field(examples=["https://www.example.com"]), BeforeValidator(_origin)]
E164 = Annotated[str, Field(examples=["+442079460001"]), BeforeValidator(_e164)]
TimeZone = Annotated[str, Field(examples=["Europe/London"]), BeforeValidator(_timezone)]
Url = Annotated[str, MaxLen(2048), AfterValidator(_http_url), worded("must be an http(s) URL")]
EmailAddress = Annotated[
    str, Field(examples=["alerts@example.com"]), BeforeValidator(_email_address)
]
HolidaysRegion = Annotated[str, Field(examples=["GB"]), BeforeValidator(_holidays_region)]
IsoDate = Annotated[date, BeforeValidator(_iso_date)]
Language = Annotated[str, OneOf(*LANGUAGES)]
RingStrategy = Annotated[str, OneOf(*RING_STRATEGIES)]
NumberType = Annotated[
    str,
    OneOf(
        *sorted(NUMBER_TYPE_NAMES.values()),
        refusal=lambda value: f"{value!r} is not a phonenumbers number type name",
    ),
]
# {"mon": [["09:00", "17:00"]], ...}: a day left out is closed.
Period = Annotated[list[Annotated[str, Field(examples=["09:00"])]], MinLen(2), MaxLen(2)]
WeeklyHours = Annotated[
    dict[Annotated[str, OneOf(*DAY_NAMES)], list[Period]], BeforeValidator(validate_hours)
]
Colour = Annotated[str, Field(examples=[theme.DEFAULT_COLOUR]), BeforeValidator(theme.colour)]
Corner = Annotated[str, OneOf(*theme.POSITIONS)]
# {"pl": {"open": "Oddzwonimy"}}: reworded labels per language.
ThemeTexts = Annotated[
    dict[Language, dict[Annotated[str, OneOf(*OVERRIDABLE)], str]],
    BeforeValidator(theme.texts),
]
# A page path, `*` standing for any characters: "/pricing*".
PathPattern = Annotated[str, Field(examples=["/pricing*"]), BeforeValidator(display.path_pattern)]
DisplayAction = Annotated[str, OneOf(*display.ACTIONS)]
