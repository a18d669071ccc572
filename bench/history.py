"""Flat with history (issue 21, point 3): eight operations, on an empty database and a full one.

    python -m bench.history [--finished 1000000] [--pending 10000] [--agents 500] [--rounds 10]

Measures a submission (form POST), a status callback, a dial job, one reconciler pass,
one retention pass, `callback queue-health`, the ops page's data (/ops/data, what /ops
polls) and a data-subject export on a database holding one widget and its team of ten
agents. Then it loads the history: `--finished` ended requests over the last year with
their call legs, status events and report rows (bench/report_history.py, server-side
SQL), `--pending` requests scheduled for the next six days with their dial jobs in
Redis, and agents up to `--agents` in teams of ten. After ANALYZE, the same operations
again. Every operation runs in this process on one app (Flask's test client, the job
functions, the CLI runner), the same way in both phases; the dial job's Twilio is the
sandbox, whose phones never answer. The operations take turns: `--rounds` rounds, each
running every operation a few times. Prints the median of each, empty against full,
whether full is within 1.5x, and EXPLAIN (ANALYZE, BUFFERS) of every statement of the
periodic jobs on the full database. Exits 1 if an operation is not within 1.5x.

PostgreSQL database `bench_history` and Redis db 13 (BENCH_HISTORY_DATABASE_URL,
BENCH_HISTORY_REDIS_URL); `createdb -h 127.0.0.1 -U postgres bench_history` first.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from twilio.request_validator import RequestValidator

from bench import history_data as data
from bench import history_plans
from bench.env import BenchEnv, add_env_option
from bench.fixtures import ORIGIN
from bench.procs import free_port, sandbox, unanswered_phones
from bench.stats import median, percentile
from callback import create_app
from callback.models import RequestStatus, utcnow
from callback.privacy.export import abuse_limit_keys
from callback.settings import SANDBOX_AUTH_TOKEN
from workers.dial import dial
from workers.queues import calls_queue
from workers.reconcile import reconcile
from workers.retention import run_retention

DATABASE_URL = os.environ.get(
    "BENCH_HISTORY_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1/bench_history"
)
REDIS_URL = os.environ.get("BENCH_HISTORY_REDIS_URL", "redis://127.0.0.1:6379/13")
# Nothing listens there: the sandbox's status callbacks are refused at once.
PUBLIC_BASE_URL = "http://127.0.0.1:9"
ADMIN_TOKEN = "bench-history-admin-token-0123456789"  # noqa: S105 - a benchmark's own token
LIMIT = 1.5
# How many times each operation runs in one round (the rounds take turns).
PER_ROUND = {
    "submission (form POST)": 40,
    "status callback": 40,
    "dial job": 20,
    "reconciler pass": 6,
    "retention pass": 6,
    "callback queue-health": 10,
    "ops page (/ops/data)": 10,
    "data-subject export": 10,
    "  export's Redis keys": 10,
}


@dataclass
class HistoryEnv(BenchEnv):
    """The benchmark environment, on its own database and Redis db."""

    embedded: bool = False

    @property
    def database_url(self) -> str:
        return DATABASE_URL

    @property
    def redis_url(self) -> str:
        return REDIS_URL


@dataclass
class Bench:
    env: HistoryEnv
    app: Flask
    client: FlaskClient
    key: str
    widget_id: int
    numbers: Iterator[str]
    subject: str = ""
    results: dict[str, Counter[str]] = field(default_factory=dict)

    def note(self, operation: str, result: Any) -> None:
        self.results.setdefault(operation, Counter())[str(result)] += 1


def timed(run: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = run()
    return time.perf_counter() - started, result


def admin() -> dict[str, str]:
    return {"Authorization": f"Bearer {ADMIN_TOKEN}"}


def submissions(bench: Bench, count: int) -> list[float]:
    path = f"/api/v1/widgets/{bench.key}/callbacks"
    times, ids = [], []
    for _ in range(count):
        body = {"phone": next(bench.numbers), "consent": True}
        seconds, answer = timed(
            partial(bench.client.post, path, json=body, headers={"Origin": ORIGIN})
        )
        assert answer.status_code == 202, answer.get_data(as_text=True)
        times.append(seconds)
        ids.append(uuid.UUID(answer.get_json()["id"]))
    data.end_requests(bench.env.engine, ids)
    calls_queue(bench.env.redis()).empty()  # their dial jobs: no worker runs here
    return times


def status_callbacks(bench: Bench, count: int) -> list[float]:
    legs = data.legs_at_twilio(bench.env.engine, bench.widget_id, bench.numbers, count)
    validator = RequestValidator(SANDBOX_AUTH_TOKEN)
    times = []
    for attempt_id, sid in legs:
        path = f"/twilio/attempts/{attempt_id}/status"
        form = {"CallSid": sid, "CallStatus": "ringing", "SequenceNumber": "1"}
        headers = {"X-Twilio-Signature": validator.compute_signature(PUBLIC_BASE_URL + path, form)}
        seconds, answer = timed(partial(bench.client.post, path, data=form, headers=headers))
        assert answer.status_code == 204, answer.get_data(as_text=True)
        times.append(seconds)
    data.end_requests(bench.env.engine, data.ids_of_legs(bench.env.engine, [a for a, _ in legs]))
    return times


def dial_jobs(bench: Bench, count: int) -> list[float]:
    ids = data.queued_requests(
        bench.env.engine, bench.widget_id, bench.numbers, count, RequestStatus.QUEUED
    )
    times = []
    for request_id in ids:
        with bench.app.app_context():
            seconds, result = timed(partial(dial, str(request_id)))
        bench.note("dial job", result)
        times.append(seconds)
        data.end_requests(bench.env.engine, [request_id])  # its agent is free for the next
    return times


def in_app(operation: str, job: Callable[[], Any]) -> Callable[[Bench, int], list[float]]:
    def run(bench: Bench, count: int) -> list[float]:
        times = []
        for _ in range(count):
            with bench.app.app_context():
                seconds, result = timed(job)
            bench.note(operation, result)
            times.append(seconds)
        return times

    return run


def queue_health(bench: Bench, count: int) -> list[float]:
    runner = bench.app.test_cli_runner()
    times = []
    for _ in range(count):
        seconds, result = timed(lambda: runner.invoke(args=["queue-health"]))
        assert "time to ring" in result.output, result.output
        bench.note("callback queue-health", f"exit {result.exit_code}")
        times.append(seconds)
    return times


def ops_page(bench: Bench, count: int) -> list[float]:
    times = []
    for _ in range(count):
        seconds, answer = timed(lambda: bench.client.get("/ops/data", headers=admin()))
        assert answer.status_code == 200, answer.get_data(as_text=True)
        times.append(seconds)
    return times


def exports(bench: Bench, count: int) -> list[float]:
    path = "/api/v1/admin/privacy/export"
    times = []
    for _ in range(count):
        seconds, answer = timed(
            lambda: bench.client.post(path, json={"phone": bench.subject}, headers=admin())
        )
        assert answer.status_code == 200, answer.get_data(as_text=True)
        bench.note("data-subject export", f"{len(answer.get_json()['requests'])} request(s)")
        times.append(seconds)
    return times


def key_reads(bench: Bench, count: int) -> list[float]:
    """Time the export's read of the number's Redis keys (part of the export): its index
    and whether each key named there exists; before the index, a SCAN of every key."""
    times = []
    redis = bench.env.redis()
    with bench.app.app_context():
        for _ in range(count):
            seconds, _keys = timed(partial(abuse_limit_keys, redis, bench.subject))
            times.append(seconds)
    redis.close()
    return times


OPERATIONS: dict[str, Callable[[Bench, int], list[float]]] = {
    "submission (form POST)": submissions,
    "status callback": status_callbacks,
    "dial job": dial_jobs,
    "reconciler pass": in_app("reconciler pass", reconcile),
    "retention pass": in_app("retention pass", run_retention),
    "callback queue-health": queue_health,
    "ops page (/ops/data)": ops_page,
    "data-subject export": exports,
}
# Not one of the eight: where an export's time goes.
PARTS: dict[str, Callable[[Bench, int], list[float]]] = {
    "  export's Redis keys": key_reads,
}


def measure(bench: Bench, rounds: int) -> dict[str, list[float]]:
    """Run every operation once untimed, then `rounds` rounds of each in turn."""
    bench.subject = next(bench.numbers)
    data.queued_requests(
        bench.env.engine, bench.widget_id, iter([bench.subject]), 1, RequestStatus.SCHEDULED
    )
    measured = {**OPERATIONS, **PARTS}
    for run in measured.values():
        run(bench, 1)
    bench.results.clear()
    samples: dict[str, list[float]] = {name: [] for name in measured}
    for _ in range(rounds):
        for name, run in measured.items():
            samples[name] += run(bench, PER_ROUND[name])
    for name, results in bench.results.items():
        print(f"  {name}: {dict(results)}")
    return samples


def describe(env: HistoryEnv) -> None:
    with env.engine.connect() as connection:
        data.report_history.print_sizes(connection, (*data.report_history.TABLES, "agents"))
    redis = env.redis()
    print(f"  Redis db keys: {redis.dbsize():,}")
    redis.close()


def fill(env: HistoryEnv, app: Flask, widget_id: int, args: argparse.Namespace) -> None:
    """Empty the request tables, then load agents, history and pending work; print times."""
    env.clear_requests()
    started = time.perf_counter()
    now = utcnow()
    print(f"  agents added: {data.add_other_agents(env.engine, args.agents)}")
    for line in data.load_finished(env.engine, widget_id, args.finished, now):
        print(f"  {line}")
    with app.app_context():
        for line in data.load_pending(env.engine, widget_id, args.pending, now):
            print(f"  {line}")
    print(
        f"loaded in {time.perf_counter() - started:.1f} s, ANALYZE {data.analyze(env.engine):.1f} s"
    )


def table(
    empty: dict[str, list[float]], again: dict[str, list[float]], full: dict[str, list[float]]
) -> bool:
    """Print each operation's medians; the empty figure pools both empty runs."""
    print("\nmedians in ms; empty = both empty runs pooled (before / after the full run)")
    print(
        f"{'operation':<26}{'empty':>9}{'before':>9}{'after':>9}{'full':>9}{'ratio':>7}"
        f"{'full p95':>10}  within {LIMIT}x?"
    )
    flat = True
    for name in (*OPERATIONS, *PARTS):
        pooled = empty[name] + again[name]
        before, after = median(pooled), median(full[name])
        ratio = after / before
        within = ratio <= LIMIT
        if name in OPERATIONS:
            flat &= within
        print(
            f"{name:<26}{before * 1000:>9.2f}{median(empty[name]) * 1000:>9.2f}"
            f"{median(again[name]) * 1000:>9.2f}{after * 1000:>9.2f}{ratio:>7.2f}"
            f"{percentile(full[name], 0.95) * 1000:>10.2f}  {'yes' if within else 'NO'}"
        )
    return flat


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    add_env_option(parser)
    parser.add_argument("--finished", type=int, default=1_000_000)
    parser.add_argument("--pending", type=int, default=10_000)
    parser.add_argument("--agents", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args()
    if args.embedded:
        print("history: PostgreSQL only (server-side generate_series loads); skipped")
        return 0
    if not 0 <= args.pending <= 12_000 or not data.TEAM <= args.agents <= 1000:
        parser.error("--pending: 0-12,000 (fictional numbers); --agents: 10-1,000")
    env = HistoryEnv()
    env.reset()
    key, widget_id = data.make_base(env.engine)
    print(
        f"history: {args.finished:,} finished, {args.pending:,} pending, {args.agents} agents; "
        f"{args.rounds} rounds of {PER_ROUND}; logs in {env.work_dir}"
    )
    with ExitStack() as stack:
        sandbox_url = stack.enter_context(
            sandbox(
                env.process_env(**unanswered_phones(env.work_dir)),
                env.work_dir / "sandbox.log",
                free_port(),
            )
        )
        config = env.app_config(
            PUBLIC_BASE_URL=PUBLIC_BASE_URL,
            TWILIO_API_BASE_URL=sandbox_url,
            ADMIN_TOKENS=[ADMIN_TOKEN],
        )
        app = create_app(config)

        def bench() -> Bench:
            numbers = iter(data.measured_numbers(args.pending))
            return Bench(env, app, app.test_client(), key, widget_id, numbers)

        print("empty database:")
        empty = measure(bench(), args.rounds)
        print("loading the history:")
        fill(env, app, widget_id, args)
        describe(env)
        print("full database:")
        full = measure(bench(), args.rounds)
        request_id = data.queued_requests(
            env.engine, widget_id, iter(data.measured_numbers(args.pending)[-1:]), 1,
            RequestStatus.QUEUED,
        )[0]  # fmt: skip
        subject = {"phone": data.measured_numbers(args.pending)[0]}
        more: dict[str, Callable[[], Any]] = {
            "dial job": partial(dial, str(request_id)),
            "data-subject export": partial(
                app.test_client().post, "/api/v1/admin/privacy/export", json=subject,
                headers=admin(),
            ),
        }  # fmt: skip
        history_plans.print_plans(app, env.engine, more)
        print("\nempty database again (the history emptied; the machine may have changed):")
        data.empty_again(env)
        again = measure(bench(), args.rounds)
    flat = table(empty, again, full)
    env.close()
    return 0 if flat else 1


if __name__ == "__main__":
    sys.exit(main())
