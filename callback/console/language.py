"""The console's language: the account's choice, else the browser's (English or Polish).

Texts are keys in callback/texts, as everywhere; Flask-Babel looks them up there, and
Flask-Security's own texts (sign-in errors, second-factor pages) come in the same
language from its catalogs.
"""

from __future__ import annotations

from flask import Flask, request, session
from flask_babel import Babel
from flask_login import current_user

from callback.texts import CATALOG_DIR, DEFAULT_LANGUAGE, LANGUAGES, offered


def console_language() -> str:
    asked = offered(request.args.get("lang"))
    if asked:
        session["lang"] = asked  # the choice lasts past the next form post
        return asked
    if current_user.is_authenticated:
        return str(current_user.language)
    chosen = offered(session.get("lang"))
    return chosen or request.accept_languages.best_match(LANGUAGES) or DEFAULT_LANGUAGE


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(CATALOG_DIR))
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LANGUAGE)
    Babel(app, locale_selector=console_language)
