"""Database engine and per-context sessions (one session per request or job)."""

from __future__ import annotations

import select
from typing import Any

from flask import Flask, current_app, g
from sqlalchemy import Engine, create_engine, event, exc
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, sessionmaker

# Dialects whose INSERT can skip a conflicting row itself (ON CONFLICT DO NOTHING).
UPSERT_INSERTS: dict[str, Any] = {"postgresql": postgresql_insert, "sqlite": sqlite_insert}


class Database:
    """Holds the engine and the session factory of one app."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self.sessionmaker = sessionmaker(bind=self.engine, expire_on_commit=False)

    def bind_to(self, bind: Any) -> None:
        """Make new sessions join `bind` (tests hand in a connection inside a transaction)."""
        self.sessionmaker = sessionmaker(
            bind=bind, expire_on_commit=False, join_transaction_mode="create_savepoint"
        )


def make_engine(url: str) -> Engine:
    """Return an engine for `url`; SQLite gets WAL and real transactions."""
    engine = create_engine(url, **_engine_options(url))
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
    else:
        event.listen(engine, "checkout", _drop_closed_connection)
    return engine


def _engine_options(url: str) -> dict[str, Any]:
    if url.startswith("sqlite"):
        # Web threads and job threads share the file; a busy writer waits instead of failing.
        return {"connect_args": {"timeout": 15, "check_same_thread": False}}
    return {"pool_size": 5, "max_overflow": 10}


def _drop_closed_connection(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    """Replace a pooled connection that the server has closed, without a round trip.

    The server sends nothing to an idle connection (no LISTEN here) except its goodbye
    when it shuts down or ends the session, so a readable socket means a dead connection.
    This replaces `pool_pre_ping`, whose SELECT 1 cost a round trip per request; the
    pool answers DisconnectionError by opening a fresh connection.
    """
    poller = select.poll()
    poller.register(dbapi_connection.fileno(), select.POLLIN)
    if poller.poll(0):
        raise exc.DisconnectionError("the database closed this pooled connection")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
    # pysqlite's own transaction handling skips BEGIN and breaks SAVEPOINT; SQLAlchemy
    # emits BEGIN itself instead (its documented recipe).
    dbapi_connection.isolation_level = None


def _sqlite_begin(connection: Any) -> None:
    # IMMEDIATE takes the write lock up front: two processes upgrading a read lock to a
    # write lock at once would otherwise fail at once instead of waiting.
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def init_app(app: Flask) -> None:
    """Attach the database to `app`; connections open on first use, not here."""
    app.extensions["db"] = Database(app.config["DATABASE_URL"])
    app.teardown_appcontext(_close_session)


def database(app: Flask | None = None) -> Database:
    """Return the app's Database."""
    db: Database = (app or current_app).extensions["db"]
    return db


def session() -> Session:
    """Return this app context's session, opening it on first use."""
    if "db_session" not in g:
        g.db_session = database().sessionmaker()
    current: Session = g.db_session
    return current


def _close_session(_exc: BaseException | None) -> None:
    current = g.pop("db_session", None)
    if current is not None:
        current.close()
