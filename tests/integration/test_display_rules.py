"""A widget's display rules: checked by the admin API, carried to the script by its config."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.factories import make_widget
from tests.integration.test_api_bodies import assert_documented

ADMIN = "/api/v1/admin/widgets"
RULES = {
    "display_action": "nudge",
    "display_after_seconds": 20,
    "display_on_exit_intent": True,
    "display_scroll_percent": 50,
    "display_paths": ["/pricing*", "/blog/*/contact"],
}


def test_rules_set_through_the_admin_api_reach_the_widget_config(
    client: FlaskClient, admin_headers: dict[str, str]
) -> None:
    key = make_widget().key
    patched = client.patch(f"{ADMIN}/{key}", json=RULES, headers=admin_headers)
    assert patched.status_code == 200
    assert {name: patched.get_json()[name] for name in RULES} == RULES
    assert_documented(patched, f"{ADMIN}/{{widget_key}}", "patch")
    config = client.get(f"/api/v1/widgets/{key}/config?lang=en")
    assert config.get_json()["display"] == {
        "action": "nudge",
        "after_seconds": 20,
        "exit_intent": True,
        "scroll_percent": 50,
        "paths": ["/pricing*", "/blog/*/contact"],
    }
    assert_documented(config, "/api/v1/widgets/{widget_key}/config", "get")


def test_a_new_widget_shows_itself_only_when_asked(client: FlaskClient) -> None:
    body = client.get(f"/api/v1/widgets/{make_widget().key}/config?lang=pl").get_json()
    assert body["display"] == {
        "action": "none",
        "after_seconds": None,
        "exit_intent": False,
        "scroll_percent": None,
        "paths": [],
    }
    assert body["texts"]["nudge"] == "Masz pytania? Oddzwonimy w ciągu minuty."
    assert body["texts"]["dismiss"] == "Zamknij podpowiedź"


def test_a_trigger_may_be_cleared_with_null(
    client: FlaskClient, admin_headers: dict[str, str]
) -> None:
    key = make_widget(display_after_seconds=10, display_scroll_percent=30).key
    cleared = {"display_after_seconds": None, "display_scroll_percent": None}
    patched = client.patch(f"{ADMIN}/{key}", json=cleared, headers=admin_headers)
    assert patched.status_code == 200
    assert {name: patched.get_json()[name] for name in cleared} == cleared


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("display_action", "popup", "must be one of none, nudge, open"),
        ("display_after_seconds", -1, "must be a whole number from 0 to 3600"),
        ("display_after_seconds", "10", "must be a whole number from 0 to 3600"),
        ("display_scroll_percent", 0, "must be a whole number from 1 to 100"),
        ("display_scroll_percent", 101, "must be a whole number from 1 to 100"),
        ("display_on_exit_intent", "yes", "must be true or false"),
        ("display_paths", "/pricing", "must be a list of at most 20 items"),
        ("display_paths", ["/p"] * 21, "must be a list of at most 20 items"),
        ("display_paths", ["pricing"], "'pricing' is not a path pattern such as /pricing*"),
        ("display_paths", ["/a b"], "'/a b' is not a path pattern such as /pricing*"),
        ("display_paths", ["/p?x=1"], "'/p?x=1' is not a path pattern such as /pricing*"),
    ],
)
def test_bad_rules_are_422_naming_the_field_and_why(
    client: FlaskClient, admin_headers: dict[str, str], field: str, value: Any, words: str
) -> None:
    key = make_widget().key
    response = client.patch(f"{ADMIN}/{key}", json={field: value}, headers=admin_headers)
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["field"] == field
    assert error["message"].startswith(f"{field}: {words}")
