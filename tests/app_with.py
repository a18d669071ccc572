"""An app built from its own settings, for tests that need more than the `app` fixture."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask, g
from sqlalchemy import Engine

from callback import create_app


@contextmanager
def app_with(config: dict[str, Any], engine: Engine) -> Iterator[Flask]:
    """Yield an app made from `config`, its sessions inside a rolled-back transaction."""
    app = create_app(config)
    # The test's one app context (held for its shared database session) would otherwise
    # carry one request's signed-in user and CSRF token into the next, whichever test
    # client sends it. In service every request has an app context of its own.
    app.before_request_funcs.setdefault(None, []).insert(0, _forget_the_last_request)
    connection = engine.connect()
    transaction = connection.begin()
    app.extensions["db"].bind_to(connection)
    try:
        with app.app_context():
            yield app
    finally:
        transaction.rollback()
        connection.close()
        app.extensions["db"].engine.dispose()


def _forget_the_last_request() -> None:
    for name in ("_login_user", "csrf_token"):
        g.pop(name, None)
