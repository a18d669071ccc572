"""One POST of JSON to an owner's URL, to the address vetted for it and nowhere else.

The host is resolved and every address checked right before the send; the connection
then goes to a vetted address itself (TLS still checked against the host name), so a
name that re-resolves to 127.0.0.1 between the check and the connect (DNS rebinding)
cannot steer it. Redirects are not followed: they could point anywhere. The answer is
read up to a cap and dropped; only its status code and Retry-After are kept.

An attempt has a deadline as a whole, not only per read (a receiver trickling a byte
every few seconds never trips a read timeout): WEBHOOK_CONNECT_TIMEOUT plus
WEBHOOK_READ_TIMEOUT plus a second, for at most two of the host's addresses together.
A watchdog shuts the connection's socket down when it passes, whatever the attempt is
waiting for (the TLS handshake, the status line, a header, the body). Whatever goes
wrong in a send comes back as a failed Answer; nothing escapes to the delivery job.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TypeVar

import urllib3
from flask import current_app
from urllib3 import connection as connections
from urllib3 import exceptions as failures

from callback.errors import Invalid
from callback.integrations.addresses import BlockedAddress, Target, check_addresses, check_url
from callback.integrations.endpoints import loopback_allowed

# Enough for any acknowledgement; more is read no further (a receiver cannot make us
# hold a large answer, or keep us reading one without end).
MAX_ANSWER_BYTES = 64 * 1024
READ_CHUNK_BYTES = 8 * 1024
USER_AGENT = "Callback-Webhooks/1"
# Beyond the two timeouts, for the rest of an attempt (sending the body, the TLS handshake).
DEADLINE_MARGIN_SECONDS = 1.0
# A host's addresses tried, when connecting to one fails: two cover IPv6 and IPv4; more
# would let a name with many blackholed addresses spend the attempt connecting.
MOST_ADDRESSES = 2
TOO_SLOW = "the receiver took too long to answer"
CONNECT_FAILURES = frozenset({"could not connect", "connection timed out"})

log = logging.getLogger(__name__)
Connection = TypeVar("Connection", bound=connections.HTTPConnection)


@dataclass(frozen=True)
class Answer:
    """What came of one POST: a status code, or a short error that names no address."""

    status_code: int | None
    retry_after: float | None = None
    error: str | None = None

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def post_json(url: str, body: bytes, headers: Mapping[str, str]) -> Answer:
    """POST `body` (JSON) to `url` if its host resolves only to allowed addresses.

    Never raises: whatever goes wrong is a failed Answer, which the job records.
    """
    try:
        return _post_json(url, body, headers)
    except Exception as failed:  # noqa: BLE001 - a failed attempt, not a failed job
        log.warning("webhook send failed unexpectedly: %s", type(failed).__name__)
        return Answer(None, error="the send failed unexpectedly")


def _post_json(url: str, body: bytes, headers: Mapping[str, str]) -> Answer:
    allow_loopback = loopback_allowed()
    try:
        target = check_url(url, allow_loopback)
        addresses = check_addresses(target, allow_loopback)
    except Invalid:
        return Answer(None, error="the URL is not allowed")
    except BlockedAddress as refused:
        return Answer(None, error=str(refused))
    sent_headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        **headers,
        "Host": _host_header(target),
    }
    connect = float(current_app.config["WEBHOOK_CONNECT_TIMEOUT"])
    read = float(current_app.config["WEBHOOK_READ_TIMEOUT"])
    deadline = time.monotonic() + connect + read + DEADLINE_MARGIN_SECONDS
    answer = Answer(None, error="could not connect")
    for address in addresses[:MOST_ADDRESSES]:
        if time.monotonic() >= deadline:
            return Answer(None, error=TOO_SLOW)
        answer = _post_to(target, address, body, sent_headers, deadline)
        if answer.error not in CONNECT_FAILURES:
            break  # nothing was sent yet only when connecting failed: try the next address
    return answer


def _post_to(
    target: Target, address: str, body: bytes, headers: dict[str, str], deadline: float
) -> Answer:
    """One POST to one address, all of it (connecting included) done by `deadline`."""
    connect = float(current_app.config["WEBHOOK_CONNECT_TIMEOUT"])
    read = float(current_app.config["WEBHOOK_READ_TIMEOUT"])
    left = max(deadline - time.monotonic(), 0.01)
    watchdog = _Watchdog(deadline)
    timeout = urllib3.Timeout(connect=min(connect, left), read=min(read, left))
    pool = _pool(target, address, timeout, watchdog)
    try:
        response = pool.urlopen(
            "POST",
            target.path,
            body=body,
            headers=headers,
            retries=False,
            redirect=False,
            assert_same_host=False,
            preload_content=False,
            decode_content=False,
        )
        _read_some(response, deadline)
        response.close()  # whatever is left unread is dropped with the connection
    except Exception as failed:  # noqa: BLE001 - every failure is an attempt's answer
        return Answer(None, error=TOO_SLOW if watchdog.cancel() else _failure(failed))
    finally:
        watchdog.cancel()
        pool.close()
    if watchdog.cancel():
        # Cut off mid-answer: what was read (a status line, part of a header) may look
        # whole to the parser, but the receiver did not answer in time.
        return Answer(None, error=TOO_SLOW)
    error = "redirects are not followed" if 300 <= response.status < 400 else None
    retry_after = _retry_after(response.headers.get("Retry-After"))
    return Answer(response.status, retry_after, error)


def _failure(failed: Exception) -> str:
    """Name what went wrong in a few words, never an address (exception texts hold them)."""
    if isinstance(failed, failures.NewConnectionError):
        return "could not connect"
    if isinstance(failed, failures.ConnectTimeoutError):
        return "connection timed out"
    if isinstance(failed, failures.ReadTimeoutError):
        return "timed out waiting for the answer"
    if isinstance(failed, failures.SSLError):
        return "TLS failed (certificate not valid for the host?)"
    if isinstance(failed, failures.HTTPError | OSError):  # protocol errors, a reset
        return "the connection failed mid-answer"
    log.warning("webhook send failed unexpectedly: %s", type(failed).__name__)
    return "the send failed unexpectedly"


class _Watchdog:
    """Shuts the attempt's connection down once its deadline passes, wherever it waits.

    It holds a duplicate of the connection's socket, taken as the socket is made (before
    any TLS handshake): shutting the duplicate down ends the connection for the blocked
    read too, and it can never hit another socket that reused a closed descriptor.
    """

    def __init__(self, deadline: float) -> None:
        self.expired = False
        self._finished = False
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._timer = threading.Timer(max(deadline - time.monotonic(), 0.0), self._expire)
        self._timer.daemon = True
        self._timer.start()

    def watch(self, sock: socket.socket) -> None:
        """Watch a new connection's socket (through a duplicate, closed by `cancel`)."""
        with self._lock:
            self._sockets.append(sock.dup())
            if self.expired:
                self._shut_down()

    def cancel(self) -> bool:
        """Stop watching (at once, and for good); return whether the deadline had passed."""
        self._timer.cancel()
        with self._lock:
            self._finished = True
            for sock in self._sockets:
                sock.close()
            self._sockets.clear()
            return self.expired

    def _expire(self) -> None:
        with self._lock:
            if not self._finished:  # an attempt that ended in time stays as it ended
                self.expired = True
                self._shut_down()

    def _shut_down(self) -> None:
        for sock in self._sockets:
            with contextlib.suppress(OSError):  # already closed by the other end
                sock.shutdown(socket.SHUT_RDWR)


def _pool(
    target: Target, address: str, timeout: urllib3.Timeout, watchdog: _Watchdog
) -> urllib3.HTTPConnectionPool:
    pool: urllib3.HTTPConnectionPool
    if target.scheme == "http":
        pool = urllib3.HTTPConnectionPool(address, target.port, timeout=timeout, maxsize=1)
        pool.ConnectionCls = _watched(connections.HTTPConnection, watchdog)
        return pool
    pool = urllib3.HTTPSConnectionPool(
        address,
        target.port,
        timeout=timeout,
        maxsize=1,
        cert_reqs="CERT_REQUIRED",
        server_hostname=target.host,
        assert_hostname=target.host,
    )
    pool.ConnectionCls = _watched(connections.HTTPSConnection, watchdog)
    return pool


def _watched(base: type[Connection], watchdog: _Watchdog) -> type[Connection]:
    """Return `base` whose new sockets the watchdog can shut down (`_new_conn` makes each
    one, connected and not yet wrapped in TLS, in urllib3 1.x and 2.x alike)."""

    class Watched(base):  # type: ignore[valid-type,misc]
        def _new_conn(self) -> socket.socket:
            sock = super()._new_conn()
            watchdog.watch(sock)
            return sock

    return Watched


def _read_some(response: urllib3.BaseHTTPResponse, deadline: float) -> None:
    """Read (and drop) at most MAX_ANSWER_BYTES of the answer, until the deadline.

    A read blocked past the deadline is ended by the watchdog (it fails the attempt).
    """
    read = 0
    while read < MAX_ANSWER_BYTES and time.monotonic() < deadline:
        chunk = response.read(READ_CHUNK_BYTES, decode_content=False)
        if not chunk:
            return
        read += len(chunk)


def _host_header(target: Target) -> str:
    host = f"[{target.host}]" if ":" in target.host else target.host
    default = 443 if target.scheme == "https" else 80
    return host if target.port == default else f"{host}:{target.port}"


def _retry_after(value: str | None) -> float | None:
    """Return Retry-After in seconds from now (it may be seconds or an HTTP date)."""
    if not value:
        return None
    if value.strip().isdigit():
        return float(value.strip())
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())
