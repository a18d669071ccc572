"""Every answer the API gives matches the schema its document gives for that answer."""

from __future__ import annotations

from typing import Any

import jsonschema_rs
import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from callback.api.openapi import document
from tests.factories import VISITOR_TYPED, make_agent, make_widget

ADMIN = "/api/v1/admin"


def assert_documented(response: TestResponse, path: str, method: str) -> None:
    """Validate `response` against the schema the document gives it."""
    doc = document()
    answer = doc["paths"][path][method]["responses"][str(response.status_code)]
    if "$ref" in answer:
        answer = doc["components"]["responses"][answer["$ref"].rsplit("/", 1)[-1]]
    schema: dict[str, Any] = answer["content"]["application/json"]["schema"]
    validator = jsonschema_rs.Draft202012Validator({**schema, "components": doc["components"]})
    validator.validate(response.get_json())


def test_admin_answers_match_their_schemas(
    client: FlaskClient, admin_headers: dict[str, str]
) -> None:
    widgets, one_widget = f"{ADMIN}/widgets", f"{ADMIN}/widgets/{{widget_key}}"
    body = {"name": "Shop", "default_region": "GB", "business_hours": {"mon": [["9:00", "17:00"]]}}
    created = client.post(widgets, json=body, headers=admin_headers)
    assert created.status_code == 201
    assert_documented(created, widgets, "post")
    key = created.get_json()["key"]
    assert_documented(client.get(widgets, headers=admin_headers), widgets, "get")
    patched = client.patch(f"{widgets}/{key}", json={"caller_id": ""}, headers=admin_headers)
    assert_documented(patched, one_widget, "patch")
    for refused in (
        client.patch(f"{widgets}/{key}", json={"colour": "red"}, headers=admin_headers),
        client.patch(f"{widgets}/{key}", json=[], headers=admin_headers),
        client.get(f"{widgets}/nope", headers=admin_headers),
    ):
        assert refused.status_code in (400, 404, 422)
        assert_documented(refused, one_widget, "patch" if refused.status_code != 404 else "get")
    agent = client.post(
        f"{ADMIN}/agents", json={"name": "Ada", "phone": "+442079460001"}, headers=admin_headers
    )
    assert_documented(agent, f"{ADMIN}/agents", "post")
    assert_documented(
        client.get(f"{ADMIN}/agents", headers=admin_headers), f"{ADMIN}/agents", "get"
    )


def test_visitor_answers_match_their_schemas(
    client: FlaskClient, admin_headers: dict[str, str]
) -> None:
    widget, _ = make_widget(), make_agent()
    callbacks = "/api/v1/widgets/{widget_key}/callbacks"
    url = f"/api/v1/widgets/{widget.key}/callbacks"
    accepted = client.post(url, json={"phone": VISITOR_TYPED, "consent": True})
    assert_documented(accepted, callbacks, "post")
    again = client.post(url, json={"phone": VISITOR_TYPED, "consent": True})
    assert again.get_json()["status"] == "already_requested"
    assert_documented(again, callbacks, "post")
    status = client.get(accepted.get_json()["status_url"])
    assert_documented(status, "/api/v1/callbacks/{request_id}", "get")
    listed = client.get(f"{ADMIN}/callbacks", headers=admin_headers)
    assert_documented(listed, f"{ADMIN}/callbacks", "get")
    slots = client.get(f"/api/v1/widgets/{widget.key}/slots")
    assert_documented(slots, "/api/v1/widgets/{widget_key}/slots", "get")


@pytest.mark.parametrize("body", [{"phone": 1}, {"phone": "12"}, None])
def test_privacy_refusals_match_their_schema(
    client: FlaskClient, admin_headers: dict[str, str], body: object
) -> None:
    response = client.post(f"{ADMIN}/privacy/export", json=body, headers=admin_headers)
    assert response.status_code == 422
    assert_documented(response, f"{ADMIN}/privacy/export", "post")
