"""Visitor number policy: parse as typed, then refuse what must never be dialled."""

from __future__ import annotations

import re
from dataclasses import dataclass

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat, PhoneNumberType

from callback.texts.messages import message

# phonenumbers compiles its metadata's patterns on each use and relies on the re module's
# cache (512 patterns, oldest dropped first). Under gunicorn they were compiled again on
# every submission: a third of the form's CPU in py-spy. Its own cache keeps them; they
# are bounded by the metadata of the regions whose numbers are parsed.
phonenumbers.enable_pattern_cache()
MAX_TYPED_LENGTH = 64
# What a person may type around a number: digits, spaces, dots, dashes, brackets, slashes.
TYPED_CHARACTERS = re.compile(r"^[0-9+\s().\-/]*$")
NUMBER_TYPE_NAMES = {
    value: name
    for name, value in vars(PhoneNumberType).items()
    if name.isupper() and isinstance(value, int)
}


class PhoneRejected(Exception):
    """The typed number cannot be called; `code` is the API's error code."""

    def __init__(self, code: str, locale: str | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.message = message(code, locale)
        self.field = "phone"


@dataclass(frozen=True)
class VisitorNumber:
    e164: str
    country: str
    number_type: str


def parse_visitor_number(
    typed: str,
    default_region: str,
    allowed_countries: list[str],
    allowed_number_types: list[str],
    locale: str | None = None,
) -> VisitorNumber:
    """Return the number in E.164 with its country and type, or raise PhoneRejected."""
    text = (typed or "").strip()
    if not text:
        raise PhoneRejected("phone_required", locale)
    if len(text) > MAX_TYPED_LENGTH or not TYPED_CHARACTERS.match(text):
        raise PhoneRejected("invalid_number", locale)
    try:
        number = phonenumbers.parse(text, default_region.upper())
    except NumberParseException:
        raise PhoneRejected("invalid_number", locale) from None
    if not phonenumbers.is_valid_number(number):
        raise PhoneRejected("invalid_number", locale)
    country = phonenumbers.region_code_for_number(number) or "ZZ"
    if country not in {c.upper() for c in allowed_countries}:
        raise PhoneRejected("country_not_allowed", locale)
    number_type = NUMBER_TYPE_NAMES.get(phonenumbers.number_type(number), "UNKNOWN")
    if number_type not in allowed_number_types:
        raise PhoneRejected("number_type_not_allowed", locale)
    e164 = phonenumbers.format_number(number, PhoneNumberFormat.E164)
    return VisitorNumber(e164=e164, country=country, number_type=number_type)
