"""Visitor-facing texts in English and Polish, from gettext message catalogs.

Every text has a symbolic key ("error.invalid_number", "voice.whisper"); the catalogs
in this folder hold the words, English included, so no language lives in code. Modules
list the keys they use with `N_()`, which is what `pybabel extract` looks for.

    pybabel extract -F callback/texts/babel.cfg -k N_ --no-location --omit-header \
        -o callback/texts/messages.pot .
    pybabel update -i callback/texts/messages.pot -d callback/texts -w 100 \
        --no-fuzzy-matching --ignore-obsolete
    pybabel compile -d callback/texts

The compiled .mo files are committed; tests/unit/test_translations.py fails when one is
older than its .po, or when a key lacks a text or a placeholder in either language.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from babel.support import Translations

LANGUAGES = ("en", "pl")
DEFAULT_LANGUAGE = "en"
CATALOG_DIR = Path(__file__).resolve().parent
DOMAIN = "messages"


def N_(key: str) -> str:
    """Mark `key` for extraction; return it unchanged."""
    return key


def language_of(locale: str | None) -> str:
    """Return the offered language for a locale such as "pl-PL", else the default."""
    language = (locale or "").split("-")[0].split("_")[0].lower()
    return language if language in LANGUAGES else DEFAULT_LANGUAGE


def offered(locale: str | None) -> str | None:
    """Return the offered language for `locale`, or None when it is not offered."""
    language = (locale or "").split("-")[0].split("_")[0].lower()
    return language if language in LANGUAGES else None


@cache
def catalog(language: str) -> Translations:
    """Return the compiled catalog for an offered `language`."""
    loaded = Translations.load(str(CATALOG_DIR), [language], DOMAIN)
    if not isinstance(loaded, Translations):
        # Babel hands back an empty catalog for a missing .mo; every text would be its key.
        raise FileNotFoundError(f"no compiled catalog for {language!r} in {CATALOG_DIR}")
    return loaded


def translate(key: str, locale: str | None = None) -> str:
    """Return the text for `key` in the language of `locale`, falling back to English."""
    found = catalog(language_of(locale)).gettext(key)
    if found == key:
        found = catalog(DEFAULT_LANGUAGE).gettext(key)
    if found == key:
        raise KeyError(f"no text for {key!r} in the message catalogs")
    return found
