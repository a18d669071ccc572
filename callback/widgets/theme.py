"""A widget's look: colour, corner and reworded texts, checked on the way in.

The text colour on the widget's colour is chosen here, black or white, whichever
contrasts more; that pair always meets WCAG AA (4.5:1) whatever colour the owner picks.
"""

from __future__ import annotations

import re
from typing import Any

from callback.texts import LANGUAGES
from callback.texts.widget import OVERRIDABLE

DEFAULT_COLOUR = "#1d4ed8"
POSITIONS = ("bottom-right", "bottom-left")
HEX_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
MAX_TEXT_LENGTH = 300


def _luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(first: str, second: str) -> float:
    """Return the WCAG contrast ratio of two #rrggbb colours."""
    light, dark = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def text_colour(background: str) -> str:
    """Return black or white, whichever reads better on `background`."""
    return (
        "#ffffff"
        if contrast(background, "#ffffff") >= contrast(background, "#000000")
        else "#000000"
    )


def theme(widget: Any) -> dict[str, str]:
    """Return the widget's colours and corner as the widget script uses them."""
    colour = widget.theme_color or DEFAULT_COLOUR
    return {
        "colour": colour,
        "text_colour": text_colour(colour),
        "position": widget.theme_position or POSITIONS[0],
    }


def colour(value: Any) -> str:
    """Accept a #rrggbb colour (admin API validator)."""
    if not isinstance(value, str) or not HEX_COLOUR.match(value):
        raise ValueError(f"{value!r} is not a colour such as #1d4ed8")
    return value.lower()


def position(value: Any) -> str:
    """Accept a corner of the page (admin API validator)."""
    if value not in POSITIONS:
        raise ValueError("must be one of " + ", ".join(POSITIONS))
    return str(value)


def texts(value: Any) -> dict[str, dict[str, str]]:
    """Accept {"pl": {"open": "Oddzwonimy"}}: reworded labels per language (validator)."""
    if not isinstance(value, dict):
        raise ValueError('must be an object such as {"en": {"open": "Call me"}}')
    for language, labels in value.items():
        if language not in LANGUAGES or not isinstance(labels, dict):
            raise ValueError(f"{language!r} is not one of " + ", ".join(LANGUAGES))
        for name, label in labels.items():
            if name not in OVERRIDABLE:
                raise ValueError(f"{name!r} is not one of " + ", ".join(OVERRIDABLE))
            if not isinstance(label, str) or not 0 < len(label.strip()) <= MAX_TEXT_LENGTH:
                raise ValueError(f"{language}.{name} must be text of 1 to {MAX_TEXT_LENGTH}")
    return value
