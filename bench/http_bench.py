"""Form endpoint and status webhook under gunicorn, against a bare Flask endpoint.

Both apps run with the Procfile's gunicorn settings (2 workers x 4 threads, --preload).
So does a third, the driver floor (bench/floor_app.py): the same statements and Redis
round trips through the raw drivers, which no implementation of the same I/O can beat.
For each: wrk at saturation (16 connections, closed loop) and a fixed open-loop rate
(300/s). Every form request carries a distinct fictional number and the tables are
emptied before each run, so every request validates, inserts and enqueues (dedupe finds
nothing). Each figure is the median of --repeat runs. The CPU seconds per request at
saturation, of the app's gunicorn processes and of the database's backends, say where
the machine's two cores went (bench/cpu.py).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path

from bench.cpu import Role, snapshot, used_since
from bench.env import BenchEnv, add_env_option
from bench.fixtures import ORIGIN, make_widget
from bench.load import Call, Result, open_loop, wrk
from bench.numbers import VISITOR_PREFIXES, visitor_numbers
from bench.procs import free_port, gunicorn
from bench.stats import median, ms
from bench.webhook_data import make_legs, signed_calls, write_lines

FLOOR_APP = "bench.floor_app:create_floor_app()"  # gunicorn calls the factory
LEGS = 6000  # x4 callbacks: more than a saturated run sends, so none repeats


# --limits: the abuse limits on, as production runs them, behind one trusted proxy. Each
# request comes from its own address (as bench/wrk/form.lua's BENCH_FORWARDED does) and
# carries its own number, so the limits count every request and refuse none; the
# widget's limit, which counts them all, is out of reach.
LIMITS_ON = {
    "RATELIMIT_ENABLED": "true",
    "TRUSTED_PROXY_HOPS": "1",
    "RATE_LIMIT_PER_WIDGET": f"{10**9}/hour",
}


def client_address(index: int) -> str:
    """Request `index`'s address, in 198.18.0.0/15 (the benchmarking range)."""
    return f"198.18.{index // 256}.{index % 256}"


def form_calls(key: str, forwarded: bool) -> list[Call]:
    headers = {"Content-Type": "application/json", "Origin": ORIGIN}
    path = f"/api/v1/widgets/{key}/callbacks"
    return [
        Call(
            path,
            json.dumps({"phone": n, "consent": True}).encode(),
            {**headers, "X-Forwarded-For": client_address(i)} if forwarded else headers,
        )
        for i, n in enumerate(visitor_numbers())
    ]


def cpu_roles(url: str, env: BenchEnv) -> dict[str, Role]:
    """The served app's gunicorn processes (by port), the database's backends, Redis."""
    port = url.split("/")[2].rsplit(":", 1)[1]
    roles: dict[str, Role] = {"web": lambda cmd: "gunicorn" in cmd and f"127.0.0.1:{port} " in cmd}
    if not env.embedded:  # the servers; SQLite runs inside the app's own processes
        database = env.database_url.split("?", 1)[0].rsplit("/", 1)[1]
        roles["PostgreSQL"] = lambda cmd: cmd.startswith("postgres: ") and f" {database} " in cmd
        roles["Redis"] = lambda cmd: cmd.startswith("redis-server")
    return roles


def combine(results: list[Result]) -> Result:
    return Result(
        median([r.rate for r in results]),
        median([r.p50 for r in results]),
        median([r.p99 for r in results]),
        sum(r.errors for r in results),
    )


def line(label: str, result: Result) -> str:
    return (
        f"  {label:<34} {result.rate:8.0f} req/s  p50 {ms(result.p50):>9}  "
        f"p99 {ms(result.p99):>9}  errors {result.errors}"
    )


def measure(
    args: argparse.Namespace, env: BenchEnv, reset: Callable[[], None], url: str, script: str,
    script_env: dict[str, str], calls: Callable[[], list[Call]],
) -> tuple[Result, Result, dict[str, float]]:  # fmt: skip
    """Saturation and fixed-rate results, and the CPU seconds per request at saturation."""
    saturated, steady = [], []
    roles = cpu_roles(url, env)
    cpu: dict[str, list[float]] = {role: [] for role in roles}
    for _ in range(args.repeat):
        reset()
        before = snapshot(roles)
        result = wrk(url, script, script_env, args.seconds, args.connections)
        for role, seconds in used_since(before, roles).items():
            cpu[role].append(seconds / max(result.rate * args.seconds, 1))
        saturated.append(result)
        reset()
        steady.append(open_loop(url, calls(), args.rate, args.seconds))
    return combine(saturated), combine(steady), {role: median(v) for role, v in cpu.items()}


Measured = tuple[Result, Result, dict[str, float]]


def cpu_line(label: str, cpu: dict[str, float]) -> str:
    return f"  {label:<34} " + ", ".join(f"{role} {ms(s)}" for role, s in cpu.items())


def report(name: str, app: Measured, bare: Measured, floor: Measured) -> dict[str, float]:
    print(line(f"{name} saturation", app[0]))
    print(line("driver floor saturation", floor[0]))
    print(line("bare saturation", bare[0]))
    print(line(f"{name} at fixed rate", app[1]))
    print(line("driver floor at fixed rate", floor[1]))
    print(line("bare at fixed rate", bare[1]))
    print(cpu_line(f"{name} CPU per request", app[2]))
    print(cpu_line("driver floor CPU per request", floor[2]))
    ratio = app[0].rate / bare[0].rate
    print(f"  ratio {name}/bare requests/s at saturation: {ratio:.2f}")
    print(f"  ratio driver floor/bare: {floor[0].rate / bare[0].rate:.2f}")
    print(f"  ratio {name}/driver floor: {app[0].rate / floor[0].rate:.2f}")
    return {"ratio": ratio, "p99_fixed": app[1].p99, "rate": app[0].rate}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    add_env_option(parser)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rate", type=float, default=300.0)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--only", choices=["form", "webhook"], default=None)
    parser.add_argument(
        "--limits", action="store_true", help="the app with the abuse limits on (see LIMITS_ON)"
    )
    args = parser.parse_args()
    env = BenchEnv(embedded=args.embedded)
    env.reset()
    key = make_widget(env.engine)
    logs = env.work_dir
    app_port, bare_port, floor_port = free_port(), free_port(), free_port()
    app_url = f"http://127.0.0.1:{app_port}"
    process_env = env.process_env(PUBLIC_BASE_URL=app_url, **(LIMITS_ON if args.limits else {}))
    # Signatures are made for app_url; the floor checks them against the same URL.
    floor_env = env.process_env(PUBLIC_BASE_URL=app_url)
    print(
        f"http: gunicorn 2 workers x 4 threads --preload; {args.seconds}s runs, "
        f"median of {args.repeat}; limits {'on' if args.limits else 'off'}, caps out of reach; "
        f"logs in {logs}"
    )
    with (
        gunicorn("wsgi:app", process_env, logs / "web.log", app_port),
        gunicorn("bench.bare_app:app", process_env, logs / "bare.log", bare_port) as bare_url,
        gunicorn(FLOOR_APP, floor_env, logs / "floor.log", floor_port) as floor_url,
    ):
        if args.only in (None, "form"):
            calls = form_calls(key, forwarded=args.limits)
            form_env = {"BENCH_PREFIXES": ",".join(VISITOR_PREFIXES)}
            if args.limits:
                form_env["BENCH_FORWARDED"] = "1"
            form_path = f"/api/v1/widgets/{key}/callbacks"
            app = measure(
                args,
                env,
                env.clear_requests,
                app_url + form_path,
                "form.lua",
                form_env,
                lambda: calls,
            )
            bare = measure(
                args, env, lambda: None, bare_url + form_path, "form.lua", form_env, lambda: calls
            )
            floor = measure(
                args,
                env,
                env.clear_floor,
                floor_url + form_path,
                "form.lua",
                form_env,
                lambda: calls,
            )
            report("form, limits on" if args.limits else "form", app, bare, floor)
        if args.only in (None, "webhook"):
            state: dict[str, list[Call]] = {}

            def fresh_legs() -> None:
                env.clear_requests()  # retried if callbacks of the last run are in flight
                state["calls"] = signed_calls(app_url, make_legs(env.engine, key, LEGS))
                write_lines(state["calls"], Path(logs / "webhooks.tsv"))

            fresh_legs()
            hook_env = {"BENCH_LINES": str(logs / "webhooks.tsv")}
            app = measure(
                args, env, fresh_legs, app_url + "/", "lines.lua", hook_env, lambda: state["calls"]
            )
            bare = measure(
                args,
                env,
                lambda: None,
                bare_url + "/",
                "lines.lua",
                hook_env,
                lambda: state["calls"],
            )
            floor = measure(
                args,
                env,
                fresh_legs,
                floor_url + "/",
                "lines.lua",
                hook_env,
                lambda: state["calls"],
            )
            report("webhook", app, bare, floor)
    env.close()


if __name__ == "__main__":
    main()
