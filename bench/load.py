"""Load generators: wrk at saturation (closed loop) and a fixed-rate open loop in asyncio.

The Debian archive has wrk but not wrk2, so the fixed rate is held by `open_loop`: each
request is due at start + i/rate whether or not earlier ones have answered, and its
latency counts from when it was due (no coordinated omission).
"""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import aiohttp

from bench.stats import percentile

WRK_DIR = Path(__file__).resolve().parent / "wrk"
UNITS = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}


@dataclass(frozen=True)
class Result:
    rate: float  # answered requests per second
    p50: float  # seconds
    p99: float
    errors: int  # non-2xx answers and failed requests


@dataclass(frozen=True)
class Call:
    path: str
    body: bytes
    headers: dict[str, str]


def _seconds(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    if not match:
        raise ValueError(text)
    return float(match.group(1)) * UNITS[match.group(2)]


def wrk(url: str, script: str, env: dict[str, str], seconds: int, connections: int) -> Result:
    """Run wrk with `script` from bench/wrk against `url` for `seconds`; parse its report."""
    threads = 2
    argv = [
        "wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency",
        "-s", str(WRK_DIR / script), url,
    ]  # fmt: skip
    full_env = {**os.environ, **env, "BENCH_THREADS": str(threads)}
    report = subprocess.run(argv, env=full_env, capture_output=True, text=True, check=True).stdout  # noqa: S603 - fixed argv
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", report).group(1))  # type: ignore[union-attr]
    p50 = _seconds(re.search(r"\s50%\s+(\S+)", report).group(1))  # type: ignore[union-attr]
    p99 = _seconds(re.search(r"\s99%\s+(\S+)", report).group(1))  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", report)
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", report
    )
    count = int(errors.group(1)) if errors else 0
    if socket_errors:
        count += sum(int(n) for n in socket_errors.groups())
    return Result(rate, p50, p99, count)


async def _open_loop(base: str, calls: list[Call], rate: float, seconds: float) -> Result:
    total = int(rate * seconds)
    latencies: list[float] = []
    errors = 0
    connector = aiohttp.TCPConnector(limit=200)
    parts = urlsplit(base)
    async with aiohttp.ClientSession(
        f"{parts.scheme}://{parts.netloc}/", connector=connector
    ) as session:

        async def one(i: int, due: float) -> None:
            nonlocal errors
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            call = calls[i % len(calls)]
            try:
                async with session.post(
                    call.path.lstrip("/"), data=call.body, headers=call.headers
                ) as answer:
                    await answer.read()
                    if answer.status >= 300:
                        errors += 1
            except aiohttp.ClientError:
                errors += 1
            latencies.append(time.perf_counter() - due)

        start = time.perf_counter() + 0.2
        await asyncio.gather(*(one(i, start + i / rate) for i in range(total)))
        elapsed = time.perf_counter() - start
    return Result(total / elapsed, percentile(latencies, 0.5), percentile(latencies, 0.99), errors)


def open_loop(base: str, calls: list[Call], rate: float, seconds: float) -> Result:
    """Send `calls` (cycled) at a fixed `rate` for `seconds`; latency counts from each due time."""
    return asyncio.run(_open_loop(base, calls, rate, seconds))
