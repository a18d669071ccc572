"""Job pickup: enqueue -> the sandbox receiving the Calls create, against raw BLPOP/RPUSH.

Requests are stored first (status queued), then their dial jobs are enqueued from this
process at 10/s and 100/s (5 s each) and as a burst of 1,000, timing each from the
enqueue call to the create the sandbox logs. The baseline is the same pattern through a
bare Redis list: RPUSH a timestamp, a consumer process BLPOPs it. A second baseline is
RQ's own floor: a job that only records when it started, run by an RQ SimpleWorker on
its own queue (enqueue -> job start). Workers compared:
SimpleWorker (`callback worker`, the default), the forking Worker (`--fork`) and RQ's
WorkerPool of two in-process workers (bench/pool_worker.py). 100 agents, calls played at
time scale 0, TWILIO_CPS raised to 10,000.
"""

from __future__ import annotations

import argparse
import multiprocessing
import sys
import time
import uuid
from collections.abc import Callable, Iterator

from rq import Queue
from sqlalchemy import select
from sqlalchemy.orm import Session

from bench import dial_floor
from bench.env import BenchEnv, add_env_option
from bench.fixtures import make_agents, make_widget, visitor_requests
from bench.numbers import visitor_numbers
from bench.procs import started, unanswered_phones
from bench.stack import running
from bench.stats import median, ms, percentile
from callback import create_app
from callback.models import CallAttempt, RequestStatus, Widget
from workers.queues import enqueue_dial

RAW_KEY = "bench:raw"
NOOP_KEY = "bench:rq-noop"
NOOP_QUEUE = "bench-noop"
# Jobs run before each timed run and left out of its figures (a worker's start-up).
WARMUP_JOBS = 5
LOADS = {"10/s": (10.0, 50), "100/s": (100.0, 300), "burst 1000": (None, 1000)}
# The 100/s and burst runs take minutes (a backlog drains at the worker's pace): run once.
REPEATED_LOADS = {"10/s"}


def schedule(rate: float | None, count: int) -> Iterator[int]:
    """Yield 0..count-1, sleeping so item i goes at start + i/rate (all at once if None)."""
    start = time.perf_counter()
    for i in range(count):
        if rate:
            delay = start + i / rate - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
        yield i


def _consume(url: str, count: int) -> None:
    from redis import Redis  # noqa: PLC0415 - in the child process

    connection = Redis.from_url(url)
    connection.rpush(RAW_KEY + ":ready", 1)
    for _ in range(count):
        _key, sent = connection.blpop([RAW_KEY])  # type: ignore[misc]
        connection.rpush(RAW_KEY + ":lat", time.time() - float(sent))


def raw_round_trip(env: BenchEnv, rate: float | None, count: int) -> list[float]:
    """Latencies of RPUSH -> BLPOP in another process."""
    connection = env.redis()
    connection.delete(RAW_KEY, RAW_KEY + ":lat", RAW_KEY + ":ready")
    consumer = multiprocessing.get_context("spawn").Process(
        target=_consume, args=(env.redis_url, count)
    )
    consumer.start()
    # A spawned child imports this module (and the app) first: start once it listens.
    connection.blpop([RAW_KEY + ":ready"], timeout=60)
    for _ in schedule(rate, count):
        connection.rpush(RAW_KEY, time.time())
    consumer.join()
    return [float(v) for v in connection.lrange(RAW_KEY + ":lat", 0, -1)]


def mark_started(sent: float) -> None:
    """The no-op job of the RQ baseline: record how long after `sent` it began."""
    from rq import get_current_job  # noqa: PLC0415 - runs in the worker

    job = get_current_job()
    assert job is not None
    job.connection.rpush(NOOP_KEY, time.time() - sent)


def rq_noop_round_trip(env: BenchEnv, rate: float | None, count: int) -> list[float]:
    """Latencies of enqueue -> start of a job that does nothing, under SimpleWorker."""
    connection = env.redis()
    connection.delete(NOOP_KEY)
    queue = Queue(NOOP_QUEUE, connection=connection)
    argv = [
        sys.executable, "-m", "rq.cli", "worker", "--url", env.redis_url,
        "--worker-class", "rq.worker.SimpleWorker", "--with-scheduler", NOOP_QUEUE,
    ]  # fmt: skip
    with started(argv, env.process_env(), env.work_dir / "rq-noop.log"):
        time.sleep(2)  # the worker registers and starts listening
        for _ in range(WARMUP_JOBS):  # untimed: the first job imports this module
            queue.enqueue("bench.pickup.mark_started", time.time(), result_ttl=0)
        warm_by = time.monotonic() + 30
        while connection.llen(NOOP_KEY) < WARMUP_JOBS and time.monotonic() < warm_by:
            time.sleep(0.1)
        connection.delete(NOOP_KEY)
        for _ in schedule(rate, count):
            # By name: run as `python -m bench.pickup`, this module is __main__ here.
            queue.enqueue("bench.pickup.mark_started", time.time(), result_ttl=0)
        deadline = time.monotonic() + 30 + count / 50
        while connection.llen(NOOP_KEY) < count and time.monotonic() < deadline:
            time.sleep(0.2)
    return [float(v) for v in connection.lrange(NOOP_KEY, 0, -1)]


def store_requests(env: BenchEnv, key: str, count: int, numbers: Iterator[str]) -> list[uuid.UUID]:
    with Session(env.engine) as session:
        widget = session.scalars(select(Widget).filter_by(key=key)).one()
        rows = visitor_requests(widget, count, numbers, RequestStatus.QUEUED)
        session.add_all(rows)
        session.commit()
        return [row.id for row in rows]


def first_creates(env: BenchEnv, creates: dict[int, float]) -> dict[uuid.UUID, float]:
    """Map each request to the time its first agent leg's create reached the sandbox."""
    with Session(env.engine) as session:
        pairs = session.execute(select(CallAttempt.id, CallAttempt.request_id)).all()
    first: dict[uuid.UUID, float] = {}
    for attempt_id, request_id in pairs:
        if attempt_id in creates:
            first[request_id] = min(first.get(request_id, float("inf")), creates[attempt_id])
    return first


def pickup(
    env: BenchEnv,
    kind: str,
    key: str,
    rate: float | None,
    count: int,
    unanswered: bool = False,
) -> list[float]:
    """Latencies of enqueue -> create for `count` dial jobs at `rate`, under worker `kind`.

    `unanswered`: the agents' phones ring and nobody answers, so the worker runs only
    the timed dial jobs (no visitor legs) and the web app only their first webhooks.
    """
    env.clear_requests()
    numbers = visitor_numbers()
    warmup = store_requests(env, key, WARMUP_JOBS, numbers)
    ids = store_requests(env, key, count, numbers)
    app = create_app(env.app_config())
    enqueued: dict[uuid.UUID, float] = {}
    ringing = unanswered_phones(env.work_dir) if unanswered else {}
    with (
        running(env, [kind], tag=f"pickup-{kind}", sandbox_settings=ringing) as stack,
        app.app_context(),
    ):
        enqueue = _floor_enqueue(env) if kind == "floor" else enqueue_dial
        _warm_up(env, stack.creates.creates, warmup, enqueue)
        for i in schedule(rate, count):
            enqueued[ids[i]] = time.time()
            enqueue(ids[i], 1)
        deadline = time.monotonic() + 60 + count / 20
        while time.monotonic() < deadline:
            time.sleep(0.5)
            if len(first_creates(env, stack.creates.creates).keys() & enqueued.keys()) >= count:
                break
        time.sleep(0.3)
    first = first_creates(env, stack.creates.creates)
    app.extensions["db"].engine.dispose()
    missing = count - len(first.keys() & enqueued.keys())
    if missing:
        print(f"    ({kind}: {missing} of {count} requests had no create within the wait)")
    return [first[i] - enqueued[i] for i in ids if i in first]


def _floor_enqueue(env: BenchEnv) -> Callable[[uuid.UUID, int], object]:
    queue = Queue(dial_floor.QUEUE, connection=env.redis())

    def enqueue(request_id: uuid.UUID, _round: int) -> object:
        return queue.enqueue("bench.dial_floor.dial_floor", str(request_id), result_ttl=0)

    return enqueue


def _warm_up(
    env: BenchEnv,
    creates: dict[int, float],
    ids: list[uuid.UUID],
    enqueue: Callable[[uuid.UUID, int], object],
) -> None:
    """Dial a few requests first, untimed: the first jobs of a worker also open its
    connections and compile its statements, which is start-up, not pickup."""
    for request_id in ids:
        enqueue(request_id, 1)
    deadline = time.monotonic() + 30
    while len(first_creates(env, creates)) < len(ids) and time.monotonic() < deadline:
        time.sleep(0.2)


def summary(values: list[float]) -> str:
    return f"p50 {ms(percentile(values, 0.5)):>10}  p95 {ms(percentile(values, 0.95)):>10}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    add_env_option(parser)
    parser.add_argument("--workers", default="simple,fork,pool", help="also: floor")
    parser.add_argument("--loads", default=",".join(LOADS), help="of: " + ", ".join(LOADS))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--unanswered",
        action="store_true",
        help="agents' phones ring and nobody answers: each job is timed alone (issue 21 "
        "point 2); by default every dial is a whole call, as in production",
    )
    args = parser.parse_args()
    env = BenchEnv(embedded=args.embedded)
    env.reset()
    key = make_widget(env.engine)
    make_agents(env.engine, 100)
    print(
        f"pickup: enqueue -> sandbox create; 10/s: median of {args.repeat} runs, 100/s "
        f"(300 jobs) and burst: one run each; logs in {env.work_dir}"
    )
    kinds = args.workers.split(",")
    if env.embedded and "floor" in kinds:  # its SQL is PostgreSQL's
        kinds.remove("floor")
    for load in args.loads.split(","):
        rate, count = LOADS[load]
        repeat = args.repeat if load in REPEATED_LOADS else 1
        raw = [raw_round_trip(env, rate, count) for _ in range(repeat)]
        raw_p50 = median([percentile(r, 0.5) for r in raw])
        raw_p95 = median([percentile(r, 0.95) for r in raw])
        print(f"  {load:<11} raw BLPOP          p50 {ms(raw_p50):>10}  p95 {ms(raw_p95):>10}")
        noop = [rq_noop_round_trip(env, rate, count) for _ in range(repeat)]
        noop_p50 = median([percentile(r, 0.5) for r in noop])
        print(
            f"  {load:<11} RQ no-op job       p50 {ms(noop_p50):>10}  "
            f"p95 {ms(median([percentile(r, 0.95) for r in noop])):>10}"
            f"  ratio p50 to raw {noop_p50 / raw_p50:6.1f}x"
        )
        for kind in kinds:
            runs = [pickup(env, kind, key, rate, count, args.unanswered) for _ in range(repeat)]
            p50 = median([percentile(r, 0.5) for r in runs])
            p95 = median([percentile(r, 0.95) for r in runs])
            print(
                f"  {load:<11} {kind + ' worker':<18} p50 {ms(p50):>10}  p95 {ms(p95):>10}"
                f"  ratio p50 to raw {p50 / raw_p50:6.1f}x"
            )
    env.close()


if __name__ == "__main__":
    main()
