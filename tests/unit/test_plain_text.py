"""The one rule for text that is stored and shown: no control characters."""

from __future__ import annotations

import pytest

from callback.texts.plain import has_control_characters


@pytest.mark.parametrize(
    "text", ["Ada", "Zofia Żółć", "O'Brien \u2013 sales", "", "emoji \U0001f600"]
)
def test_ordinary_text_passes(text: str) -> None:
    assert not has_control_characters(text)


@pytest.mark.parametrize("text", ["a\x00b", "\x01", "tab\there", "line\nbreak", "\x7f", "\x9b"])
def test_any_control_character_is_caught(text: str) -> None:
    assert has_control_characters(text)


def test_lines_may_allow_line_breaks_and_tabs_but_never_a_nul() -> None:
    assert not has_control_characters("one\r\ntwo\tthree", lines=True)
    assert has_control_characters("one\x00two", lines=True)
    assert has_control_characters("bell\x07", lines=True)
