"""Posting a line of text to a Slack-compatible incoming webhook (Slack, Mattermost...).

It goes out as a webhook does (`outbound.post_json`): the URL and its host's addresses
checked at each post, the connection made to the address checked, no redirect followed,
the answer's size capped. An incoming-webhook URL is itself the credential, so no error
raised here carries it (RQ keeps a failed job's traceback).
"""

from __future__ import annotations

import json

from callback.integrations.outbound import post_json


class ChatNotSent(Exception):
    """The chat webhook was not reached or did not accept the message."""


def post_chat(url: str, text: str) -> None:
    """Post `text` to the incoming webhook at `url`; raise ChatNotSent unless it took it."""
    answer = post_json(url, json.dumps({"text": text}).encode(), {})
    if answer.succeeded:
        return
    if answer.status_code is not None:
        raise ChatNotSent(f"chat webhook answered {answer.status_code}")
    raise ChatNotSent(f"chat webhook not reached ({answer.error})")
