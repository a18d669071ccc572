"""The admin API sets who hears of failures, when the digest goes out, and the weekly report."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from callback import db
from callback.models import AuditEntry

WIDGETS = "/api/v1/admin/widgets"


def create(client: FlaskClient, headers: dict[str, str], **fields: Any) -> Any:
    body = {"name": "Shop", "default_region": "GB", **fields}
    return client.post(WIDGETS, json=body, headers=headers)


def test_alert_settings_are_saved_and_shown(
    client: FlaskClient, admin_headers: dict[str, str]
) -> None:
    created = create(
        client,
        admin_headers,
        alert_emails=["sales@example.com"],
        alert_chat_url="https://hooks.slack.com/services/T000/B000/XXXX",
        digest_hour=7,
    )
    assert created.status_code == 201, created.text
    shown = created.get_json()
    assert shown["alert_emails"] == ["sales@example.com"]
    assert shown["alert_chat_url"] == "https://hooks.slack.com/services/T000/B000/XXXX"
    assert (shown["digest_enabled"], shown["digest_hour"]) == (True, 7)
    assert shown["weekly_report_enabled"] is True

    key = shown["key"]
    patch = {
        "digest_enabled": False,
        "weekly_report_enabled": False,
        "alert_chat_url": None,
        "alert_emails": [],
    }
    patched = client.patch(f"{WIDGETS}/{key}", json=patch, headers=admin_headers)
    assert patched.status_code == 200, patched.text
    assert {name: patched.get_json()[name] for name in patch} == patch
    # The audit log keeps the chat webhook's host: the rest of its URL is a credential.
    [entry] = db.session().scalars(select(AuditEntry).filter_by(action="widget_updated")).all()
    assert entry.details["changes"]["alert_chat_url"] == ["https://hooks.slack.com/…", None]
    assert entry.details["changes"]["weekly_report_enabled"] == [True, False]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("alert_emails", ["not an address"]),
        ("alert_emails", ["sales@localhost"]),
        ("alert_emails", [f"person{n}@example.com" for n in range(21)]),
        ("alert_chat_url", "https://169.254.169.254/latest"),
        ("alert_chat_url", "http://hooks.example.com/plain"),
        ("digest_hour", 24),
        ("digest_enabled", "yes"),
        ("weekly_report_enabled", 1),
        ("weekly_report_enabled", None),
    ],
)
def test_bad_alert_settings_are_refused_with_the_field(
    client: FlaskClient, admin_headers: dict[str, str], field: str, value: Any
) -> None:
    refused = create(client, admin_headers, **{field: value})
    assert refused.status_code == 422
    assert refused.get_json()["error"]["field"] == field
