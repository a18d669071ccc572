"""Memory (issue 21, point 5): resident memory of the web and worker processes over time.

The whole service runs as the Procfile runs it: gunicorn (2 workers x 4 threads,
`--preload`), one `callback worker` on the calls queue, and the sandbox playing every
call at time scale 0 (each agent answers and presses 1, the visitor answers). Requests
are submitted over HTTP at a fixed rate (open loop), each a whole callback: submission,
dial job, agent and visitor legs and their status webhooks. First `--requests` of them
(the warm-up), then `--minutes` more at the same rate.

Every `--interval` seconds each process's memory is read from /proc: VmRSS and RssAnon
from /proc/<pid>/status (what the table reports), and PSS from /proc/<pid>/smaps_rollup
(the gunicorn workers share the master's pages after `--preload`: RSS counts the shared
pages in each process, PSS divides them among the sharers). Printed per process: RSS
after boot, after the warm-up, at the end, the maximum, and the least-squares slope in
KiB/min over the steady run (from the end of the warm-up to the end), also over its
second half, and the same for RssAnon (the heap) and PSS.

Baselines in the same run, sampled alongside: gunicorn serving bench/bare_app.py with the
same settings (warmed with up to 2,000 form POSTs first: it keeps no state), and an idle
`callback worker` on the integrations queue, which gets no jobs here.

    python -m bench.memory --requests 10000 --minutes 30 --rate 4
    python -m bench.memory --requests 500 --minutes 2     # quick

Database and Redis: BENCH_DATABASE_URL / BENCH_REDIS_URL (bench/env.py), e.g.
postgresql+psycopg://postgres@127.0.0.1/bench_memory and redis://127.0.0.1:6379/12.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import os
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from itertools import cycle
from pathlib import Path

import aiohttp
import requests
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bench.env import BenchEnv, add_env_option
from bench.fixtures import make_agents, make_widget
from bench.numbers import visitor_numbers
from bench.procs import free_port, gunicorn, sandbox, started, worker_argv
from callback.models import CallbackRequest

FINISHED = ("completed", "failed", "canceled", "expired")
BARE_POSTS = 2000  # the bare app keeps no state: this many requests warm it


@dataclass(frozen=True)
class Memory:
    rss: int  # KiB
    anon: int  # KiB
    pss: int  # KiB


def read_memory(pid: int) -> Memory | None:
    """VmRSS and RssAnon from /proc/<pid>/status, Pss from smaps_rollup (KiB); None if gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
        rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    fields = {}
    for line in (*status.splitlines(), *rollup.splitlines()):
        name, _, rest = line.partition(":")
        parts = rest.split()
        if len(parts) == 2 and parts[1] == "kB":
            fields[name] = int(parts[0])
    return Memory(fields["VmRSS"], fields.get("RssAnon", 0), fields.get("Pss", 0))


def children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except FileNotFoundError:
        return []
    return sorted(int(child) for child in text.split())


def slope(points: list[tuple[float, int]]) -> float:
    """Least-squares slope of (minutes, KiB) points, in KiB/min (nan under two points)."""
    if len(points) < 2:
        return float("nan")
    n = len(points)
    mean_t = sum(t for t, _ in points) / n
    mean_v = sum(v for _, v in points) / n
    var = sum((t - mean_t) ** 2 for t, _ in points)
    if var == 0:
        return float("nan")
    return sum((t - mean_t) * (v - mean_v) for t, v in points) / var


@dataclass
class Sample:
    at: float  # minutes since the load started
    phase: str  # boot, warm-up, mark (end of warm-up), steady, end
    memory: dict[str, Memory]
    submitted: int
    finished: int
    queued: int
    load: float


@dataclass
class Sampler:
    """Reads every process's memory every `interval` seconds (and when marked)."""

    env: BenchEnv
    pids: dict[str, int]
    interval: float
    csv_path: Path
    # Processes whose children are sampled too, found at each sample: an RQ worker
    # forks its scheduler some seconds after it starts (and again if the scheduler dies).
    parents: dict[str, int] = field(default_factory=dict)
    samples: list[Sample] = field(default_factory=list)
    submitted: int = 0
    phase: str = "boot"
    started: float = field(default_factory=time.monotonic)
    _wake: threading.Event = field(default_factory=threading.Event)
    _stop: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _thread: threading.Thread | None = None

    def finished(self) -> int:
        with Session(self.env.engine) as session:
            counts = dict(
                session.execute(
                    select(CallbackRequest.status, func.count()).group_by(CallbackRequest.status)
                ).all()
            )
        return sum(n for status, n in counts.items() if status.value in FINISHED)

    def take(self, phase: str | None = None) -> Sample:
        with self._lock:
            memory = {}
            for label, parent in self.parents.items():
                for i, child in enumerate(children(parent), 1):
                    name = f"{label} child {i}" if i > 1 else label
                    if self.pids.get(name) != child:
                        if name in self.pids:
                            print(f"  !! {name} is a new process: {self.pids[name]} -> {child}")
                        self.pids[name] = child
            for name, pid in self.pids.items():
                reading = read_memory(pid)
                if reading is not None:
                    memory[name] = reading
            redis = self.env.redis()
            queued = int(redis.llen("rq:queue:calls"))
            redis.close()
            sample = Sample(
                (time.monotonic() - self.started) / 60,
                phase or self.phase,
                memory,
                self.submitted,
                self.finished(),
                queued,
                os.getloadavg()[0],
            )
            self.samples.append(sample)
            self._write(sample)
            web = sum(m.rss for name, m in memory.items() if name.startswith("web"))
            print(
                f"  {sample.at:6.1f} min {sample.phase:<8} submitted {sample.submitted:>6} "
                f"finished {sample.finished:>6} queued {queued:>4} load {sample.load:4.2f} "
                f"| web RSS {web / 1024:6.1f} MiB, "
                + ", ".join(
                    f"{name} {memory[name].rss / 1024:.1f}"
                    for name in self.pids
                    if name in memory and not name.startswith("web")
                ),
                flush=True,
            )
            return sample

    def _write(self, sample: Sample) -> None:
        new = not self.csv_path.exists()
        with self.csv_path.open("a", newline="") as out:
            writer = csv.writer(out)
            if new:
                writer.writerow(["minutes", "phase", "process", "pid", "rss_kib", "anon_kib",
                                 "pss_kib", "submitted", "finished", "queued", "load"])  # fmt: skip
            for name, m in sample.memory.items():
                writer.writerow([f"{sample.at:.3f}", sample.phase, name, self.pids[name], m.rss,
                                 m.anon, m.pss, sample.submitted, sample.finished, sample.queued,
                                 f"{sample.load:.2f}"])  # fmt: skip

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.interval)
            if self._stop.is_set():
                return
            if self._wake.is_set():  # a mark resets the grid
                self._wake.clear()
                continue
            self.take()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def mark(self, phase: str) -> Sample:
        """Take a sample now and restart the `interval` grid from it."""
        sample = self.take(phase)
        self._wake.set()
        return sample

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread:
            self._thread.join()


async def drive(
    url: str, numbers: Iterator[str], rate: float, warm_up: int, total: int, sampler: Sampler
) -> Counter[str]:
    """POST `total` submissions at `rate`/s (open loop); mark the sampler after `warm_up`."""
    answers: Counter[str] = Counter()
    tasks: set[asyncio.Task[None]] = set()
    connector = aiohttp.TCPConnector(limit=100)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def one(number: str) -> None:
            try:
                async with session.post(
                    url, json={"phone": number, "consent": True},
                    timeout=aiohttp.ClientTimeout(total=60),
                ) as answer:  # fmt: skip
                    body = await answer.read()
                    key = str(answer.status)
                    if answer.status != 202:
                        key += f" {body[:100]!r}"
                    answers[key] += 1
            except (aiohttp.ClientError, TimeoutError) as error:
                answers[type(error).__name__] += 1

        start = time.monotonic()
        for i in range(total):
            delay = start + i / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            task = asyncio.create_task(one(next(numbers)))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
            sampler.submitted = i + 1
            if i + 1 == warm_up:
                await asyncio.sleep(0)
                await asyncio.to_thread(sampler.mark, "mark")
                sampler.phase = "steady"
        await asyncio.gather(*tasks)
    return answers


def wait_finished(sampler: Sampler, expected: int, timeout: float) -> int:
    deadline = time.monotonic() + timeout
    finished = sampler.finished()
    while finished < expected and time.monotonic() < deadline:
        time.sleep(2)
        finished = sampler.finished()
    return finished


def wait_registered(env: BenchEnv, names: list[str], timeout: float = 60) -> None:
    """Wait until each RQ worker has registered (its app loaded, listening)."""
    redis = env.redis()
    deadline = time.monotonic() + timeout
    while not all(redis.exists(f"rq:worker:{name}") for name in names):
        if time.monotonic() > deadline:
            raise RuntimeError(f"RQ workers {names} did not register within {timeout}s")
        time.sleep(0.2)
    redis.close()


def warm_bare(url: str, count: int) -> None:
    """Send `count` form POSTs to the bare app (4 client threads)."""
    numbers = list(zip(range(count), cycle(visitor_numbers()), strict=False))

    def client(part: list[tuple[int, str]]) -> None:
        with requests.Session() as http:
            for _, number in part:
                http.post(f"{url}/api/v1/widgets/x/callbacks", json={"phone": number}, timeout=10)

    threads = [threading.Thread(target=client, args=(numbers[i::4],)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def fmt_slope(value: float) -> str:
    return "-" if value != value else f"{value:+.1f}"


def report(sampler: Sampler, names: list[str]) -> None:
    samples = sampler.samples
    boot = next((s for s in samples if s.phase == "boot"), samples[0])
    mark = next((s for s in samples if s.phase == "mark"), None)
    steady = [s for s in samples if s.phase in ("mark", "steady", "end")]
    if mark is None or len(steady) < 2:
        print("  no steady phase sampled")
        return
    end = steady[-1]
    half = steady[len(steady) // 2 :]
    span = end.at - mark.at
    print(
        f"\n  steady run: {span:.1f} min, {len(steady)} samples from the end of the warm-up "
        f"({mark.submitted} submitted, {mark.finished} finished) to the end "
        f"({end.submitted} submitted, {end.finished} finished); load average "
        f"{min(s.load for s in steady):.2f}-{max(s.load for s in steady):.2f}"
    )
    print("  RSS (VmRSS) in MiB; slopes in KiB/min, least squares over the steady run")
    header = (
        f"  {'process':<20} {'pid':>7} {'boot':>7} {'warm':>7} {'end':>7} {'max':>7} "
        f"{'slope':>7} {'2nd half':>8} {'anon':>7} {'anon sl':>7} {'PSS end':>7} {'PSS sl':>7}"
    )
    print(header)
    for name in names:
        pid = sampler.pids[name]
        series = [(s.at, s.memory[name]) for s in steady if name in s.memory]
        if len(series) < 2 or name not in mark.memory or name not in end.memory:
            print(f"  {name:<20} {pid:>7} (gone)")
            continue
        rss = [(t, m.rss) for t, m in series]
        anon = [(t, m.anon) for t, m in series]
        pss = [(t, m.pss) for t, m in series]
        second = [(t, m.rss) for t, m in series if t >= half[0].at]
        first = boot.memory.get(name)
        print(
            f"  {name:<20} {pid:>7} "
            f"{(first.rss / 1024 if first else float('nan')):7.1f} "
            f"{mark.memory[name].rss / 1024:7.1f} {end.memory[name].rss / 1024:7.1f} "
            f"{max(v for _, v in rss) / 1024:7.1f} {fmt_slope(slope(rss)):>7} "
            f"{fmt_slope(slope(second)):>8} {end.memory[name].anon / 1024:7.1f} "
            f"{fmt_slope(slope(anon)):>7} {end.memory[name].pss / 1024:7.1f} "
            f"{fmt_slope(slope(pss)):>7}"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    add_env_option(parser)
    parser.add_argument("--requests", type=int, default=10000, help="the warm-up")
    parser.add_argument("--minutes", type=float, default=30, help="the steady run after it")
    parser.add_argument("--rate", type=float, default=4, help="submissions per second")
    parser.add_argument("--interval", type=float, default=30, help="seconds between samples")
    parser.add_argument("--agents", type=int, default=20)
    args = parser.parse_args()
    env = BenchEnv(embedded=args.embedded)
    env.reset()
    key = make_widget(env.engine)
    make_agents(env.engine, args.agents)
    total = args.requests + int(args.minutes * 60 * args.rate)
    logs = env.work_dir
    print(
        f"memory: {args.requests} requests then {args.minutes:g} min at {args.rate:g}/s "
        f"({total} in all), samples every {args.interval:g} s; database {env.database_url}, "
        f"Redis {env.redis_url}; logs and samples in {logs}",
        flush=True,
    )
    with ExitStack() as stack:
        web_port, sandbox_port, bare_port = free_port(), free_port(), free_port()
        web = f"http://127.0.0.1:{web_port}"
        sandbox_url = stack.enter_context(
            sandbox(env.process_env(), logs / "memory-sandbox.log", sandbox_port)
        )
        process_env = env.process_env(
            PUBLIC_BASE_URL=web, TWILIO_API_BASE_URL=sandbox_url, TWILIO_READ_TIMEOUT="30"
        )
        stack.enter_context(gunicorn("wsgi:app", process_env, logs / "memory-web.log", web_port))
        worker = stack.enter_context(
            started(worker_argv("simple", "bench-memory-calls"), process_env,
                    logs / "memory-worker.log")
        )  # fmt: skip
        bare = stack.enter_context(
            gunicorn("bench.bare_app:app", process_env, logs / "memory-bare.log", bare_port)
        )
        idle = stack.enter_context(
            started([*worker_argv("simple", "bench-memory-idle"), "--queue", "integrations"],
                    process_env, logs / "memory-idle-worker.log")
        )  # fmt: skip
        wait_registered(env, ["bench-memory-calls", "bench-memory-idle"])
        pids = {}
        masters = {"web": _master(web_port), "bare": _master(bare_port)}
        for prefix, master in masters.items():
            pids[f"{prefix} master"] = master
            for i, child in enumerate(children(master), 1):
                pids[f"{prefix} worker {i}"] = child
        pids["RQ worker (calls)"] = worker.pid
        pids["idle RQ worker"] = idle.pid
        pids["sandbox"] = _pid_on(sandbox_port)
        bare_posts = min(args.requests, BARE_POSTS)
        warm_bare(bare, bare_posts)
        parents = {"RQ scheduler (calls)": worker.pid, "idle RQ scheduler": idle.pid}
        sampler = Sampler(env, pids, args.interval, logs / "memory-samples.csv", parents)
        sampler.take("boot")
        sampler.phase = "warm-up"
        sampler.start()
        numbers = cycle(visitor_numbers())
        url = f"{web}/api/v1/widgets/{key}/callbacks"
        answers = asyncio.run(drive(url, numbers, args.rate, args.requests, total, sampler))
        accepted = answers.get("202", 0)
        finished = wait_finished(sampler, accepted, timeout=300)
        sampler.stop()
        sampler.take("end")
        for prefix, master in masters.items():
            was = [pid for name, pid in pids.items() if name.startswith(f"{prefix} worker")]
            if children(master) != was:  # a worker restarted: its series would be cut
                print(f"  !! {prefix}'s workers changed: {was} -> {children(master)}")
    print(f"\n  answers: {dict(answers)}; finished {finished} of {accepted} accepted")
    names = sorted(sampler.pids, key=lambda name: name == "sandbox")  # the test double last
    report(sampler, names)
    print(
        "  baselines: 'bare' = gunicorn serving bench/bare_app.py (same settings, "
        f"{bare_posts} form POSTs before the run); 'idle RQ worker' = `callback worker "
        "--queue integrations`, no jobs. The sandbox is the test double, not the service."
    )
    env.close()
    return 0 if finished >= accepted == total else 1


def _pids_with(fragment: str) -> list[tuple[int, int]]:
    """(pid, parent pid) of every process whose command line contains `fragment`."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
        if fragment in cmdline:
            found.append((int(entry.name), parent))
    return found


def _master(port: int) -> int:
    """The gunicorn master bound to `port` (started by this process)."""
    mine = [pid for pid, parent in _pids_with(f"127.0.0.1:{port} ") if parent == os.getpid()]
    if len(mine) != 1:
        raise RuntimeError(f"gunicorn master on port {port}: found {mine}")
    return mine[0]


def _pid_on(port: int) -> int:
    mine = [pid for pid, parent in _pids_with(f"--port {port} ") if parent == os.getpid()]
    if not mine:
        mine = [pid for pid, parent in _pids_with(f"--port {port}") if parent == os.getpid()]
    return mine[0]


if __name__ == "__main__":
    sys.exit(main())
