"""Business hours as the console's forms take them: one text field per day of the week.

"09:00-12:00, 13:00-17:00" is two periods; commas or semicolons part them, and a hyphen,
an en dash or an em dash (with or without spaces) parts opening from closing, as people
type or paste them. What is not a period is kept as typed, for the admin API's model
(schemas.fields.WeeklyHours) to refuse in its own words beside the day's field.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from callback.schedule.hours import DAY_NAMES

PERIOD_SEPARATOR = re.compile(r"[,;]")
DASH = re.compile(r"\s*[-\u2013\u2014]\s*")


def periods(text: str) -> list[list[str]]:
    """Return one day's periods, [["09:00", "12:00"], ...], from what was typed."""
    pieces = [piece.strip() for piece in PERIOD_SEPARATOR.split(text)]
    return [DASH.split(piece) for piece in pieces if piece]


def weekly(values: Mapping[str, Any]) -> dict[str, list[list[str]]]:
    """Return {"mon": periods, ...} from the form's `hours_<day>` fields; empty days left out."""
    hours: dict[str, list[list[str]]] = {}
    for day in DAY_NAMES:
        found = periods(str(values.get(f"hours_{day}", "")))
        if found:
            hours[day] = found
    return hours
