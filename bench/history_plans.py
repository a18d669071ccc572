"""EXPLAIN (ANALYZE, BUFFERS) of every statement the periodic jobs send, as they send it.

Each job runs once in-process while `before_cursor_execute` records its statements and
parameters; each distinct statement is then explained with those parameters in a
transaction that is rolled back (so a retention UPDATE or DELETE changes nothing).
Each is explained twice: as the schema is, and with migration 0017's indexes dropped
inside that same rolled-back transaction (the plans before that migration).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask
from sqlalchemy import Engine, event

from workers import webhooks
from workers.alerts import send_digests, send_weekly_reports
from workers.reconcile import reconcile
from workers.retention import run_retention

Statement = tuple[str, Any]
EXPLAINED = ("SELECT", "UPDATE", "DELETE", "WITH")
# callback/migrations/versions/0017_history_indexes.py
INDEXES_0017 = (
    "ix_call_attempts_live",
    "ix_callback_requests_created_at",
    "ix_callback_requests_held_phone",
    "ix_callback_requests_held_since",
    "ix_callback_requests_ended_at",
    "ix_callback_requests_agent_ringing_at",
    "ix_callback_requests_connected_at",
    "ix_callback_requests_due",
    "ix_callback_requests_line",
    "ix_callback_requests_on_line",
)


def _queue_health(app: Flask) -> Callable[[], Any]:
    return lambda: app.test_cli_runner().invoke(args=["queue-health"])


def _ops_data(app: Flask) -> Callable[[], Any]:
    token = app.config["ADMIN_TOKENS"][0]
    return lambda: app.test_client().get("/ops/data", headers={"Authorization": f"Bearer {token}"})


def jobs(app: Flask) -> dict[str, Callable[[], Any]]:
    """Return the periodic jobs (cron's, and the health checks polled) by name."""
    return {
        "reconciler (cron, every 30 s)": reconcile,
        "retention (cron, every 5 min)": run_retention,
        "digests (cron)": send_digests,
        "weekly reports (cron)": send_weekly_reports,
        "webhook sweep (cron)": webhooks.sweep,
        "callback queue-health": _queue_health(app),
        "ops page data (/ops/data, polled)": _ops_data(app),
    }


@contextmanager
def recording(engine: Engine) -> Iterator[list[Statement]]:
    """Record every statement sent through `engine` with its parameters."""
    sent: list[Statement] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        sent.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", record)


def explain(engine: Engine, statement: str, parameters: Any, without: bool = False) -> str:
    """Return the plan of one statement, run and rolled back (`without` 0017's indexes)."""
    with engine.connect() as connection:
        transaction = connection.begin()
        try:
            for index in INDEXES_0017 if without else ():
                connection.exec_driver_sql(f"DROP INDEX IF EXISTS {index}")
            rows = connection.exec_driver_sql(
                "EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters or None
            ).all()
        finally:
            transaction.rollback()
    return "\n".join(row[0] for row in rows)


def print_plans(
    app: Flask, bench_engine: Engine, more: dict[str, Callable[[], Any]] | None = None
) -> None:
    """Run each periodic job (and `more`) once, then print the plan of each statement sent."""
    app_engine: Engine = app.extensions["db"].engine
    print("\nplans of the periodic jobs' statements on the full database:")
    for name, job in {**jobs(app), **(more or {})}.items():
        with recording(app_engine) as sent, app.app_context():
            job()
        seen: set[str] = set()
        print(f"\n=== {name}: {len(sent)} statements sent")
        for statement, parameters in sent:
            if not statement.lstrip().upper().startswith(EXPLAINED) or statement in seen:
                continue
            seen.add(statement)
            print(f"\n--- {' '.join(statement.split())[:400]}")
            print(f"    parameters: {_short(parameters)}")
            print(explain(bench_engine, statement, parameters))
            print("    without migration 0017's indexes:")
            print(explain(bench_engine, statement, parameters, without=True))


def _short(parameters: Any) -> str:
    text = repr(parameters)
    return text if len(text) < 300 else text[:300] + "..."
