"""Pooled connections the server has closed are replaced at checkout, not used."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, text

from callback.db import make_engine


def test_a_connection_the_server_ended_is_replaced_before_use(database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite has no server to end a connection")
    engine: Engine = make_engine(database_url)
    other: Engine = make_engine(database_url)
    try:
        with engine.connect() as first:
            victim = first.scalar(text("SELECT pg_backend_pid()"))
        with other.connect() as admin:
            # With a timeout the server answers once the backend has exited (PostgreSQL
            # 14+), so its goodbye is on the pooled socket before the checkout looks.
            ended = admin.scalar(text("SELECT pg_terminate_backend(:pid, 20000)"), {"pid": victim})
            assert ended
        # The pool holds the ended connection; the checkout must notice without a query.
        with engine.connect() as second:
            assert second.scalar(text("SELECT pg_backend_pid()")) != victim
        assert engine.pool.status().count("Current Checked out connections: 0") == 1
    finally:
        engine.dispose()
        other.dispose()
