"""A widget's display rules: whether it nudges or opens on its own, when, and on which pages.

The rules run in the visitor's browser (callback/static/widget.js), at most once per
visit (sessionStorage). Any one trigger set fires the action: a time on the page, exit
intent (desktop), a scroll depth. Paths narrow the pages; no paths: every page. A rule
with no trigger never fires.
"""

from __future__ import annotations

import re
from typing import Any

ACTIONS = ("none", "nudge", "open")
MAX_PATH_LENGTH = 200
MAX_PATHS = 20
# "/pricing", "/pricing*", "/blog/*/comments": a path, `*` standing for any characters.
PATH_PATTERN = re.compile(r"^/[^\s?#]*$")


def path_pattern(value: Any) -> str:
    """Accept a page path pattern such as /pricing* (admin API validator)."""
    if not isinstance(value, str) or len(value) > MAX_PATH_LENGTH or not PATH_PATTERN.match(value):
        raise ValueError(
            f"{value!r} is not a path pattern such as /pricing* "
            f"(starts with /, no spaces, ? or #, at most {MAX_PATH_LENGTH} characters)"
        )
    return value


def display_rules(widget: Any) -> dict[str, Any]:
    """Return the widget's display rules as the widget script reads them."""
    return {
        "action": widget.display_action or ACTIONS[0],
        "after_seconds": widget.display_after_seconds,
        "exit_intent": bool(widget.display_on_exit_intent),
        "scroll_percent": widget.display_scroll_percent,
        "paths": list(widget.display_paths or []),
    }
