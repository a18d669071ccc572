"""The sandbox served over real HTTP, a customer app that answers it, and a Twilio client."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from flask import Flask, Response, request
from twilio.http.http_client import TwilioHttpClient
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from callback.sandbox import create_sandbox_app
from callback.sandbox.control import SandboxControl
from callback.sandbox.server import serve_in_thread

ACCOUNT_SID = "AC" + "5a" * 16
AUTH_TOKEN = "sandbox-test-token"
FROM = "+15005550006"  # Twilio's magic "valid caller ID"
AGENT = "+442079460001"  # Ofcom's drama range: never a real person's number
VISITOR = "+447700900123"
OTHER = "+442079460002"

Twiml = str | Callable[[dict[str, str]], str]


@dataclass
class Hit:
    """One request the sandbox made to the customer app."""

    path: str
    method: str
    params: dict[str, str]
    signature_valid: bool
    idempotency_token: str | None


@dataclass
class Customer:
    """A tiny app under test: returns TwiML per path and records every webhook."""

    base_url: str = ""
    twiml: dict[str, Twiml] = field(default_factory=dict)
    hits: list[Hit] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, path: str) -> str:
        return f"{self.base_url}/{path.lstrip('/')}"

    def received(self, path: str) -> list[Hit]:
        with self.lock:
            return [h for h in self.hits if h.path == path.lstrip("/")]

    def callbacks(self, sid: str, path: str = "status") -> list[Hit]:
        return [h for h in self.received(path) if h.params.get("CallSid") == sid]

    def wait_for(self, predicate: Callable[[], Any], timeout: float = 5.0) -> Any:
        deadline = time.monotonic() + timeout
        while not (result := predicate()):
            if time.monotonic() > deadline:
                raise TimeoutError("the customer app did not see what was expected")
            time.sleep(0.01)
        return result


def customer_app(customer: Customer) -> Flask:
    app = Flask("customer")
    validator = RequestValidator(AUTH_TOKEN)

    @app.route("/<path:path>", methods=["GET", "POST"])
    def webhook(path: str) -> Response:
        params = request.form.to_dict() if request.method == "POST" else {}
        # The URL exactly as requested: werkzeug's request.url re-quotes the query string.
        url = request.base_url
        if request.query_string:
            url += "?" + request.query_string.decode()
        signed = validator.validate(url, params, request.headers.get("X-Twilio-Signature", ""))
        hit = Hit(
            path,
            request.method,
            params or request.args.to_dict(),
            signed,
            request.headers.get("I-Twilio-Idempotency-Token"),
        )
        with customer.lock:
            customer.hits.append(hit)
        answer = customer.twiml.get(path, "<Response/>")
        body = answer(hit.params) if callable(answer) else answer
        return Response(body, mimetype="text/xml")

    return app


@dataclass
class Sandbox:
    url: str
    control: SandboxControl


def start_sandbox(config: dict[str, Any] | None = None) -> tuple[Any, Sandbox]:
    app = create_sandbox_app(
        {
            "SANDBOX_ACCOUNT_SID": ACCOUNT_SID,
            "SANDBOX_AUTH_TOKEN": AUTH_TOKEN,
            "SANDBOX_TIME_SCALE": 0,
            **(config or {}),
        }
    )
    server, url = serve_in_thread(app)
    return server, Sandbox(url, SandboxControl(url))


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    server, box = start_sandbox()
    yield box
    box.control.close()
    server.close()


@pytest.fixture
def customer() -> Iterator[Customer]:
    customer = Customer()
    server, customer.base_url = serve_in_thread(customer_app(customer))
    yield customer
    server.close()


def twilio_client(base_url: str, timeout: float | None = None) -> Client:
    client = Client(ACCOUNT_SID, AUTH_TOKEN, http_client=TwilioHttpClient(timeout=timeout))
    client.api.base_url = base_url
    return client


@pytest.fixture
def client(sandbox: Sandbox) -> Client:
    return twilio_client(sandbox.url)


def place(client: Client, customer: Customer, to: str = AGENT, **options: Any) -> Any:
    """Create a call whose TwiML comes from the customer's /voice and callbacks go to /status."""
    options.setdefault("url", customer.url("voice"))
    options.setdefault("status_callback", customer.url("status"))
    return client.calls.create(to=to, from_=FROM, **options)


def ended(sandbox: Sandbox, sid: str, timeout: float = 5.0) -> dict[str, Any]:
    """Wait for a call leg to end in the sandbox and return it with its log."""
    return dict(sandbox.control.wait_for_call(sid, timeout=timeout))


def said(call: dict[str, Any]) -> list[str]:
    return [entry["text"] for entry in call["log"] if entry["kind"] == "say"]
