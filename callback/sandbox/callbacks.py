"""Webhooks as Twilio sends them: signed requests, and status callbacks on a delivery thread."""

from __future__ import annotations

import itertools
import logging
import threading
import time
import uuid
from dataclasses import dataclass, field
from urllib.parse import urlencode

import requests
from twilio.request_validator import RequestValidator

from callback.sandbox.chaos import Chaos
from callback.sandbox.store import Call, Store

log = logging.getLogger(__name__)

WEBHOOK_TIMEOUT = (3.05, 15.0)  # Twilio gives a webhook 15 seconds
REORDER_WINDOW = 1.0  # a held callback waits at most this long for a later one to overtake it
USER_AGENT = "TwilioProxy/1.1"


def signed_request(
    token: str, method: str, url: str, params: dict[str, str], idempotency: str | None = None
) -> requests.Response:
    """Send `params` to `url` form-encoded (POST) or in the query (GET), signed like Twilio."""
    headers = {"User-Agent": USER_AGENT, "I-Twilio-Idempotency-Token": idempotency or new_token()}
    validator = RequestValidator(token)
    if method.upper() == "GET":
        full = url + ("&" if "?" in url else "?") + urlencode(params) if params else url
        headers["X-Twilio-Signature"] = validator.compute_signature(full, {})
        return requests.get(full, headers=headers, timeout=WEBHOOK_TIMEOUT)
    headers["X-Twilio-Signature"] = validator.compute_signature(url, params)
    return requests.post(url, data=params, headers=headers, timeout=WEBHOOK_TIMEOUT)


def new_token() -> str:
    """Return a fresh idempotency token for one webhook event."""
    return uuid.uuid4().hex


@dataclass(order=True)
class _Delivery:
    due: float
    order: int
    call: Call = field(compare=False)
    event: str = field(compare=False)
    params: dict[str, str] = field(compare=False)
    token: str = field(compare=False)
    held: bool = field(default=False, compare=False)
    done: threading.Event | None = field(default=None, compare=False)


class CallbackSender:
    """Deliver status callbacks in order, except where chaos says otherwise."""

    def __init__(self, store: Store, chaos: Chaos, auth_token: str) -> None:
        self._store, self._chaos, self._token = store, chaos, auth_token
        self._queue: list[_Delivery] = []
        self._cond = threading.Condition()
        self._counter = itertools.count()
        self._thread: threading.Thread | None = None
        self._closed = False

    def send(self, call: Call, event: str, params: dict[str, str]) -> threading.Event | None:
        """Queue one status callback for `call` (its URL and method are on the call).

        Return an event set once it was delivered (or failed), so that the player can keep
        Twilio's usual order (ringing is reported before the answered call fetches TwiML);
        None when chaos drops, delays or reorders it on purpose.
        """
        if self._closed:
            return None
        plan = self._chaos.plan(call.sid, call.to, event)
        with self._store.lock:
            call.note("callback", event=event, sequence=params["SequenceNumber"], dropped=plan.drop)
        if plan.drop:
            log.info("sandbox dropped the %s callback of %s on purpose", event, call.sid)
            return None
        now, token = time.monotonic(), new_token()
        done = None if plan.delay or plan.reorder else threading.Event()
        with self._cond:
            for copy in range(plan.copies):
                due = now + plan.delay + (REORDER_WINDOW if plan.reorder else 0) + copy * 0.01
                delivery = _Delivery(due, next(self._counter), call, event, params, token)
                delivery.held, delivery.done = plan.reorder, done if copy == 0 else None
                self._queue.append(delivery)
            if not plan.reorder:  # this callback overtakes the held ones of its call
                for held in self._queue:
                    if held.held and held.call.sid == call.sid:
                        held.due, held.order, held.held = due, next(self._counter), False
            self._queue.sort()
            self._cond.notify_all()
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="sandbox-callbacks", daemon=True
                )
                self._thread.start()
        return done

    def close(self) -> None:
        """Stop delivering; callbacks still queued are dropped."""
        with self._cond:
            self._closed = True
            for delivery in self._queue:
                if delivery.done is not None:
                    delivery.done.set()
            self._queue.clear()
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _next(self) -> _Delivery | None:
        with self._cond:
            while not self._closed:
                self._queue.sort()
                wait = self._queue[0].due - time.monotonic() if self._queue else 1.0
                if self._queue and wait <= 0:
                    return self._queue.pop(0)
                self._cond.wait(min(wait, 1.0))
            return None

    def _run(self) -> None:
        while (delivery := self._next()) is not None:
            try:
                if delivery.call.generation == self._store.generation:  # else: reset since
                    self._deliver(delivery)
            finally:
                if delivery.done is not None:
                    delivery.done.set()

    def _deliver(self, d: _Delivery) -> None:
        url, method = d.call.status_callback, d.call.status_callback_method
        if not url:
            return
        try:
            response = signed_request(self._token, method, url, d.params, d.token)
        except requests.RequestException as exc:
            log.warning("%s callback of %s failed: %s", d.event, d.call.sid, type(exc).__name__)
            return
        if response.status_code >= 400:
            log.warning(
                "%s callback of %s answered HTTP %s", d.event, d.call.sid, response.status_code
            )
