"""Starting and stopping the processes a benchmark measures: gunicorn, workers, sandbox."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests

from bench import dial_floor

REPO = Path(__file__).resolve().parent.parent
# The Procfile's web settings, for the app and the bare baseline alike.
GUNICORN_WORKERS = 2
GUNICORN_THREADS = 4


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_for_http(url: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            requests.get(url, timeout=1)
            return
        except requests.ConnectionError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up within {timeout}s")


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM, then SIGKILL if it does not exit within ten seconds."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextmanager
def started(
    argv: list[str], env: dict[str, str], log: Path, ready_url: str | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    """Run `argv` from the repository root, logging to `log`; stop it afterwards."""
    with log.open("ab") as log_file:
        process = subprocess.Popen(argv, env=env, cwd=REPO, stdout=log_file, stderr=log_file)  # noqa: S603 - our own commands
    try:
        if ready_url:
            wait_for_http(ready_url)
        yield process
    finally:
        stop(process)


@contextmanager
def gunicorn(
    app: str, env: dict[str, str], log: Path, port: int, workers: int = GUNICORN_WORKERS
) -> Iterator[str]:
    """Serve WSGI `app` ("module:name") with the Procfile's gunicorn settings; yield its URL."""
    argv = [
        sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py",
        "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
        "--threads", str(GUNICORN_THREADS), "--preload", app,
    ]  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    with started(argv, env, log, ready_url=f"{url}/healthz"):
        yield url


@contextmanager
def sandbox(env: dict[str, str], log: Path, port: int) -> Iterator[str]:
    """Run `callback sandbox` with zero simulated delays; yield its URL."""
    argv = [
        sys.executable, "-m", "callback.cli", "sandbox",
        "--port", str(port), "--time-scale", "0",
    ]  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    with started(argv, env, log, ready_url=f"{url}/_sandbox/state"):
        yield url


def unanswered_phones(work_dir: Path) -> dict[str, str]:
    """Return the sandbox's settings under which agents' phones ring and nobody answers."""
    scenario = work_dir / "phones-unanswered.toml"
    scenario.write_text("[default]\nmanual = true\n")
    return {"SANDBOX_SCENARIO": str(scenario)}


def worker_argv(kind: str, name: str) -> list[str]:
    """Return the command line of one RQ worker of `kind` (simple, fork, pool or floor)."""
    if kind == "floor":  # bench/dial_floor.py's job, under RQ's SimpleWorker (RQ_REDIS_URL)
        return [
            sys.executable, "-m", "rq.cli", "worker", "--name", name,
            "--worker-class", "rq.worker.SimpleWorker", dial_floor.QUEUE,
        ]  # fmt: skip
    base = [sys.executable, "-m", "callback.cli", "worker", "--name", name]
    if kind == "fork":
        return [*base, "--fork"]
    if kind == "pool":
        return [sys.executable, "-m", "bench.pool_worker", "--name", name]
    return base
