"""Counting what one request costs: SQL statements sent and Redis commands received.

Counts do not depend on machine speed, so they make a stable test (see
tests/integration/test_query_counts.py) as well as a benchmark figure.
SQL is counted client-side with SQLAlchemy's `before_cursor_execute` event. Redis is
counted server-side with MONITOR (every client the app opens is seen: RQ, the rate
limiter's own pool, the caps), filtered to the app's db number; commands run inside
a Lua script are left out, since they cost no round trip.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from redis import Redis
from sqlalchemy import Connection, Engine, event

# Transaction control is not a query the code chose to make; SQLite's BEGIN IMMEDIATE
# goes through a cursor while PostgreSQL's BEGIN does not, so it is left out of counts.
TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK")


@dataclass
class Counts:
    """Statements and commands seen while the block ran."""

    sql: list[str] = field(default_factory=list)
    redis: list[str] = field(default_factory=list)

    @property
    def sql_count(self) -> int:
        return len(self.sql)

    @property
    def redis_count(self) -> int:
        return len(self.redis)

    @property
    def redis_round_trips(self) -> int:
        """Commands sent apart; a MULTI ... EXEC block travels as one."""
        trips, in_block = 0, False
        for command in self.redis:
            if command == "MULTI":
                in_block = True
            elif command == "EXEC":
                in_block = False
            if not in_block:
                trips += 1
        return trips

    def summary(self) -> str:
        verbs = [s.split(None, 1)[0].upper() for s in self.sql]
        return (
            f"sql={self.sql_count} {verbs} redis={self.redis_count} in "
            f"{self.redis_round_trips} round trips {self.redis}"
        )


@contextmanager
def count_sql(bind: Engine | Connection, counts: Counts) -> Iterator[None]:
    """Record every statement `bind` sends (transaction control aside) into `counts`.

    A Connection opened before the listener was added only reports to a listener on
    itself, which is why tests (whose sessions share one connection) pass that one.
    """

    def before(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not statement.lstrip().upper().startswith(TRANSACTION_CONTROL):
            counts.sql.append(" ".join(statement.split())[:120])

    event.listen(bind, "before_cursor_execute", before)
    try:
        yield
    finally:
        event.remove(bind, "before_cursor_execute", before)


@contextmanager
def count_redis(connection: Redis, counts: Counts) -> Iterator[None]:
    """Record the names of commands any client sends to `connection`'s db into `counts`."""
    db = int(connection.connection_pool.connection_kwargs.get("db", 0))
    marker = f"callback-count-end-{uuid.uuid4().hex}"
    # Two pooled connections up front (one becomes MONITOR's, one sends the marker), so
    # no connection set-up (its SELECT) is counted as the block's.
    pool = connection.connection_pool
    spare = [pool.get_connection() for _ in range(2)]
    for conn in spare:
        pool.release(conn)
    with connection.monitor() as monitor:
        try:
            yield
        finally:
            # MONITOR is a stream: a marker sent last tells where the block's commands end.
            connection.echo(marker)
            for seen in monitor.listen():
                command = str(seen["command"])
                if marker in command:
                    break
                if seen.get("client_type") == "lua" or int(seen["db"]) != db:
                    continue
                counts.redis.append(command.split(" ", 1)[0].upper())


@contextmanager
def counting(bind: Engine | Connection, connection: Redis) -> Iterator[Counts]:
    """Count SQL statements on `bind` and Redis commands on `connection`'s db."""
    counts = Counts()
    with count_redis(connection, counts), count_sql(bind, counts):
        yield counts
