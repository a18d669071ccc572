"""The embeddable script stays small and talks to nobody but its own server."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

from callback.widgets.theme import contrast, text_colour

SCRIPT = Path(__file__).resolve().parents[2] / "callback" / "static" / "widget.js"
MAX_GZIPPED_BYTES = 20 * 1024


def test_widget_script_is_under_20_kb_gzipped() -> None:
    size = len(gzip.compress(SCRIPT.read_bytes(), compresslevel=9))
    assert size < MAX_GZIPPED_BYTES, f"widget.js is {size} bytes gzipped"


def test_widget_script_names_no_other_host() -> None:
    code = re.sub(r"/\*.*?\*/", "", SCRIPT.read_text(), flags=re.DOTALL)
    assert re.findall(r"https?://|//[a-z0-9.-]+\.[a-z]{2,}/", code) == []


def test_widget_script_writes_no_html_from_data() -> None:
    # Texts come from the server and a widget's owner: they go in as text, never markup.
    assert "innerHTML" not in SCRIPT.read_text()


def test_text_colour_meets_wcag_aa_on_any_theme_colour() -> None:
    for colour in ("#000000", "#ffffff", "#777777", "#1d4ed8", "#ffd400", "#ff0000", "#00ff00"):
        assert contrast(colour, text_colour(colour)) >= 4.5, colour
