"""A real webhook receiver on loopback: it verifies every signature and answers as told.

Each POST is checked with `standardwebhooks` (as a widget owner's server would) and
kept; its answer is the next planned `Reply`, or 204 once the plan runs out.
"""

from __future__ import annotations

import ssl
import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

# An endless answer stops here if the sender never hangs up, so a broken cap fails.
MOST_STREAMED = 32 * 1024 * 1024
MOST_TRICKLED = 100


@dataclass(frozen=True)
class Reply:
    status: int = 204
    headers: dict[str, str] = field(default_factory=dict)
    hang: bool = False  # answer nothing until the receiver stops: the sender times out
    endless: bool = False  # 200 and a body that never ends
    # Send the answer's head (trickle_head) or its body a byte at a time, this many
    # seconds apart, for at most MOST_TRICKLED bytes: each read is quick, the whole slow.
    trickle_every: float = 0.0
    trickle_head: bool = True


@dataclass
class Received:
    payload: dict[str, Any]
    headers: dict[str, str]


class Receiver:
    """Webhooks received, in arrival order; `plan` holds the next answers."""

    def __init__(self) -> None:
        self.secret = ""
        self.received: list[Received] = []
        self.forged = 0
        self.streamed = 0
        self.stream_ended = threading.Event()
        self.trickled = 0
        self.hung_up_on = threading.Event()  # the sender closed while we trickled
        self.plan: deque[Reply] = deque()
        self.stopping = threading.Event()
        self.url = ""

    def answer(self, *replies: Reply) -> None:
        self.plan.extend(replies)

    @property
    def types(self) -> list[str]:
        return [item.payload["type"] for item in self.received]

    def take(self, body: bytes, headers: dict[str, str]) -> Reply:
        try:
            payload = Webhook(self.secret).verify(body, headers)
        except WebhookVerificationError:
            self.forged += 1
            return Reply(401)
        self.received.append(Received(payload, headers))
        return self.plan.popleft() if self.plan else Reply()


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            reply = receiver.take(body, dict(self.headers.items()))
            if reply.hang:
                receiver.stopping.wait()
                return
            if reply.trickle_every:
                self._trickle(reply)
                return
            self.send_response(reply.status)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            if reply.endless:
                self.end_headers()
                self._stream()
                return
            self.send_header("Content-Length", "0")
            self.end_headers()

        def _trickle(self, reply: Reply) -> None:
            self.close_connection = True
            head = f"HTTP/1.1 {reply.status} OK\r\n".encode()
            if not reply.trickle_head:
                head += b"Content-Type: text/plain\r\nConnection: close\r\n\r\n"
            else:
                head += b"X-Slow: "
            try:
                self.wfile.write(head)
                self.wfile.flush()
                while receiver.trickled < MOST_TRICKLED:
                    if receiver.stopping.wait(reply.trickle_every):
                        return
                    self.wfile.write(b"x")
                    self.wfile.flush()
                    receiver.trickled += 1
            except OSError:
                receiver.hung_up_on.set()

        def _stream(self) -> None:
            chunk = b"x" * 8192
            try:
                while receiver.streamed < MOST_STREAMED:
                    self.wfile.write(chunk)
                    receiver.streamed += len(chunk)
            except OSError:
                self.close_connection = True  # the sender hung up: as it should
            receiver.stream_ended.set()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@contextmanager
def receiving(
    path: str = "/hooks", tls: ssl.SSLContext | None = None, host: str = "127.0.0.1"
) -> Iterator[Receiver]:
    """Serve a receiver on `host` (a loopback address) in a thread; its URL is `receiver.url`.

    With `tls` it speaks https, and its URL names the host "localhost".
    """
    receiver = Receiver()
    server = ThreadingHTTPServer((host, 0), _handler(receiver))
    server.daemon_threads = True
    server.block_on_close = False
    receiver.url = f"http://{host}:{server.server_port}{path}"
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
        receiver.url = f"https://localhost:{server.server_port}{path}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        receiver.stopping.set()
        server.shutdown()
        server.server_close()
