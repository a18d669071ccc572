"""Text messages: Twilio's Message resource, and a phone that receives and reports them.

A message created through the REST API is stored as "queued" and answered at once, as
Twilio does; a thread then moves it to "sent" and on to "delivered", posting a signed
status callback for each step. A phone scripted to fail (`fail: true`) gets nothing:
its messages end "undelivered" with 30003 (unreachable handset). Twilio's magic test
numbers refuse the create itself (see MAGIC_TO_ERRORS).
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import requests

from callback.sandbox.callbacks import signed_request
from callback.sandbox.resources import API_VERSION, formatted, rfc2822

if TYPE_CHECKING:
    from callback.sandbox.network import Network

log = logging.getLogger(__name__)

# Twilio's magic "To" numbers for messages with test credentials, refused at create.
MAGIC_TO_ERRORS: dict[str, tuple[int, str]] = {
    "+15005550001": (21211, "The 'To' number +15005550001 is not a valid phone number."),
    "+15005550002": (21612, "The 'To' phone number is not currently reachable via SMS."),
    "+15005550003": (21408, "Permission to send an SMS has not been enabled for the region."),
    "+15005550004": (21610, "Attempt to send to unsubscribed recipient"),
    "+15005550009": (21614, "'To' number is not a valid mobile number"),
}
MAX_BODY = 1600
# Simulated seconds from queued to sent, and from sent to the handset's receipt.
SEND_SECONDS = 0.5
DELIVER_SECONDS = 1.0
UNREACHABLE = (30003, "Unreachable destination handset")


@dataclass
class TextMessage:
    """One outbound message, shaped after Twilio's Message resource."""

    sid: str
    account_sid: str
    to: str
    from_: str
    body: str
    created: float
    status: str = "queued"
    status_callback: str | None = None
    updated: float = 0.0
    sent: float | None = None
    error_code: int | None = None
    error_message: str | None = None
    generation: int = 0

    @property
    def finished(self) -> bool:
        """Return whether Twilio is done sending it (only then can it be deleted)."""
        return self.status in ("sent", "delivered", "undelivered", "failed")


def segments(body: str) -> int:
    """Return how many SMS segments `body` takes (GSM-7 160/153, else UCS-2 70/67)."""
    gsm = all(ord(ch) < 128 for ch in body)
    single, multi = (160, 153) if gsm else (70, 67)
    return 1 if len(body) <= single else -(-len(body) // multi)


def message_json(message: TextMessage) -> dict[str, Any]:
    """Return the Message resource as Twilio's API shows it."""
    base = f"/{API_VERSION}/Accounts/{message.account_sid}/Messages/{message.sid}"
    return {
        "sid": message.sid,
        "account_sid": message.account_sid,
        "api_version": API_VERSION,
        "to": message.to,
        "from": message.from_,
        "body": message.body,
        "status": message.status,
        "direction": "outbound-api",
        "num_segments": str(segments(message.body)),
        "num_media": "0",
        "messaging_service_sid": None,
        "price": None,
        "price_unit": "USD",
        "error_code": message.error_code,
        "error_message": message.error_message,
        "date_created": rfc2822(message.created),
        "date_updated": rfc2822(max(message.updated, message.created)),
        "date_sent": rfc2822(message.sent),
        "uri": base + ".json",
        "subresource_uris": {"media": base + "/Media.json", "feedback": base + "/Feedback.json"},
    }


def message_state(message: TextMessage) -> dict[str, Any]:
    """Return a message for the phones page and the control API."""
    return {**message_json(message), "to_formatted": formatted(message.to)}


def deliver(net: Network, message: TextMessage) -> None:
    """Start moving `message` on (sent, then delivered or undelivered) on a thread."""
    name = f"sandbox-text-{message.sid[-8:]}"
    threading.Thread(target=_play, args=(net, message), name=name, daemon=True).start()


def _play(net: Network, message: TextMessage) -> None:
    unreachable = net.phones.behaviour(message.to).fail
    steps = [
        ("sent", SEND_SECONDS),
        ("undelivered" if unreachable else "delivered", DELIVER_SECONDS),
    ]
    for status, seconds in steps:
        time.sleep(seconds / net.scale if net.scale > 0 else 0)
        with net.store.lock:
            if message.generation != net.store.generation:
                return  # the sandbox was reset meanwhile
            now = time.time()
            message.status, message.updated = status, now
            if status == "sent":
                message.sent = now
            if status == "undelivered":
                message.error_code, message.error_message = UNREACHABLE
            net.store.changed.notify_all()
        _report(net, message)


def _report(net: Network, message: TextMessage) -> None:
    """Post the signed status callback Twilio sends for the message's new status."""
    if not message.status_callback:
        return
    params = {
        "AccountSid": message.account_sid,
        "ApiVersion": API_VERSION,
        "From": message.from_,
        "To": message.to,
        "MessageSid": message.sid,
        "SmsSid": message.sid,
        "MessageStatus": message.status,
        "SmsStatus": message.status,
    }
    if message.error_code is not None:
        params["ErrorCode"] = str(message.error_code)
    try:
        response = signed_request(net.auth_token, "POST", message.status_callback, params)
    except requests.RequestException as exc:
        log.warning("%s callback of %s failed: %s", message.status, message.sid, type(exc).__name__)
        return
    if response.status_code >= 400:
        log.warning(
            "%s callback of %s answered HTTP %s", message.status, message.sid, response.status_code
        )
