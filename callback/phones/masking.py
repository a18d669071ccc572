"""Masking numbers: a known number for display (`mask`), and anything shaped like a phone
number in free text (log lines, tracebacks)."""

from __future__ import annotations

import re

import phonenumbers
from phonenumbers import NumberParseException

MASK = "[phone]"

# Seven to seventeen digits, optionally led by + (or its URL encoding %2B) and split by
# spaces, dots, dashes or brackets: every way a person or a library writes a number.
# Not masked: digit runs inside words, ids and hex (UUIDs, call SIDs), after a dot
# (fractions), dates written 2026-11-27, IPv4 addresses, and a lone decimal such as a log
# line's time (10:31:08.630867) or a duration (1764558848.25) unless a + leads it: nobody
# writes a number as one dot between two digit runs, and "+44.2079460123" stays masked.
PHONE_SHAPED = re.compile(
    r"(?:\+|%2B|(?<![\w+.\-%])(?!\d+\.\d+(?!\d|[ .\-()]{1,3}\d)))"
    r"(?!\d{4}-\d\d-\d\d)"
    r"(?!\d{1,3}(?:\.\d{1,3}){3}(?![\d.]))"
    r"\(?\d(?:[ .\-()]{0,3}\d){6,16}"
    r"(?![\w\-])",
    re.IGNORECASE,
)


def mask_phone_shaped(text: str) -> str:
    """Return `text` with every phone-shaped run of digits replaced by a mask."""
    return PHONE_SHAPED.sub(MASK, text)


def has_phone_shaped(text: str) -> bool:
    """Return whether `text` holds anything shaped like a phone number."""
    return PHONE_SHAPED.search(text) is not None


def mask(e164: str | None) -> str | None:
    """Return the number with all but its country code and last two digits hidden."""
    if not e164:
        return None
    try:
        code = str(phonenumbers.parse(e164).country_code)
    except NumberParseException:
        return "***"
    hidden = len(e164) - 1 - len(code) - 2
    return f"+{code}{'*' * max(hidden, 0)}{e164[-2:]}"
