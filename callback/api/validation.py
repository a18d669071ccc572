"""Checking admin JSON bodies field by field, with errors that name the field."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from phonenumbers import NumberParseException

from callback.errors import Invalid, Malformed
from callback.phones.policy import NUMBER_TYPE_NAMES

Validator = Callable[[Any], Any]
RING_STRATEGIES = ("sequential", "round_robin", "simultaneous")


def invalid(field: str, text: str) -> Invalid:
    """Return the 422 error for one bad field."""
    return Invalid("invalid_field", f"{field}: {text}", field)


def clean(body: Any, fields: Mapping[str, Validator], required: tuple[str, ...]) -> dict[str, Any]:
    """Return the body's known fields, validated; refuse unknown or missing ones."""
    if not isinstance(body, dict):
        raise Malformed("malformed_json", "The request body must be a JSON object.")
    for name in body:
        if name not in fields:
            raise invalid(name, "unknown field")
    for name in required:
        if body.get(name) in (None, ""):
            raise invalid(name, "is required")
    cleaned: dict[str, Any] = {}
    for name, value in body.items():
        try:
            cleaned[name] = fields[name](value)
        except ValueError as exc:
            raise invalid(name, str(exc)) from None
    return cleaned


def text(max_length: int) -> Validator:
    def check(value: Any) -> str:
        if not isinstance(value, str) or not value.strip():
            raise ValueError("must be a non-empty string")
        if len(value) > max_length:
            raise ValueError(f"must be at most {max_length} characters")
        return value.strip()

    return check


def optional(validator: Validator) -> Validator:
    return lambda value: None if value in (None, "") else validator(value)


def integer(low: int, high: int) -> Validator:
    def check(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ValueError(f"must be a whole number from {low} to {high}")
        return value

    return check


def boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError("must be true or false")
    return value


def one_of(*choices: str) -> Validator:
    def check(value: Any) -> str:
        if value not in choices:
            raise ValueError("must be one of " + ", ".join(choices))
        return str(value)

    return check


def list_of(item: Validator, max_items: int = 50) -> Validator:
    def check(value: Any) -> list[Any]:
        if not isinstance(value, list) or len(value) > max_items:
            raise ValueError(f"must be a list of at most {max_items} items")
        return [item(v) for v in value]

    return check


def region(value: Any) -> str:
    code = str(value).upper() if isinstance(value, str) else ""
    if code not in phonenumbers.SUPPORTED_REGIONS:
        raise ValueError(f"{value!r} is not a two-letter country code")
    return code


def origin(value: Any) -> str:
    """Accept an exact origin (scheme, host, optional port): no path, no wildcard."""
    parts = urlsplit(value if isinstance(value, str) else "")
    exact = f"{parts.scheme}://{parts.netloc}"
    if parts.scheme not in {"http", "https"} or not parts.netloc or value != exact or "*" in value:
        raise ValueError(f"{value!r} is not an exact origin such as https://www.example.com")
    return exact


def e164(value: Any) -> str:
    try:
        number = phonenumbers.parse(value if isinstance(value, str) else "", None)
    except NumberParseException:
        raise ValueError("must be a phone number in international format, like +44...") from None
    if not phonenumbers.is_valid_number(number):
        raise ValueError("is not a valid phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def timezone(value: Any) -> str:
    try:
        ZoneInfo(str(value))
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{value!r} is not a time zone name such as Europe/Warsaw") from None
    return str(value)


def number_type(value: Any) -> str:
    if value not in NUMBER_TYPE_NAMES.values():
        raise ValueError(f"{value!r} is not a phonenumbers number type name")
    return str(value)


def url(value: Any) -> str:
    parts = urlsplit(value if isinstance(value, str) else "")
    if parts.scheme not in {"http", "https"} or not parts.netloc or len(value) > 2048:
        raise ValueError("must be an http(s) URL")
    return str(value)


def holidays_region(value: Any) -> str:
    """Accept a country known to the holidays package, optionally with a subdivision."""
    import holidays  # noqa: PLC0415 - only admin edits need the country list

    country, _, subdivision = str(value).upper().partition("-")
    supported = holidays.list_supported_countries()
    if country not in supported or (subdivision and subdivision not in supported[country]):
        raise ValueError(f"{value!r} is not a country (or country-subdivision) with holidays")
    return f"{country}-{subdivision}" if subdivision else country


def iso_date(value: Any) -> str:
    try:
        return date.fromisoformat(str(value)).isoformat()
    except ValueError:
        raise ValueError(f"{value!r} is not a date like 2026-12-24") from None


def one_of_ints(*choices: int) -> Validator:
    def check(value: Any) -> int:
        if isinstance(value, bool) or value not in choices:
            raise ValueError("must be one of " + ", ".join(str(c) for c in choices))
        return int(value)

    return check
