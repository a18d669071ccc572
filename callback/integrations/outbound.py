"""One POST of JSON to an owner's URL, to the address vetted for it and nowhere else.

The host is resolved and every address checked right before the send; the connection
then goes to a vetted address itself (TLS still checked against the host name), so a
name that re-resolves to 127.0.0.1 between the check and the connect (DNS rebinding)
cannot steer it. Redirects are not followed: they could point anywhere. The answer is
read up to a cap and dropped; only its status code and Retry-After are kept.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import urllib3
from flask import current_app
from urllib3 import exceptions as failures

from callback.errors import Invalid
from callback.integrations.addresses import BlockedAddress, Target, check_addresses, check_url
from callback.integrations.endpoints import loopback_allowed

# Enough for any acknowledgement; more is read no further (a receiver cannot make us
# hold a large answer, or keep us reading one without end).
MAX_ANSWER_BYTES = 64 * 1024
READ_CHUNK_BYTES = 8 * 1024
USER_AGENT = "Callback-Webhooks/1"


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
    """POST `body` (JSON) to `url` if its host resolves only to allowed addresses."""
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
    answer = Answer(None, error="could not connect")
    for address in addresses:
        answer = _post_to(target, address, body, sent_headers)
        if answer.error not in {"could not connect", "connection timed out"}:
            break  # nothing was sent yet only when connecting failed: try the next address
    return answer


def _post_to(target: Target, address: str, body: bytes, headers: dict[str, str]) -> Answer:
    connect = float(current_app.config["WEBHOOK_CONNECT_TIMEOUT"])
    read = float(current_app.config["WEBHOOK_READ_TIMEOUT"])
    pool = _pool(target, address, urllib3.Timeout(connect=connect, read=read))
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
        _read_some(response, deadline=time.monotonic() + read)
        response.close()  # whatever is left unread is dropped with the connection
    except failures.NewConnectionError:
        return Answer(None, error="could not connect")
    except failures.ConnectTimeoutError:
        return Answer(None, error="connection timed out")
    except failures.ReadTimeoutError:
        return Answer(None, error="timed out waiting for the answer")
    except failures.SSLError:
        return Answer(None, error="TLS failed (certificate not valid for the host?)")
    except failures.HTTPError:  # urllib3's base: protocol errors, a reset connection
        return Answer(None, error="the connection failed mid-answer")
    finally:
        pool.close()
    error = "redirects are not followed" if 300 <= response.status < 400 else None
    retry_after = _retry_after(response.headers.get("Retry-After"))
    return Answer(response.status, retry_after, error)


def _pool(target: Target, address: str, timeout: urllib3.Timeout) -> urllib3.HTTPConnectionPool:
    if target.scheme == "http":
        return urllib3.HTTPConnectionPool(address, target.port, timeout=timeout, maxsize=1)
    return urllib3.HTTPSConnectionPool(
        address,
        target.port,
        timeout=timeout,
        maxsize=1,
        cert_reqs="CERT_REQUIRED",
        server_hostname=target.host,
        assert_hostname=target.host,
    )


def _read_some(response: urllib3.BaseHTTPResponse, deadline: float) -> None:
    """Read (and drop) at most MAX_ANSWER_BYTES of the answer, for at most a read timeout."""
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
