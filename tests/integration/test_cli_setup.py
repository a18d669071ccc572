"""The first widget and agent without curl: `callback widgets create`, `callback agents add`,
with the admin API's checks and its very words; no widget without a caller ID.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from callback import db
from callback.models import Agent, AuditEntry, Widget
from tests.factories import AGENT_PHONE, CALLER_ID

ORIGIN = "https://www.example.com"
WIDGET_ARGS = ["--name", "Example Ltd", "--origin", ORIGIN, "--region", "GB"]


def cli(app: Flask, *args: str) -> Any:
    return app.test_cli_runner().invoke(args=list(args))


def api_error(client: FlaskClient, headers: dict[str, str], path: str, body: dict[str, Any]) -> str:
    answer = client.post(f"/api/v1/admin/{path}", json=body, headers=headers)
    assert answer.status_code == 422, answer.get_data(as_text=True)
    return str(answer.get_json()["error"]["message"])


def test_widgets_create_makes_a_widget_and_prints_its_key_and_tag(app: Flask) -> None:
    result = cli(app, "widgets", "create", *WIDGET_ARGS, "--caller-id", CALLER_ID)

    assert result.exit_code == 0, result.output
    widget = db.session().scalars(select(Widget)).one()
    assert (widget.allowed_origins, widget.default_region, widget.caller_id) == (
        [ORIGIN],
        "GB",
        CALLER_ID,
    )
    assert widget.allowed_countries == ["GB"]  # as the API defaults it
    assert f'data-widget="{widget.key}"' in result.output
    audit = db.session().scalars(select(AuditEntry)).one()
    assert (audit.action, audit.actor) == ("widget_created", "cli")
    assert widget.key in cli(app, "widgets", "list").output


@pytest.mark.parametrize(
    ("args", "body"),
    [
        (["--region", "XX"], {"default_region": "XX"}),
        (["--origin", "www.example.com"], {"allowed_origins": ["www.example.com"]}),
        (["--caller-id", "020 7946 0999"], {"caller_id": "020 7946 0999"}),
        (["--timezone", "Mars/Olympus"], {"timezone": "Mars/Olympus"}),
    ],
)
def test_widgets_create_refuses_as_the_admin_api_does_in_its_words(
    app: Flask,
    client: FlaskClient,
    admin_headers: dict[str, str],
    args: list[str],
    body: dict[str, Any],
) -> None:
    base = {"name": "Example Ltd", "allowed_origins": [ORIGIN], "default_region": "GB"}
    words = api_error(client, admin_headers, "widgets", {**base, **body})

    given = dict(zip(WIDGET_ARGS[::2], WIDGET_ARGS[1::2], strict=True))
    given.update(dict(zip(args[::2], args[1::2], strict=True)))
    result = cli(app, "widgets", "create", *[part for pair in given.items() for part in pair])
    assert result.exit_code != 0
    assert words in result.output
    assert "Traceback" not in result.output
    assert db.session().scalars(select(Widget)).all() == []


def test_no_widget_without_a_caller_id_unless_twilio_from_number_gives_one(
    app: Flask, client: FlaskClient, admin_headers: dict[str, str]
) -> None:
    app.config["TWILIO_FROM_NUMBER"] = None
    body = {"name": "Example Ltd", "allowed_origins": [ORIGIN], "default_region": "GB"}

    words = api_error(client, admin_headers, "widgets", body)
    assert words.startswith("caller_id: ")
    result = cli(app, "widgets", "create", *WIDGET_ARGS)
    assert result.exit_code != 0
    assert words in result.output
    assert db.session().scalars(select(Widget)).all() == []

    app.config["TWILIO_FROM_NUMBER"] = CALLER_ID
    assert cli(app, "widgets", "create", *WIDGET_ARGS).exit_code == 0


def test_agents_add_makes_an_agent_checked_as_the_api_checks_one(
    app: Flask, client: FlaskClient, admin_headers: dict[str, str]
) -> None:
    words = api_error(client, admin_headers, "agents", {"name": "Ada", "phone": "07700 900123"})
    refused = cli(app, "agents", "add", "--name", "Ada", "--phone", "07700 900123")
    assert refused.exit_code != 0
    assert words in refused.output

    added = cli(app, "agents", "add", "--name", "Ada", "--phone", AGENT_PHONE, "--language", "pl")
    assert added.exit_code == 0, added.output
    agent = db.session().scalars(select(Agent)).one()
    assert (agent.name, agent.phone, agent.languages, agent.team) == (
        "Ada",
        AGENT_PHONE,
        ["pl"],
        "default",
    )
    assert f"agent {agent.id} added" in added.output
