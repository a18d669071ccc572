"""End to end through the sandbox at time scale 0: submission -> agent leg created, and
submission -> bridge request (the agent's key press answered with <Dial> to the visitor).

Submissions go over HTTP to gunicorn at a steady 5/s (--count per run); the agent leg's
time is when the sandbox received its Calls create, the bridge's is the visitor leg
row written by the key-press webhook as it returns the <Dial>. One SimpleWorker,
10 agents, TWILIO_CPS 10,000, limits off.
"""

from __future__ import annotations

import argparse
import time
import uuid

import requests
from sqlalchemy import select
from sqlalchemy.orm import Session

from bench.env import BenchEnv, add_env_option
from bench.fixtures import make_agents, make_widget
from bench.numbers import visitor_numbers
from bench.pickup import first_creates, schedule
from bench.stack import running
from bench.stats import median, ms, percentile
from callback.models import CallAttempt, Leg

RATE = 5.0


def bridges(env: BenchEnv) -> dict[uuid.UUID, float]:
    """Map each request to when its visitor leg (the bridge) was written."""
    with Session(env.engine) as session:
        rows = session.execute(
            select(CallAttempt.request_id, CallAttempt.created_at).where(
                CallAttempt.leg == Leg.VISITOR
            )
        ).all()
    found: dict[uuid.UUID, float] = {}
    for request_id, created in rows:
        found[request_id] = min(found.get(request_id, float("inf")), created.timestamp())
    return found


def run(env: BenchEnv, key: str, count: int) -> tuple[list[float], list[float]]:
    env.clear_requests()
    numbers = visitor_numbers()
    submitted: dict[uuid.UUID, float] = {}
    with running(env, ["simple"], tag="e2e") as stack, requests.Session() as http:
        for _ in schedule(RATE, count):
            sent = time.time()
            answer = http.post(
                f"{stack.web}/api/v1/widgets/{key}/callbacks",
                json={"phone": next(numbers), "consent": True},
                timeout=10,
            )
            answer.raise_for_status()
            submitted[uuid.UUID(answer.json()["id"])] = sent
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and len(bridges(env)) < count:
            time.sleep(0.5)
        time.sleep(0.3)
    created, bridged = first_creates(env, stack.creates.creates), bridges(env)
    to_leg = [created[r] - t for r, t in submitted.items() if r in created]
    to_bridge = [bridged[r] - t for r, t in submitted.items() if r in bridged]
    if len(to_leg) < count or len(to_bridge) < count:
        print(f"    (of {count}: {len(to_leg)} agent legs, {len(to_bridge)} bridges seen)")
    return to_leg, to_bridge


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    add_env_option(parser)
    parser.add_argument("--count", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    env = BenchEnv(embedded=args.embedded)
    env.reset()
    key = make_widget(env.engine)
    make_agents(env.engine, 10)
    runs = [run(env, key, args.count) for _ in range(args.repeat)]
    print(f"e2e: {args.count} submissions at {RATE:.0f}/s, median of {args.repeat} runs")
    for index, label in ((0, "submission -> agent leg created"), (1, "submission -> bridge")):
        p50 = median([percentile(r[index], 0.5) for r in runs])
        p95 = median([percentile(r[index], 0.95) for r in runs])
        print(f"  {label:<34} p50 {ms(p50):>10}  p95 {ms(p95):>10}")
    env.close()


if __name__ == "__main__":
    main()
