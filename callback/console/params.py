"""Ids as the console reads them from query strings and forms.

`str.isdigit()` says yes to "²" (which `int()` refuses) and to twenty digits (which no
integer column holds), so a typed or tampered id is read here, once, by one rule.
"""

from __future__ import annotations

import re

# Nine digits at most: every such number fits the 32-bit id columns (see
# security/converters.py for the same bound on ids in a URL path).
ID = re.compile(r"[1-9][0-9]{0,8}")


def whole_id(value: str | None) -> int | None:
    """Return `value` as an id if it is plain ASCII digits a row id can be, else None."""
    if value is None or not ID.fullmatch(value):
        return None
    return int(value)
