"""Each report of a 30-day period on a year of history: ours, and the driver floor.

    python -m bench.reports [--requests 1000000] [--repeat 30] [--days 365] [--reuse]

Loads `--requests` ended requests of one widget over `--days` days, with their call legs,
status events and report rows (bench/report_history.py), then times each report
section of callback/reports/sections.py for the 30 days ending on the newest day:
through a SQLAlchemy session on an engine from callback.db.make_engine (ours), and
the same statements, captured from that session, through one raw psycopg connection
(the driver floor). Both pay the same BEGIN and ROLLBACK. Prints p50 and p95 of each,
whether p95 is under the issue's 300 ms, and EXPLAIN (ANALYZE, BUFFERS) of each
section's slowest statement. PostgreSQL only.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import psycopg
from sqlalchemy import Engine, event, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from bench import report_history
from bench.env import BenchEnv, add_env_option
from bench.fixtures import make_agents
from bench.stats import median, percentile
from callback.db import make_engine
from callback.models import RequestFact, Widget
from callback.reports import sections
from callback.reports.periods import Period, today_in

GOAL = 0.300  # seconds: the p95 for each report of a 30-day period
PERIOD_DAYS = 30
WARM_UPS = 3
AGENTS = 20
SECTIONS: dict[str, Callable[[Session, Widget, Period], Any]] = {
    "time_to_callback": sections.time_to_callback,
    "agents": sections.agents,
    "outcomes by page": lambda session, widget, period: sections.outcomes(
        session, widget, period, by="page"
    ),
    "outcomes by campaign": lambda session, widget, period: sections.outcomes(
        session, widget, period, by="campaign"
    ),
    "hours": sections.hours,
    "on_time": sections.on_time,
}
Statement = tuple[str, dict[str, Any]]


def load_history(env: BenchEnv, requests: int, days: int) -> Widget:
    """Empty the tables, then load the widget, its agents and its history; print the times."""
    env.reset()
    widget = report_history.make_widget(env.engine)
    make_agents(env.engine, AGENTS)
    last = today_in(report_history.WIDGET_ZONE) - timedelta(days=1)
    started = time.perf_counter()
    with env.engine.begin() as connection:
        for line in report_history.load(connection, widget.id, requests, days, last):
            print(f"  {line}")
    loaded = time.perf_counter() - started
    started = time.perf_counter()
    with env.engine.begin() as connection:
        connection.execute(text(f"ANALYZE {', '.join(report_history.TABLES)}"))
    print(f"loaded in {loaded:.1f} s, ANALYZE {time.perf_counter() - started:.1f} s")
    return widget


def loaded_widget(engine: Engine) -> Widget:
    """Return the widget an earlier run loaded (for --reuse)."""
    with Session(engine, expire_on_commit=False) as session:
        widget = session.scalars(
            select(Widget).where(Widget.name == report_history.WIDGET_NAME)
        ).one()
        session.expunge(widget)
        return widget


def describe(engine: Engine, widget: Widget, period: Period) -> None:
    """Print the row count and size of each table, and the requests in both periods."""
    with engine.connect() as connection:
        report_history.print_sizes(connection, report_history.TABLES)
        for name, days in (("measured", period), ("previous", period.previous())):
            count = connection.execute(
                select(func.count()).where(
                    RequestFact.widget_id == widget.id,
                    RequestFact.local_day.between(days.first, days.last),
                )
            ).scalar_one()
            print(f"  {name} period {days.first} to {days.last}: {count:,} requests")


def newest_period(engine: Engine, widget: Widget) -> Period:
    """Return the 30 days ending on the newest local day with a request."""
    with Session(engine) as session:
        last = session.scalar(
            select(func.max(RequestFact.local_day)).where(RequestFact.widget_id == widget.id)
        )
    assert last is not None, "no history loaded"
    return Period(last - timedelta(days=PERIOD_DAYS - 1), last)


@contextmanager
def captured(engine: Engine) -> Iterator[list[Statement]]:
    """Collect the statements (and their parameters) sent on `engine` inside the block."""
    statements: list[Statement] = []

    def keep(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        statements.append((statement, dict(parameters)))

    event.listen(engine, "before_cursor_execute", keep)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", keep)


def time_ours(
    factory: sessionmaker[Session], run: Callable[..., Any], widget: Widget, period: Period
) -> float:
    """Return the seconds one report takes: a new session, its queries and its figures."""
    started = time.perf_counter()
    with factory() as session:
        run(session, widget, period)
    return time.perf_counter() - started


def time_floor(
    connection: psycopg.Connection[Any], statements: list[Statement]
) -> tuple[float, list[float]]:
    """Run the statements, fetch every row and roll back; return the seconds, and each one's."""
    each = []
    started = time.perf_counter()
    with connection.cursor() as cursor:
        for statement, parameters in statements:
            sent = time.perf_counter()
            cursor.execute(statement, parameters)
            cursor.fetchall()
            each.append(time.perf_counter() - sent)
    connection.rollback()
    return time.perf_counter() - started, each


def explain(connection: psycopg.Connection[Any], statement: Statement) -> str:
    """Return EXPLAIN (ANALYZE, BUFFERS) of `statement` with its parameters inlined."""
    with psycopg.ClientCursor(connection) as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement[0], statement[1])
        plan = "\n".join(row[0] for row in cursor.fetchall())
    connection.rollback()
    return plan


def measure(
    engine: Engine, floor_url: str, widget: Widget, period: Period, repeat: int
) -> list[dict[str, Any]]:
    """Time every section, ours and the floor in turn, and explain its slowest statement."""
    factory = sessionmaker(bind=engine)
    results = []
    with psycopg.connect(floor_url) as floor:
        for name, run in SECTIONS.items():
            with captured(engine) as statements:
                time_ours(factory, run, widget, period)
            for _ in range(WARM_UPS):
                time_floor(floor, statements)
            for _ in range(WARM_UPS - 1):
                time_ours(factory, run, widget, period)
            # Turn about, so that a busy moment of the shared machine hits both alike.
            ours, runs = [], []
            for _ in range(repeat):
                ours.append(time_ours(factory, run, widget, period))
                runs.append(time_floor(floor, statements))
            each = [median([run[1][i] for run in runs]) for i in range(len(statements))]
            slowest = max(range(len(statements)), key=each.__getitem__)
            results.append(
                {
                    "name": name,
                    "statements": len(statements),
                    "ours": ours,
                    "floor": [run[0] for run in runs],
                    "slowest": (statements[slowest], each[slowest]),
                    "plan": explain(floor, statements[slowest]),
                }
            )
    return results


def report(results: list[dict[str, Any]], repeat: int) -> None:
    """Print the table of p50/p95, ours against the floor, and the verdicts."""
    print(f"\n{WARM_UPS} warm-ups, then {repeat} runs of each; milliseconds")
    print(
        f"  {'section':<21} {'SQL':>3}  {'ours p50':>8} {'p95':>7}  {'floor p50':>9} "
        f"{'p95':>7}  {'ours/floor p50':>14} {'p95':>5}  p95 < 300 ms"
    )
    for row in results:
        ours = [percentile(row["ours"], fraction) * 1000 for fraction in (0.5, 0.95)]
        floor = [percentile(row["floor"], fraction) * 1000 for fraction in (0.5, 0.95)]
        verdict = "yes" if ours[1] < GOAL * 1000 else "NO"
        print(
            f"  {row['name']:<21} {row['statements']:>3}  {ours[0]:>8.1f} {ours[1]:>7.1f}  "
            f"{floor[0]:>9.1f} {floor[1]:>7.1f}  {ours[0] / floor[0]:>14.2f} "
            f"{ours[1] / floor[1]:>5.2f}  {verdict}"
        )
    for row in results:
        (statement, parameters), seconds = row["slowest"]
        print(f"\n{row['name']}: slowest statement (floor median {seconds * 1000:.1f} ms)")
        print(f"  {' '.join(statement.split())}\n  {parameters}")
        print("\n".join(f"    {line}" for line in row["plan"].splitlines()))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    add_env_option(parser)
    parser.add_argument("--requests", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument(
        "--reuse", action="store_true", help="measure the history an earlier run loaded"
    )
    args = parser.parse_args()
    if args.embedded:
        print("reports: PostgreSQL only (generate_series, AT TIME ZONE); skipped")
        return 0
    env = BenchEnv(embedded=False)
    if args.reuse:
        print("reports: the history an earlier run loaded")
        widget = loaded_widget(env.engine)
    else:
        print(
            f"reports: one widget ({report_history.WIDGET_ZONE}), {AGENTS} agents, "
            f"{args.requests:,} ended requests over {args.days} days"
        )
        widget = load_history(env, args.requests, args.days)
    period = newest_period(env.engine, widget)
    describe(env.engine, widget, period)
    checked, differences = report_history.check_facts(env.engine, widget.id, period.last)
    print(
        f"report rows of {period.last} ({checked:,} requests and their agent legs) checked "
        "against callback/reports/facts.py: "
        + ("all equal" if not differences else f"{len(differences)} differences")
    )
    for line in differences[:10]:
        print(f"  {line}")
    print(f"load average before measuring: {os.getloadavg()[0]:.2f}")
    engine = make_engine(env.database_url)
    floor_url = make_url(env.database_url).set(drivername="postgresql")
    results = measure(
        engine, floor_url.render_as_string(hide_password=False), widget, period, args.repeat
    )
    report(results, args.repeat)
    engine.dispose()
    env.close()
    return 1 if differences else 0


if __name__ == "__main__":
    sys.exit(main())
