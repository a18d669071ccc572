"""The migrations build exactly the schema the models describe."""

from __future__ import annotations

from sqlalchemy import Engine

from callback.migrate import pending_model_changes


def test_models_and_migrations_agree(engine: Engine) -> None:
    with engine.connect() as connection:
        assert pending_model_changes(connection) == []
