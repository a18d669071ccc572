"""Load test (issue #5, point 6): no request lost, none doubled.

1,000 submissions from 50 concurrent clients against gunicorn (4 workers) with two RQ
workers and the sandbox at time scale 0. Every phone answers and every agent presses
1, so each request needs exactly one agent leg and one visitor leg and must end
completed. 20 agents (the service never rings an agent who is on a call), TWILIO_CPS
10,000, rate limits off and caps out of reach. The sandbox's own call list is the
ground truth of what was dialled. Prints the counts; exits 1 on any mismatch.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from itertools import islice

import requests
from sqlalchemy import select
from sqlalchemy.orm import Session

from bench.env import BenchEnv, add_env_option
from bench.fixtures import make_agents, make_widget
from bench.numbers import visitor_numbers
from bench.stack import running
from callback.models import CallAttempt, CallbackRequest, Leg, RequestStatus


def submit_all(
    web: str, key: str, numbers: list[str], clients: int, refused: Counter[str]
) -> list[str]:
    """Submit one request per number from `clients` threads; return the accepted ids."""
    url = f"{web}/api/v1/widgets/{key}/callbacks"
    chunks = [numbers[i::clients] for i in range(clients)]

    def client(chunk: list[str]) -> list[str]:
        accepted = []
        with requests.Session() as http:
            for number in chunk:
                answer = http.post(url, json={"phone": number, "consent": True}, timeout=30)
                if answer.status_code == 202:
                    accepted.append(answer.json()["id"])
                else:
                    refused[f"{answer.status_code} {answer.text[:120]}"] += 1
        return accepted

    with ThreadPoolExecutor(clients) as pool:
        return [i for ids in pool.map(client, chunks) for i in ids]


def statuses(env: BenchEnv) -> Counter[str]:
    with Session(env.engine) as session:
        return Counter(s.value for s in session.scalars(select(CallbackRequest.status)))


def check(env: BenchEnv, accepted: list[str], numbers: list[str], calls: list[dict]) -> dict:  # type: ignore[type-arg]
    with Session(env.engine) as session:
        rows = session.execute(select(CallbackRequest.id, CallbackRequest.status)).all()
        legs = session.execute(
            select(CallAttempt.call_sid, CallAttempt.request_id).where(CallAttempt.leg == Leg.AGENT)
        ).all()
    request_of_sid = {sid: request_id for sid, request_id in legs if sid}
    agent_calls = [c for c in calls if c["parent_call_sid"] is None]
    visitor_calls = [c for c in calls if c["parent_call_sid"] is not None]
    per_request = Counter(str(request_of_sid.get(c["sid"])) for c in agent_calls)
    per_visitor = Counter(c["to"] for c in visitor_calls)
    completed = {str(i) for i, status in rows if status == RequestStatus.COMPLETED}
    ids = set(accepted)
    return {
        "submitted": len(numbers),
        "accepted": len(accepted),
        "distinct accepted ids": len(ids),
        "completed": len(completed & ids),
        "agent calls": len(agent_calls),
        "visitor calls": len(visitor_calls),
        "agent calls not matching a request": per_request.get("None", 0),
        "requests with >1 agent call": sum(
            1 for r, n in per_request.items() if n > 1 and r != "None"
        ),
        "visitors dialled >1 time": sum(1 for n in per_visitor.values() if n > 1),
        "requests missing an agent call": len(ids - set(per_request)),
        "visitors never dialled": len(set(numbers) - set(per_visitor)),
        "requests not completed": len(ids - completed),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    add_env_option(parser)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--agents", type=int, default=20)
    parser.add_argument("--timeout", type=float, default=600)
    args = parser.parse_args()
    env = BenchEnv(embedded=args.embedded)
    env.reset()
    key = make_widget(env.engine)
    make_agents(env.engine, args.agents)
    numbers = list(islice(visitor_numbers(), args.requests))
    started = time.monotonic()
    with running(env, ["simple", "simple"], web_workers=4, tag="load") as stack:
        refused: Counter[str] = Counter()
        accepted = submit_all(stack.web, key, numbers, args.clients, refused)
        submitted_in = time.monotonic() - started
        deadline = time.monotonic() + args.timeout
        while time.monotonic() < deadline:
            counts = statuses(env)
            if counts.get("completed", 0) + sum(
                counts.get(s, 0) for s in ("failed", "canceled", "expired")
            ) >= len(accepted):
                break
            time.sleep(2)
        time.sleep(2)  # let the last status callbacks land
        calls = requests.get(f"{stack.sandbox}/_sandbox/state", timeout=60).json()["calls"]
    took = time.monotonic() - started
    result = check(env, accepted, numbers, calls)
    print(
        f"loadtest: {args.requests} requests, {args.clients} clients, 4 web workers, "
        f"2 RQ workers, {args.agents} agents "
        f"(submitted in {submitted_in:.1f}s, done in {took:.1f}s)"
    )
    for name, value in result.items():
        print(f"  {name:<38} {value}")
    print(f"  final statuses: {dict(statuses(env))}")
    for answer, times in refused.items():
        print(f"  refused x{times}: {answer}")
    env.close()
    n = args.requests
    ok = (
        result["accepted"] == result["distinct accepted ids"] == result["completed"] == n
        and result["agent calls"] == result["visitor calls"] == n
        and all(
            result[k] == 0
            for k in (
                "agent calls not matching a request", "requests with >1 agent call",
                "visitors dialled >1 time", "requests missing an agent call",
                "visitors never dialled", "requests not completed",
            )
        )
    )  # fmt: skip
    print("  OK: every request had exactly its two calls" if ok else "  MISMATCH")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
