"""The message catalogs: every key in code has words in English and Polish, compiled."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from callback.texts import CATALOG_DIR, LANGUAGES, translate

ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER = re.compile(r"\{[a-z_]*\}")


# Python marks keys with N_(); the console's templates look them up with _().
METHODS = [("**.py", "python"), ("**/templates/**.html", "jinja2")]


def _keys_in_code() -> set[str]:
    keys: set[str] = set()
    for folder in ("callback", "webhooks"):
        found = extract_from_dir(
            ROOT / folder,
            method_map=METHODS,
            keywords={"N_": None, "_": None},
            comment_tags=(),
            options_map={"**/templates/**.html": {"extensions": "jinja2.ext.do"}},
        )
        keys.update(str(message) for _file, _line, message, _comments, _context in found)
    return keys


def _catalog(language: str, kind: str) -> dict[str, str]:
    path = CATALOG_DIR / language / "LC_MESSAGES" / f"messages.{kind}"
    with path.open("rb") as file:
        catalog = read_po(file) if kind == "po" else read_mo(file)
    return {str(m.id): str(m.string) for m in catalog if m.id}


def test_code_marks_the_keys_it_uses() -> None:
    keys = _keys_in_code()
    assert {"error.invalid_number", "voice.whisper", "form.title", "widget.open"} <= keys
    assert {"console.nav.home", "console.sign_in.submit"} <= keys  # from Python and a template


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_key_in_code_has_a_text_in_each_language(language: str) -> None:
    catalog = _catalog(language, "po")
    missing = sorted(key for key in _keys_in_code() if not catalog.get(key))
    assert missing == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_compiled_catalog_matches_its_source(language: str) -> None:
    # A .po edited without `pybabel compile` would be silently ignored at run time.
    assert _catalog(language, "mo") == _catalog(language, "po")


def test_both_languages_use_the_same_placeholders() -> None:
    english, polish = _catalog("en", "po"), _catalog("pl", "po")
    assert english.keys() == polish.keys()
    differing = [
        key
        for key in english
        if sorted(PLACEHOLDER.findall(english[key])) != sorted(PLACEHOLDER.findall(polish[key]))
    ]
    assert differing == []


def test_unknown_language_falls_back_to_english() -> None:
    assert translate("form.submit", "de-DE") == translate("form.submit", "en")
    assert translate("form.submit", "pl_PL") == "Zadzwońcie do mnie"


def test_a_key_without_text_is_an_error_not_a_blank() -> None:
    with pytest.raises(KeyError):
        translate("widget.no_such_text", "pl")
