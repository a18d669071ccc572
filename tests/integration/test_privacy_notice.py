"""The notice under the form: per-widget text, retention from settings, consent recorded."""

from __future__ import annotations

import uuid

from flask import Flask
from flask.testing import FlaskClient

from callback import db
from callback.models import CallbackRequest
from tests.factories import VISITOR_TYPED, make_widget
from tests.visitors import submit


def notice_of(client: FlaskClient, key: str) -> str:
    page = client.get(f"/w/{key}").get_data(as_text=True)
    return page.split('<p class="notice">', 1)[1].split("</p>", 1)[0]


def test_standard_notice_states_purpose_basis_retention_and_links_the_policy(
    app: Flask, client: FlaskClient
) -> None:
    app.config["RETENTION_MAX_HOURS"] = 12
    widget = make_widget(privacy_policy_url="https://www.example.com/privacy")
    notice = notice_of(client, widget.key)
    assert "only to call you back" in notice
    assert "6(1)(b)" in notice
    assert "12 hours" in notice
    assert 'href="https://www.example.com/privacy"' in notice


def test_widget_can_replace_the_notice_and_requests_record_its_version(
    client: FlaskClient, admin_headers: dict[str, str]
) -> None:
    widget = make_widget()
    response = client.patch(
        f"/api/v1/admin/widgets/{widget.key}",
        json={"privacy_notice": "Example Ltd calls you back once.", "consent_version": "v7"},
        headers=admin_headers,
    )
    assert response.status_code == 200
    assert response.get_json()["privacy_notice"] == "Example Ltd calls you back once."
    assert notice_of(client, widget.key).startswith("Example Ltd calls you back once.")
    created = submit(client, widget.key, VISITOR_TYPED)
    row = db.session().get_one(CallbackRequest, uuid.UUID(created.get_json()["id"]))
    assert row.consent_version == "v7"
