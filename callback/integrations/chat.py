"""Posting a line of text to a Slack-compatible incoming webhook (Slack, Mattermost...).

The URL is checked as a webhook endpoint's is, and its host's addresses again before
each post. An incoming-webhook URL is itself the credential, so no error raised here
carries it (RQ keeps a failed job's traceback).
"""

from __future__ import annotations

import requests
from flask import current_app

from callback.errors import Invalid
from callback.integrations.addresses import BlockedAddress, check_addresses, check_url
from callback.integrations.endpoints import loopback_allowed


class ChatNotSent(Exception):
    """The chat webhook was not reached or did not accept the message."""


def post_chat(url: str, text: str) -> None:
    """Post `text` to the incoming webhook at `url`; raise ChatNotSent unless it took it."""
    allow_loopback = loopback_allowed()
    try:
        check_addresses(check_url(url, allow_loopback), allow_loopback)
    except Invalid as exc:
        raise ChatNotSent(f"chat webhook refused: {exc.message}") from None
    except BlockedAddress as exc:
        raise ChatNotSent(f"chat webhook refused: {exc}") from None
    timeouts = (
        current_app.config["WEBHOOK_CONNECT_TIMEOUT"],
        current_app.config["WEBHOOK_READ_TIMEOUT"],
    )
    try:
        response = requests.post(url, json={"text": text}, timeout=timeouts, allow_redirects=False)
    except requests.RequestException as exc:
        raise ChatNotSent(f"chat webhook not reached ({type(exc).__name__})") from None
    if not 200 <= response.status_code < 300:
        raise ChatNotSent(f"chat webhook answered {response.status_code}")
