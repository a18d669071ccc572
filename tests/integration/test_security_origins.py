"""Origin allowlist: exact origins only, enforced on the server; CSRF on the plain form."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.factories import VISITOR_TYPED, make_widget, stored_requests
from tests.visitors import callbacks_url, csrf_token, submit

ALLOWED = "https://example.com"
FOREIGN_ORIGINS = [
    "https://example.com.evil.net",
    "https://evil-example.com",
    "https://sub.example.com",
    "http://example.com",
    "https://example.com:8443",
    "https://example.com/",
    "null",
    "",
]


def preflight(client: FlaskClient, key: str, origin: str) -> Any:
    return client.options(
        callbacks_url(key),
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )


@pytest.mark.parametrize("origin", FOREIGN_ORIGINS)
def test_post_from_any_other_origin_is_403_without_cors_and_stores_nothing(
    client: FlaskClient, origin: str
) -> None:
    widget = make_widget(allowed_origins=[ALLOWED])
    response = submit(client, widget.key, VISITOR_TYPED, headers={"Origin": origin})
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "origin_not_allowed"
    assert not any(name.startswith("Access-Control-") for name, _ in response.headers.items())
    assert stored_requests() == 0


@pytest.mark.parametrize("origin", FOREIGN_ORIGINS)
def test_preflight_from_another_origin_grants_nothing(client: FlaskClient, origin: str) -> None:
    widget = make_widget(allowed_origins=[ALLOWED])
    response = preflight(client, widget.key, origin)
    assert response.status_code == 403
    assert "Access-Control-Allow-Origin" not in response.headers


def test_preflight_from_an_allowed_origin_allows_the_post(client: FlaskClient) -> None:
    widget = make_widget(allowed_origins=[ALLOWED, "https://www.example.org"])
    response = preflight(client, widget.key, "https://www.example.org")
    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == "https://www.example.org"
    assert "POST" in response.headers["Access-Control-Allow-Methods"]
    assert "Content-Type" in response.headers["Access-Control-Allow-Headers"]
    assert response.headers["Vary"] == "Origin"
    # Nothing about credentials: the API uses none, so browsers send no cookies.
    assert "Access-Control-Allow-Credentials" not in response.headers


def test_post_from_an_allowed_origin_is_accepted_with_its_cors_header(
    client: FlaskClient,
) -> None:
    widget = make_widget(allowed_origins=[ALLOWED])
    response = submit(client, widget.key, VISITOR_TYPED, headers={"Origin": ALLOWED})
    assert response.status_code == 202
    assert response.headers["Access-Control-Allow-Origin"] == ALLOWED


def test_widget_without_allowed_origins_refuses_every_browser_origin(
    client: FlaskClient,
) -> None:
    widget = make_widget(allowed_origins=[])
    assert submit(client, widget.key, VISITOR_TYPED, headers={"Origin": ALLOWED}).status_code == 403


def test_plain_form_carries_a_csrf_token_bound_to_its_widget(client: FlaskClient) -> None:
    widget, other = make_widget(), make_widget(name="Other Ltd")
    page = client.get(f"/w/{other.key}").get_data(as_text=True)
    # A token taken from another widget's form does not open this one.
    response = client.post(
        f"/w/{widget.key}",
        data={"phone": VISITOR_TYPED, "consent": "true", "csrf_token": csrf_token(page)},
    )
    assert response.status_code == 400
    assert stored_requests() == 0
