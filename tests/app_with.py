"""An app built from its own settings, for tests that need more than the `app` fixture."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask
from sqlalchemy import Engine

from callback import create_app


@contextmanager
def app_with(config: dict[str, Any], engine: Engine) -> Iterator[Flask]:
    """Yield an app made from `config`, its sessions inside a rolled-back transaction."""
    app = create_app(config)
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
