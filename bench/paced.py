"""Paced at scale: TWILIO_CPS=50, two workers, 100 agents, a burst of 2,000 requests.

Every dial job takes a token from the call pacer all workers share (workers/cps.py)
before it creates the agent's call. The 2,000 dial jobs are enqueued at once; the
sandbox's request log gives the time each Calls create arrived. Printed: the creates in
each second, the sustained rate (the whole seconds between the first create and the
last) against the limit, and whether every request got exactly one agent call: none
lost, none doubled. Calls are played at time scale 0: each agent answers and presses 1,
the visitor answers, and the agent is free again at once. The CPU each part of the
stack used per create (from /proc) says how many whole calls a second the machine's
cores allow at all.

`--ring-only` leaves every agent's phone ringing unanswered for its 20 s instead, with
an agent for each request: only the dial jobs, the pacer and the first two status
callbacks of each call run, so the figure is the dial path's own pace.
"""

from __future__ import annotations

import argparse
import os
import re
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field

import requests
from sqlalchemy import select
from sqlalchemy.orm import Session

from bench.cpu import Role, machine_busy, snapshot, used_since
from bench.env import BenchEnv, add_env_option
from bench.fixtures import make_agents, make_widget
from bench.numbers import agent_number, visitor_numbers
from bench.pickup import store_requests
from bench.stack import ATTEMPT_IN_URL, Running, running
from callback import create_app
from callback.models import CallAttempt, Leg
from callback.sandbox.control import SandboxControl
from workers.queues import enqueue_dial

# Dialled before the burst, so that the workers' first imports and connections are not
# counted against it.
WARMUP_REQUESTS = 5
# callback_webhook_duration_seconds_count{endpoint="twilio.status"} 12.0 (and _sum)
WEBHOOK_SAMPLE = re.compile(
    r'^callback_webhook_duration_seconds_(count|sum)\{endpoint="([^"]+)"\} (\S+)$'
)


@dataclass
class EveryCreate:
    """Each Calls create the sandbox received (duplicates kept): (time, attempt id)."""

    sandbox_url: str
    seen: dict[tuple[float, str], int] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)

    def poll(self) -> None:
        # The sandbox keeps its last 500 requests; at 50 creates a second, polling ten
        # times a second misses none.
        with requests.Session() as session:
            while not self._stop.is_set():
                self._read(session)
                self._stop.wait(0.1)
            self._read(session)

    def _read(self, session: requests.Session) -> None:
        for entry in session.get(f"{self.sandbox_url}/_sandbox/requests", timeout=10).json():
            if entry["method"] != "POST" or not entry["path"].endswith("/Calls.json"):
                continue
            url = str(entry["form"].get("Url", ""))
            match = ATTEMPT_IN_URL.search(url)
            if match:
                self.seen.setdefault((float(entry["at"]), url), int(match.group(1)))

    def stop(self) -> None:
        self._stop.set()


def per_second(times: list[float]) -> list[int]:
    """Return the creates in each whole second from the first one on."""
    start = min(times)
    counts = Counter(int(at - start) for at in times)
    return [counts.get(second, 0) for second in range(max(counts) + 1)]


def agent_legs(env: BenchEnv, burst: set[uuid.UUID]) -> Counter[uuid.UUID]:
    """Count the agent calls each request of the burst got."""
    with Session(env.engine) as session:
        rows = session.scalars(
            select(CallAttempt.request_id).where(
                CallAttempt.leg == Leg.AGENT, CallAttempt.call_sid.is_not(None)
            )
        ).all()
    return Counter(row for row in rows if row in burst)


def warm_up(ids: list[uuid.UUID], log: EveryCreate) -> None:
    """Dial a few requests as whole calls and let them end before anything is measured."""
    for request_id in ids:
        enqueue_dial(request_id, 1)
    deadline = time.monotonic() + 60
    while len(log.seen) < len(ids) and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(2.0)  # their calls, played at once, end and free the agents


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    add_env_option(parser)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--cps", type=int, default=50)
    parser.add_argument("--agents", type=int, default=100)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--log-level", default="WARNING", help="of the web app and workers")
    parser.add_argument(
        "--ring-only",
        action="store_true",
        help="agents' phones ring unanswered (20 s) instead of playing whole calls at once: "
        "the dial path and the pacer alone (give each request an agent of its own)",
    )
    args = parser.parse_args()
    env = BenchEnv(embedded=args.embedded)
    env.reset()
    key = make_widget(env.engine)
    if args.ring_only and args.requests > args.agents:
        parser.error("--ring-only needs an agent per request: each one's phone keeps ringing")
    make_agents(env.engine, args.agents)
    numbers = visitor_numbers()
    warmup = store_requests(env, key, WARMUP_REQUESTS, numbers)
    ids = store_requests(env, key, args.requests, numbers)
    env.analyze()
    app = create_app(env.app_config())
    settings = {"TWILIO_CPS": str(args.cps), "LOG_LEVEL": args.log_level}
    kinds = ["simple"] * args.workers
    with running(env, kinds, tag="paced", settings=settings) as stack, app.app_context():
        log = EveryCreate(stack.sandbox)
        poller = threading.Thread(target=log.poll, daemon=True)
        poller.start()
        warm_up(warmup, log)  # the workers' first jobs import and connect: not counted
        if args.ring_only:
            phones = SandboxControl(stack.sandbox)
            for index in range(args.agents):
                phones.set_phone(agent_number(index), manual=True)
        roles = stack_roles(stack, env)
        cpu_before, machine_before = snapshot(roles), machine_busy()
        webhooks_before = webhook_times(stack.web)
        burst_started = time.time()
        enqueue_started = time.monotonic()
        for request_id in ids:
            enqueue_dial(request_id, 1)
        enqueued_in = time.monotonic() - enqueue_started
        deadline = time.monotonic() + args.requests / args.cps * 3 + 60
        while len(log.seen) < args.requests + WARMUP_REQUESTS and time.monotonic() < deadline:
            time.sleep(0.5)
        cpu_used = used_since(cpu_before, roles)
        machine_after = machine_busy()
        webhooks = webhooks_since(webhooks_before, webhook_times(stack.web))
        time.sleep(2.0)  # a create doubled late would show now
        log.stop()
        poller.join()
    app.extensions["db"].engine.dispose()
    burst = {key: attempt for key, attempt in log.seen.items() if key[0] >= burst_started}
    times = sorted(at for at, _url in burst)
    attempts = Counter(burst.values())
    counts = per_second(times)
    whole = counts[1:-1] or counts  # the first and last seconds are partial
    sustained = sum(whole) / len(whole)
    legs = agent_legs(env, set(ids))
    calls = "agents' phones ringing unanswered" if args.ring_only else "whole calls at once"
    print(
        f"paced: TWILIO_CPS={args.cps}, {args.workers} workers, {args.agents} agents, "
        f"a burst of {args.requests} requests, {calls} (enqueued in {enqueued_in:.1f} s); "
        f"logs in {env.work_dir}"
    )
    print(f"  creates per second: {' '.join(str(c) for c in counts)}")
    print(
        f"  sustained {sustained:.1f} calls/s over {len(whole)} whole seconds = "
        f"{sustained / args.cps:.0%} of {args.cps}/s; slowest second {min(whole)}, "
        f"fastest {max(whole)}"
    )
    print(
        f"  creates received {len(times)}; requests with an agent call {len(legs)} of "
        f"{len(ids)} (lost {len(set(ids) - set(legs))}); attempts created twice "
        f"{sum(1 for n in attempts.values() if n > 1)}; requests with two agent calls "
        f"{sum(1 for n in legs.values() if n > 1)} (a second agent is rung, by design, once "
        "the first rang out or hung up without pressing 1: not doubled)"
    )
    busy = machine_after[0] - machine_before[0]
    elapsed = machine_after[1] - machine_before[1]
    per_create = {role: seconds / max(len(times), 1) * 1000 for role, seconds in cpu_used.items()}
    total = sum(per_create.values())
    print(
        f"  machine busy {busy / elapsed:.0%} of its {os.cpu_count()} cores over the run; "
        f"CPU per create {total:.0f} ms ("
        + ", ".join(f"{role} {ms:.0f}" for role, ms in sorted(per_create.items()))
        + f"), so the cores allow at most {(os.cpu_count() or 1) * 1000 / max(total, 1):.0f} "
        "creates/s of this kind"
    )
    answered = sum(count for count, _ms in webhooks.values())
    print(
        f"  the web app answered {answered:.0f} Twilio webhooks, "
        f"{answered / max(len(times), 1):.1f} per create; count and mean wall time each: "
        + ", ".join(
            f"{endpoint} {count:.0f} x {ms:.1f} ms"
            for endpoint, (count, ms) in sorted(webhooks.items(), key=lambda item: -item[1][0])
        )
    )
    env.close()


def webhook_times(web: str) -> dict[str, tuple[float, float]]:
    """Return each webhook endpoint's (count, seconds in total) so far, from /metrics."""
    found: dict[str, list[float]] = {}
    for line in requests.get(f"{web}/metrics", timeout=10).text.splitlines():
        match = WEBHOOK_SAMPLE.match(line)
        if match:
            kind, endpoint, value = match.groups()
            found.setdefault(endpoint, [0.0, 0.0])[kind == "sum"] += float(value)
    return {endpoint: (count, total) for endpoint, (count, total) in found.items()}


def webhooks_since(
    before: dict[str, tuple[float, float]], after: dict[str, tuple[float, float]]
) -> dict[str, tuple[float, float]]:
    """Return each endpoint's (count, mean milliseconds) between two readings."""
    spent = {}
    for endpoint, (count, total) in after.items():
        count_before, total_before = before.get(endpoint, (0.0, 0.0))
        if count > count_before:
            calls = count - count_before
            spent[endpoint] = (calls, (total - total_before) / calls * 1000)
    return spent


def stack_roles(stack: Running, env: BenchEnv) -> dict[str, Role]:
    """Tell this run's processes apart: sandbox and web by port, workers by name."""
    sandbox_port = stack.sandbox.rsplit(":", 1)[1]
    web_port = stack.web.rsplit(":", 1)[1]
    database = env.database_url.rsplit("/", 1)[1]
    return {
        "sandbox": lambda cmd: "sandbox" in cmd and f"--port {sandbox_port} " in cmd,
        "web": lambda cmd: "gunicorn" in cmd and f"127.0.0.1:{web_port} " in cmd,
        "workers": lambda cmd: "bench-paced-" in cmd,
        "postgres": lambda cmd: cmd.startswith("postgres: ") and f" {database} " in cmd,
        "redis": lambda cmd: "redis-server" in cmd,
    }


if __name__ == "__main__":
    main()
