"""Real receivers for what the service sends: an SMTP server and a chat webhook, on loopback."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session


@dataclass
class Received:
    """One message as the SMTP server got it."""

    recipients: list[str]
    raw: bytes

    @property
    def message(self) -> EmailMessage:
        parsed = message_from_bytes(self.raw, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def body(self) -> str:
        part = self.message.get_body(("plain",))
        assert part is not None
        return str(part.get_content())  # type: ignore[attr-defined]


@dataclass
class Mailbox:
    """What an aiosmtpd server on 127.0.0.1 received."""

    port: int
    messages: list[Received] = field(default_factory=list)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.content
        raw = content if isinstance(content, bytes) else str(content).encode()
        self.messages.append(Received(list(envelope.rcpt_tos), raw))
        return "250 Message accepted for delivery"

    @property
    def plain_url(self) -> str:
        """SMTP_URL for this server: plain SMTP, which a relay on loopback may be."""
        return f"smtp://127.0.0.1:{self.port}?tls=off"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def smtp_server() -> Iterator[Mailbox]:
    """Run an SMTP server on loopback that keeps every message it is sent."""
    mailbox = Mailbox(free_port())
    controller = Controller(mailbox, hostname="127.0.0.1", port=mailbox.port)
    controller.start()
    try:
        yield mailbox
    finally:
        controller.stop()


@dataclass
class ChatInbox:
    """What a chat webhook on loopback was posted; `answer` is the status it replies with."""

    url: str = ""
    posts: list[dict[str, Any]] = field(default_factory=list)
    answer: int = 200


@contextmanager
def chat_receiver() -> Iterator[ChatInbox]:
    """Run an HTTP server on loopback that keeps every JSON body posted to it."""
    inbox = ChatInbox()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            inbox.posts.append(json.loads(self.rfile.read(length)))
            self.send_response(inbox.answer)
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    inbox.url = f"http://127.0.0.1:{server.server_address[1]}/services/T000/B000/hook-secret"
    try:
        yield inbox
    finally:
        server.shutdown()
        server.server_close()
