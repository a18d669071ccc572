"""The one rule for a text the service stores and shows: no control characters.

PostgreSQL cannot store a NUL in a text column (the insert fails, a 500), and the other
control characters (C0, DEL, C1) only hide or garble what a name or a reason shows.
The admin API's models (schemas.constraints.Text) and the domain's own checks of names
and reasons use this rule; a text of several lines may keep its line breaks and tabs.
"""

from __future__ import annotations

import re

CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
CONTROL_BUT_LINES = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def has_control_characters(text: str, *, lines: bool = False) -> bool:
    """Return whether `text` holds a control character (line breaks and tabs pass if `lines`)."""
    return bool((CONTROL_BUT_LINES if lines else CONTROL).search(text))
