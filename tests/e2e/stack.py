"""The real pieces over HTTP: web app and sandbox in threads, an RQ worker process."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
from flask import Flask
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from callback.lifecycle.states import ENDED_ATTEMPT_STATUSES
from callback.models import CallAttempt, CallbackRequest, RequestStatus
from callback.sandbox import create_sandbox_app
from callback.sandbox.control import SandboxControl
from callback.sandbox.server import ServedApp, serve_in_thread
from callback.settings import SANDBOX_ACCOUNT_SID, SANDBOX_AUTH_TOKEN, load_settings
from tests.visitors import callbacks_url

WAIT_SECONDS = 30.0
# An attempt has settled once its call ended, or once it is known no call was created.
SETTLED = ENDED_ATTEMPT_STATUSES


@dataclass
class Stack:
    """A running service: `web` and `sandbox` base URLs, the engine, a control client."""

    app: Flask
    web: str
    sandbox: SandboxControl
    engine: Engine
    worker_env: dict[str, str]
    log_dir: Path
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def submit(self, widget_key: str, phone: str, **extra: Any) -> dict[str, Any]:
        response = requests.post(
            f"{self.web}{callbacks_url(widget_key)}",
            json={"phone": phone, "consent": True, **extra},
            timeout=10,
        )
        assert response.status_code == 202, response.text
        body: dict[str, Any] = response.json()
        return body

    def stored_request(self, request_id: str) -> CallbackRequest:
        with Session(self.engine) as session:
            row = session.get_one(CallbackRequest, uuid.UUID(request_id))
            session.expunge(row)
            return row

    def attempts(self, request_id: str) -> list[CallAttempt]:
        with Session(self.engine) as session:
            rows = list(
                session.scalars(
                    select(CallAttempt)
                    .where(CallAttempt.request_id == uuid.UUID(request_id))
                    .order_by(CallAttempt.id)
                )
            )
            session.expunge_all()
            return rows

    def wait_until(self, check: Callable[[], bool], what: str) -> None:
        deadline = time.monotonic() + WAIT_SECONDS
        while time.monotonic() < deadline:
            if check():
                return
            time.sleep(0.05)
        raise AssertionError(f"timed out waiting for {what}")

    def wait_for_status(self, request_id: str, *statuses: RequestStatus) -> CallbackRequest:
        self.wait_until(
            lambda: self.stored_request(request_id).status in statuses,
            f"request status in {[s.value for s in statuses]}",
        )
        return self.stored_request(request_id)

    def wait_calls_ended(self, what: str = "every sandbox call to end") -> None:
        """Wait until every call the sandbox has placed has ended."""
        self.wait_until(
            lambda: all(call["end_time"] is not None for call in self.sandbox.calls()), what
        )

    def wait_settled(self, request_id: str) -> list[CallAttempt]:
        """Wait until every leg of the request has reported its end; return the legs."""
        self.wait_until(
            lambda: all(a.status in SETTLED for a in self.attempts(request_id)),
            "every leg to report its end",
        )
        return self.attempts(request_id)

    def start_worker(self, *queues: str) -> subprocess.Popen[bytes]:
        """Start `callback worker` for the calls queue, or for `queues`."""
        return self._start("worker", *[f"--queue={name}" for name in queues])

    def start_cron(self) -> subprocess.Popen[bytes]:
        """Start `callback cron`, which has the reconciler run every RECONCILE_EVERY_SECONDS."""
        return self._start("cron")

    def _start(self, command: str, *options: str) -> subprocess.Popen[bytes]:
        log_path = self.log_dir / f"{command}-{len(self.workers)}.log"
        with log_path.open("wb") as log_file:
            worker = subprocess.Popen(  # noqa: S603 - one of our own CLI commands
                [sys.executable, "-m", "callback.cli", command, *options],
                env=self.worker_env,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own group: the scheduler child goes with it
            )
        self.workers.append(worker)
        return worker

    def worker_logs(self) -> str:
        return "\n".join(p.read_text(errors="replace") for p in self.log_dir.glob("*.log"))

    def stop_workers(self) -> None:
        for worker in self.workers:
            if worker.poll() is None:
                worker.terminate()
        for worker in self.workers:
            try:
                worker.wait(timeout=10)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()
            with contextlib.suppress(ProcessLookupError):
                os.killpg(worker.pid, signal.SIGKILL)  # anything left of its group


def _serve(app: Flask) -> tuple[ServedApp, str]:
    server, url = serve_in_thread(app)
    return server, url


@contextmanager
def running_stack(
    settings: dict[str, Any],
    engine: Engine,
    log_dir: Path,
    time_scale: float = 0.0,
    overrides: dict[str, str] | None = None,
) -> Iterator[Stack]:
    """Start sandbox, web and one worker; stop them all afterwards.

    `overrides` are environment variables for the worker, parsed as settings for the app.
    """
    log_dir.mkdir(parents=True, exist_ok=True)
    parsed = load_settings(overrides or {})
    settings = {**settings, **{name: parsed[name] for name in overrides or {} if name in parsed}}
    from callback import create_app  # noqa: PLC0415 - built per test, after settings exist

    sandbox_app = create_sandbox_app(
        {
            "SANDBOX_ACCOUNT_SID": SANDBOX_ACCOUNT_SID,
            "SANDBOX_AUTH_TOKEN": SANDBOX_AUTH_TOKEN,
            "SANDBOX_TIME_SCALE": time_scale,
        }
    )
    sandbox_server, sandbox_url = _serve(sandbox_app)
    app = create_app({**settings, "TWILIO_API_BASE_URL": sandbox_url})
    web_server, web_url = _serve(app)
    app.config["PUBLIC_BASE_URL"] = web_url
    worker_env = {
        **os.environ,
        **(overrides or {}),
        "DATABASE_URL": settings["DATABASE_URL"],
        "REDIS_URL": settings["REDIS_URL"],
        "SECRET_KEY": settings["SECRET_KEY"],
        "PHONE_HASH_KEY": settings["PHONE_HASH_KEY"],
        "PUBLIC_BASE_URL": web_url,
        "TELEPHONY": "sandbox",
        "TWILIO_ACCOUNT_SID": SANDBOX_ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": SANDBOX_AUTH_TOKEN,
        "TWILIO_API_BASE_URL": sandbox_url,
        "LOG_LEVEL": "DEBUG",
    }
    worker_env.update(overrides or {})
    stack = Stack(app, web_url, SandboxControl(sandbox_url), engine, worker_env, log_dir)
    stack.start_worker()
    try:
        yield stack
    finally:
        stack.stop_workers()
        web_server.close()
        sandbox_server.close()
        stack.sandbox.close()
        app.extensions["db"].engine.dispose()
