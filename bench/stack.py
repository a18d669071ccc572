"""The whole service for a benchmark: sandbox (time scale 0), gunicorn web, RQ workers.

`CreateLog` polls the sandbox's request log (it keeps the last 500) and keeps every
Calls create with the time the sandbox received it, keyed by the attempt in its URL.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field

import requests

from bench.env import BenchEnv
from bench.procs import free_port, gunicorn, sandbox, started, worker_argv

ATTEMPT_IN_URL = re.compile(r"/twilio/attempts/(\d+)/")


@dataclass
class CreateLog:
    """Agent-leg creates seen by the sandbox: attempt id -> time received (epoch seconds)."""

    sandbox_url: str
    creates: dict[int, float] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def _poll_once(self, session: requests.Session) -> None:
        for entry in session.get(f"{self.sandbox_url}/_sandbox/requests", timeout=10).json():
            if entry["method"] != "POST" or not entry["path"].endswith("/Calls.json"):
                continue
            match = ATTEMPT_IN_URL.search(str(entry["form"].get("Url", "")))
            if match:
                self.creates.setdefault(int(match.group(1)), float(entry["at"]))

    def _run(self) -> None:
        with requests.Session() as session:
            while not self._stop.is_set():
                self._poll_once(session)
                self._stop.wait(0.1)
            self._poll_once(session)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join()


@dataclass
class Running:
    web: str
    sandbox: str
    creates: CreateLog


@contextmanager
def running(
    env: BenchEnv,
    worker_kinds: list[str],
    web_workers: int = 2,
    tag: str = "stack",
    settings: dict[str, str] | None = None,
    sandbox_settings: dict[str, str] | None = None,
) -> Iterator[Running]:
    """Start sandbox, web and one worker per entry of `worker_kinds`; stop all afterwards.

    `settings` override the benchmark's environment for the web app and the workers,
    `sandbox_settings` the sandbox's (SANDBOX_SCENARIO, say).
    """
    web_port, sandbox_port = free_port(), free_port()
    web_url = f"http://127.0.0.1:{web_port}"
    logs = env.work_dir
    with ExitStack() as stack:
        sandbox_url = stack.enter_context(
            sandbox(
                env.process_env(**(sandbox_settings or {})),
                logs / f"{tag}-sandbox.log",
                sandbox_port,
            )
        )
        process_env = env.process_env(
            PUBLIC_BASE_URL=web_url,
            TWILIO_API_BASE_URL=sandbox_url,
            TWILIO_READ_TIMEOUT="30",
            **(settings or {}),
        )
        stack.enter_context(
            gunicorn("wsgi:app", process_env, logs / f"{tag}-web.log", web_port, web_workers)
        )
        for i, kind in enumerate(worker_kinds):
            log = logs / f"{tag}-worker-{i}-{kind}.log"
            stack.enter_context(started(worker_argv(kind, f"bench-{tag}-{i}"), process_env, log))
        time.sleep(1.0)  # workers register and start listening
        creates = CreateLog(sandbox_url)
        creates.start()
        stack.callback(creates.stop)
        yield Running(web_url, sandbox_url, creates)
