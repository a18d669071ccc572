"""Country metadata the widget needs to format and pre-check numbers without a library.

Taken from phonenumbers (libphonenumber's data) so the browser formats numbers the
way the server parses them; the server still decides.
"""

from __future__ import annotations

from typing import Any

import phonenumbers
from babel import Locale
from phonenumbers import PhoneMetadata, PhoneNumberFormat


def country_name(region: str, language: str) -> str:
    """Return the country's name in `language` ("Wielka Brytania"), or its code."""
    return str(Locale.parse(language).territories.get(region, region))


def _example(region: str) -> str | None:
    number = phonenumbers.example_number(region)
    if number is None:
        return None
    return phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL)


def _formats(metadata: PhoneMetadata) -> list[dict[str, Any]]:
    return [
        {
            "pattern": f.pattern,
            # libphonenumber writes groups as \1; JavaScript's replace() wants $1.
            "format": (f.format or "").replace("\\", "$"),
            "leading": list(f.leading_digits_pattern),
            "national_rule": (f.national_prefix_formatting_rule or "").replace("\\", "$"),
        }
        for f in metadata.number_format
    ]


def country(region: str, language: str) -> dict[str, Any] | None:
    """Return one country's name, dialling code, national prefix, lengths and formats."""
    metadata = PhoneMetadata.metadata_for_region(region)
    if metadata is None or metadata.general_desc is None:
        return None
    return {
        "code": region,
        "name": country_name(region, language),
        "dial": str(metadata.country_code),
        "national_prefix": metadata.national_prefix or "",
        "lengths": sorted(metadata.general_desc.possible_length or ()),
        "example": _example(region),
        "formats": _formats(metadata),
    }


def countries(regions: list[str], language: str) -> list[dict[str, Any]]:
    """Return the metadata of `regions` in the order given, skipping unknown codes."""
    found = (country(region.upper(), language) for region in regions)
    return [entry for entry in found if entry is not None]
