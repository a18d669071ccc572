"""The receiver recipe in docs/integrations.md works against what the service really sends.

The recipe's code is taken from the document itself and served as a Flask app on
loopback; the delivery job signs and posts to it as it would to a customer's server.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import requests
from flask import Flask
from redis import Redis

from callback import db
from callback.integrations import events
from callback.integrations.endpoints import add_endpoint, change_endpoint
from callback.lifecycle.requests import finish
from callback.models import RequestStatus
from callback.sandbox.server import serve_in_thread
from tests.factories import make_request, make_widget
from tests.ops_machinery import work_burst
from workers.queues import INTEGRATIONS_QUEUE

DOC = Path(__file__).parents[2] / "docs" / "integrations.md"


def recipe(title: str) -> str:
    """Return the first Python block after the heading `title` in docs/integrations.md."""
    text = DOC.read_text()
    section = text[text.index(f"### {title}") :]
    found = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert found is not None, title
    return found.group(1)


@contextmanager
def served_recipe(secret: str) -> Iterator[dict[str, Any]]:
    """Run the recipe as its reader would, with `secret` in the environment, on loopback.

    Yields its module namespace, its URL under "url" and what it handled under "handled".
    """
    namespace: dict[str, Any] = {"__name__": "receiver"}
    code = compile(recipe("Receiving the webhook in a small Flask app"), "recipe", "exec")
    with pytest.MonkeyPatch.context() as environment:
        environment.setenv("CALLBACK_WEBHOOK_SECRET", secret)
        exec(code, namespace)  # noqa: S102 - our own documentation's code
    handled: list[dict[str, Any]] = []
    namespace["handle_completed"] = handled.append  # the reader's own work, recorded
    served, url = serve_in_thread(namespace["app"])
    namespace.update(url=url + "/hooks/callback", handled=handled)
    try:
        yield namespace
    finally:
        served.close()


def test_the_documented_receiver_accepts_our_signed_event_and_refuses_a_forgery(
    app: Flask, redis: Redis
) -> None:
    widget = make_widget()
    session = db.session()
    endpoint = add_endpoint(session, widget, "http://127.0.0.1:9/", [events.COMPLETED], "test")
    session.commit()
    with served_recipe(endpoint.secret) as receiver:  # the secret shown once, pasted
        change_endpoint(session, endpoint, {"url": receiver["url"]}, "test")
        session.commit()
        request = make_request(widget, status=RequestStatus.CONNECTED)
        finish(db.session(), request, RequestStatus.COMPLETED, "talked")
        db.session().commit()
        work_burst(redis, queue=INTEGRATIONS_QUEUE)
        forged = requests.post(
            receiver["url"],
            data=b'{"type": "callback.completed", "data": {}}',
            headers={
                "webhook-id": "msg_x",
                "webhook-timestamp": "0",
                "webhook-signature": "v1,AA==",
            },
            timeout=5,
        )
    [data] = receiver["handled"]
    assert data["request_id"] == str(request.id)
    assert data["status"] == "completed"
    assert forged.status_code == 400


@pytest.mark.parametrize(
    "title",
    ["`callback.completed` as a HubSpot call", "`callback.completed` as a Pipedrive activity"],
)
def test_the_crm_recipes_are_valid_python(title: str) -> None:
    compile(recipe(title), title, "exec")
