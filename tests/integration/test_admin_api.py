"""The admin API: token protection, widgets and agents, masked request listing."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from callback import db
from callback.models import Widget
from tests.factories import AGENT_PHONE, VISITOR_TYPED, make_widget
from tests.visitors import submit


def test_missing_or_wrong_token_is_401(client: FlaskClient) -> None:
    assert client.get("/api/v1/admin/widgets").status_code == 401
    wrong = client.get("/api/v1/admin/widgets", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    assert wrong.get_json()["error"]["code"] == "unauthorized"


def test_admin_is_disabled_without_configured_tokens(app: Flask, client: FlaskClient) -> None:
    app.config["ADMIN_TOKENS"] = []
    response = client.get("/api/v1/admin/widgets", headers={"Authorization": "Bearer x"})
    assert response.status_code == 404


def test_widget_created_with_defaults_that_work_at_once(
    client: FlaskClient, admin_headers: dict[str, str]
) -> None:
    response = client.post(
        "/api/v1/admin/widgets",
        json={"name": "Shop", "default_region": "pl", "allowed_origins": ["https://shop.example"]},
        headers=admin_headers,
    )
    assert response.status_code == 201
    widget = response.get_json()
    assert widget["key"].startswith("wk_")
    assert widget["allowed_countries"] == ["PL"]
    assert widget["team"] == "default"
    assert widget["ring_strategy"] == "sequential"
    assert widget["allowed_number_types"] == ["MOBILE", "FIXED_LINE", "FIXED_LINE_OR_MOBILE"]
    visitor = submit(client, widget["key"], "+48 22 123 45 67")
    assert visitor.status_code == 202


def test_widget_get_patch_delete(client: FlaskClient, admin_headers: dict[str, str]) -> None:
    key = make_widget().key
    assert client.get(f"/api/v1/admin/widgets/{key}", headers=admin_headers).status_code == 200
    patched = client.patch(
        f"/api/v1/admin/widgets/{key}", json={"language": "pl"}, headers=admin_headers
    )
    assert patched.get_json()["language"] == "pl"
    assert client.delete(f"/api/v1/admin/widgets/{key}", headers=admin_headers).status_code == 204
    assert client.get(f"/api/v1/admin/widgets/{key}", headers=admin_headers).status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"default_region": "GB"}, "name"),
        ({"name": "x"}, "default_region"),
        ({"name": "x", "default_region": "XX"}, "default_region"),
        (
            {"name": "x", "default_region": "GB", "allowed_origins": ["https://*.example.com"]},
            "allowed_origins",
        ),
        (
            {"name": "x", "default_region": "GB", "allowed_origins": ["https://a.example/path"]},
            "allowed_origins",
        ),
        ({"name": "x", "default_region": "GB", "timezone": "Mars/Olympus"}, "timezone"),
        ({"name": "x", "default_region": "GB", "caller_id": "12"}, "caller_id"),
        ({"name": "x", "default_region": "GB", "ring_strategy": "random"}, "ring_strategy"),
        ({"name": "x", "default_region": "GB", "colour": "red"}, "colour"),
    ],
)
def test_invalid_widget_fields_are_422_naming_the_field(
    client: FlaskClient, admin_headers: dict[str, str], body: dict[str, object], field: str
) -> None:
    response = client.post("/api/v1/admin/widgets", json=body, headers=admin_headers)
    assert response.status_code == 422
    assert response.get_json()["error"]["field"] == field


def test_agent_crud(client: FlaskClient, admin_headers: dict[str, str]) -> None:
    created = client.post(
        "/api/v1/admin/agents",
        json={"name": "Ada", "phone": "+44 20 7946 0001", "team": "sales", "priority": 1},
        headers=admin_headers,
    )
    assert created.status_code == 201
    agent = created.get_json()
    assert agent["phone"] == AGENT_PHONE
    url = f"/api/v1/admin/agents/{agent['id']}"
    patched = client.patch(url, json={"available": False}, headers=admin_headers)
    assert patched.get_json()["available"] is False
    listed = client.get("/api/v1/admin/agents", headers=admin_headers).get_json()
    assert [a["id"] for a in listed["agents"]] == [agent["id"]]
    assert client.delete(url, headers=admin_headers).status_code == 204
    assert client.get(url, headers=admin_headers).status_code == 404


def test_agent_with_bad_phone_is_422(client: FlaskClient, admin_headers: dict[str, str]) -> None:
    response = client.post(
        "/api/v1/admin/agents", json={"name": "Ada", "phone": "12345"}, headers=admin_headers
    )
    assert response.status_code == 422
    assert response.get_json()["error"]["field"] == "phone"


def test_request_listing_masks_numbers(client: FlaskClient, admin_headers: dict[str, str]) -> None:
    widget = make_widget()
    submit(client, widget.key, VISITOR_TYPED)
    listed = client.get("/api/v1/admin/callbacks", headers=admin_headers)
    rows = listed.get_json()["callbacks"]
    assert rows[0]["phone"] == "+44********23"
    assert "7946" not in listed.get_data(as_text=True)


def test_widget_phone_line_is_off_until_turned_on_with_its_offer_time(
    client: FlaskClient, admin_headers: dict[str, str]
) -> None:
    body = {"name": "Shop", "default_region": "GB"}
    created = client.post("/api/v1/admin/widgets", json=body, headers=admin_headers)
    assert created.status_code == 201, created.text
    assert (created.get_json()["line_enabled"], created.get_json()["line_offer_seconds"]) == (
        False,
        60,
    )
    url = f"/api/v1/admin/widgets/{created.get_json()['key']}"
    change = {"line_enabled": True, "line_offer_seconds": 0}
    patched = client.patch(url, json=change, headers=admin_headers)
    assert patched.status_code == 200, patched.text
    assert (patched.get_json()["line_enabled"], patched.get_json()["line_offer_seconds"]) == (
        True,
        0,
    )
    stored = db.session().scalars(select(Widget).filter_by(key=created.get_json()["key"])).one()
    assert (stored.line_enabled, stored.line_offer_seconds) == (True, 0)
    assert created.get_json()["line_music_url"] is None
    music = {"line_music_url": "https://media.example.com/hold.mp3"}
    assert client.patch(url, json=music, headers=admin_headers).get_json() | music == (
        client.get(url, headers=admin_headers).get_json()
    )
    cleared = client.patch(url, json={"line_music_url": None}, headers=admin_headers)
    assert cleared.get_json()["line_music_url"] is None
    for bad in (
        {"line_enabled": "yes"},
        {"line_offer_seconds": 3601},
        {"line_offer_seconds": -1},
        {"line_music_url": "ftp://media.example.com/hold.mp3"},
    ):
        refused = client.patch(url, json=bad, headers=admin_headers)
        assert refused.status_code == 422
        assert refused.get_json()["error"]["field"] == next(iter(bad))
    document = client.get("/api/v1/openapi.json").get_json()
    properties = document["components"]["schemas"]["WidgetUpdate"]["properties"]
    assert {"line_enabled", "line_offer_seconds", "line_music_url"} <= set(properties)
    assert properties["line_offer_seconds"]["maximum"] == 3600


def test_widget_rings_other_languages_unless_told_not_to(
    client: FlaskClient, admin_headers: dict[str, str]
) -> None:
    body = {"name": "Shop", "default_region": "GB"}
    created = client.post("/api/v1/admin/widgets", json=body, headers=admin_headers)
    assert created.status_code == 201, created.text
    assert created.get_json()["ring_other_languages"] is True
    key = created.get_json()["key"]
    change = {"ring_other_languages": False}
    patched = client.patch(f"{'/api/v1/admin/widgets'}/{key}", json=change, headers=admin_headers)
    assert patched.status_code == 200, patched.text
    assert patched.get_json()["ring_other_languages"] is False
    stored = db.session().scalars(select(Widget).filter_by(key=key)).one()
    assert stored.ring_other_languages is False
    no = {"ring_other_languages": "no"}
    refused = client.patch(f"{'/api/v1/admin/widgets'}/{key}", json=no, headers=admin_headers)
    assert refused.status_code == 422
    assert refused.get_json()["error"]["field"] == "ring_other_languages"
