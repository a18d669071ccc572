"""Admin API and ops pages: bearer token or 401; no token configured means disabled (404)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.routing import Rule

from callback.security.admin_auth import token_is_valid
from tests.conftest import ADMIN_TOKEN

PROTECTED_PREFIXES = ("/api/v1/admin", "/ops")


def protected_rules(app: Flask) -> list[Rule]:
    rules = [r for r in app.url_map.iter_rules() if r.rule.startswith(PROTECTED_PREFIXES)]
    assert len(rules) >= 10, "the admin API should be registered"
    return rules


def placeholder(match: re.Match[str]) -> str:
    """Return a value the URL converter in `match` accepts."""
    converter = match.group(1) or ""
    if converter.startswith("any("):
        return converter[4:].split(",")[0].strip(" )'\"")
    return "1" if converter.startswith("int") else "x"


def call(client: FlaskClient, app: Flask, rule: Rule, headers: dict[str, str]) -> Any:
    """Call `rule` with placeholder arguments and the first method it takes."""
    url = re.sub(r"<(?:([^:>]+):)?[^>]+>", placeholder, rule.rule)
    method = sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})[0]
    return client.open(url, method=method, headers=headers, json={})


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        "Bearer",
        "Bearer ",
        "Bearer wrong-token",
        f"Bearer {ADMIN_TOKEN[:-1]}",
        f"Bearer {ADMIN_TOKEN}x",
        f"Basic {ADMIN_TOKEN}",
        f"Token {ADMIN_TOKEN}",
        "Bearer t\u00f6ken",
    ],
)
def test_every_admin_and_ops_route_refuses_a_missing_or_wrong_token(
    app: Flask, client: FlaskClient, authorization: str | None
) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    answers = {r.rule: call(client, app, r, headers) for r in protected_rules(app)}
    assert {rule: a.status_code for rule, a in answers.items() if a.status_code != 401} == {}
    api = [a for rule, a in answers.items() if rule.startswith("/api/")]
    assert all(a.get_json()["error"]["code"] == "unauthorized" for a in api)


def test_every_admin_and_ops_route_is_absent_when_no_token_is_configured(
    app: Flask, client: FlaskClient, admin_headers: dict[str, str]
) -> None:
    app.config["ADMIN_TOKENS"] = []
    codes = {r.rule: call(client, app, r, admin_headers).status_code for r in protected_rules(app)}
    assert {rule: code for rule, code in codes.items() if code != 404} == {}


def test_the_right_token_opens_the_admin_api(
    client: FlaskClient, admin_headers: dict[str, str]
) -> None:
    assert client.get("/api/v1/admin/widgets", headers=admin_headers).status_code == 200
    lowercase = {"Authorization": f"bearer {ADMIN_TOKEN}"}
    assert client.get("/api/v1/admin/widgets", headers=lowercase).status_code == 200


def test_any_configured_token_works_and_every_one_is_compared(app: Flask) -> None:
    app.config["ADMIN_TOKENS"] = ["first-token-aaaaaaaaaaaa", "second-token-bbbbbbbbbbb"]
    with app.test_request_context():
        assert token_is_valid("first-token-aaaaaaaaaaaa")
        assert token_is_valid("second-token-bbbbbbbbbbb")
        # Prefixes, extensions and other lengths go through the same comparison, refused.
        assert not token_is_valid("first-token")
        assert not token_is_valid("second-token-bbbbbbbbbbbb")
        assert not token_is_valid("")
        assert not token_is_valid("t\u00f6ken-\u2603")
