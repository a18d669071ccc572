"""Security headers, body cap and error pages that never show a stack trace."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from redis import Redis
from sqlalchemy import Engine

from tests.app_with import app_with
from tests.factories import VISITOR_TYPED, make_widget
from tests.visitors import callbacks_url, submit

ORIGINS = ["https://www.example.com", "https://shop.example.com"]


def csp(response: Any) -> dict[str, str]:
    """Return the response's Content-Security-Policy as {directive: value}."""
    directives = response.headers["Content-Security-Policy"].split(";")
    parts = (d.strip().partition(" ") for d in directives)
    return {name: value for name, _, value in parts}


def test_every_answer_carries_nosniff_referrer_policy_and_a_csp(client: FlaskClient) -> None:
    widget = make_widget()
    for path in ("/api/v1/openapi.json", f"/w/{widget.key}", "/api/v1/callbacks/x?token=y"):
        response = client.get(path)
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "no-referrer"
        assert csp(response)["default-src"] == "'none'"


def test_api_answers_are_not_cached_and_cannot_be_framed(client: FlaskClient) -> None:
    response = client.get("/api/v1/openapi.json")
    assert response.headers["Cache-Control"] == "no-store"
    assert csp(response)["frame-ancestors"] == "'none'"


def test_form_page_may_be_framed_only_by_the_widget_origins(client: FlaskClient) -> None:
    widget = make_widget(allowed_origins=ORIGINS)
    policy = csp(client.get(f"/w/{widget.key}"))
    assert policy["frame-ancestors"].split() == ["'self'", *ORIGINS]
    assert policy["script-src"] == "'self'"
    assert policy["form-action"] == "'self'"


def test_status_page_is_framed_like_its_form(client: FlaskClient) -> None:
    widget = make_widget(allowed_origins=ORIGINS)
    accepted = submit(client, widget.key, VISITOR_TYPED).get_json()
    status_page = accepted["status_url"].replace("/api/v1/callbacks/", "/w/status/")
    response = client.get(status_page)
    assert response.status_code == 200
    assert csp(response)["frame-ancestors"].split() == ["'self'", *ORIGINS]


def test_widget_without_origins_and_unknown_pages_cannot_be_framed(client: FlaskClient) -> None:
    widget = make_widget(allowed_origins=[])
    for path in (f"/w/{widget.key}", "/w/wk_unknown"):
        response = client.get(path)
        assert csp(response)["frame-ancestors"] == "'none'"
        assert response.headers["X-Frame-Options"] == "DENY"


def test_hsts_is_sent_over_https_only(client: FlaskClient) -> None:
    plain = client.get("/api/v1/openapi.json")
    secure = client.get("/api/v1/openapi.json", base_url="https://callback.test")
    assert "Strict-Transport-Security" not in plain.headers
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_https_seen_by_a_trusted_proxy_gets_hsts(
    settings: dict[str, Any], engine: Engine, redis: Redis
) -> None:
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7"}
    with app_with({**settings, "TRUSTED_PROXY_HOPS": 1}, engine) as app:
        response = app.test_client().get("/api/v1/openapi.json", headers=forwarded)
    assert "Strict-Transport-Security" in response.headers


def test_forwarded_proto_from_an_untrusted_peer_is_ignored(client: FlaskClient) -> None:
    response = client.get("/api/v1/openapi.json", headers={"X-Forwarded-Proto": "https"})
    assert "Strict-Transport-Security" not in response.headers


def test_body_over_the_cap_is_refused_everywhere(client: FlaskClient) -> None:
    widget = make_widget()
    big = {"phone": VISITOR_TYPED, "consent": "true", "page_url": "x" * 17000}
    api = client.post(callbacks_url(widget.key), data=big)
    twilio = client.post("/twilio/attempts/1/status", data=big)
    assert api.status_code == twilio.status_code == 413


@pytest.mark.parametrize("path", ["/api/v1/boom", "/twilio/boom"])
def test_unexpected_error_is_json_without_a_stack_trace(app: Flask, path: str) -> None:
    def boom() -> str:
        raise RuntimeError("secret detail /srv/app/callback/intake.py line 42")

    app.add_url_rule(path, "boom" + path.replace("/", "_"), boom)
    app.config.update(TESTING=False, PROPAGATE_EXCEPTIONS=False)
    response = app.test_client().get(path)
    body = response.get_data(as_text=True)
    assert response.status_code == 500
    assert response.mimetype == "application/json"
    assert response.get_json()["error"]["code"] == "internal_server_error"
    assert "Traceback" not in body
    assert "secret detail" not in body
