"""The admin API's webhook endpoints: scoped to the widget's staff, audited, documented."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy import select

from callback import db
from callback.accounts import api_keys
from callback.integrations import events
from callback.models import Account, AuditEntry, WebhookEndpoint, Widget
from tests.console_helpers import make_account
from tests.factories import make_agent, make_widget
from tests.integration.test_api_bodies import assert_documented

ADMIN = "/api/v1/admin"
BASE = f"{ADMIN}/widgets/{{widget_key}}/webhooks"
ONE = f"{BASE}/{{webhook_id}}"
RECEIVER = "https://crm.example.com/hooks/callback"


def bearer(account: Account) -> dict[str, str]:
    _row, key = api_keys.issue(db.session(), account, "laptop", "test")
    db.session().commit()
    return {"Authorization": f"Bearer {key}"}


def webhooks_of(widget: Widget) -> str:
    return f"{ADMIN}/widgets/{widget.key}/webhooks"


def add(client: FlaskClient, widget: Widget, headers: dict[str, str]) -> dict[str, object]:
    body = {"url": RECEIVER, "events": [events.COMPLETED], "description": "CRM"}
    created = client.post(webhooks_of(widget), json=body, headers=headers)
    assert created.status_code == 201, created.get_json()
    assert_documented(created, BASE, "post")
    answer: dict[str, object] = created.get_json()
    return answer


def test_an_endpoint_is_added_listed_changed_rotated_and_removed(
    client: FlaskClient, admin_headers: dict[str, str]
) -> None:
    widget = make_widget()
    created = add(client, widget, admin_headers)
    assert str(created["secret"]).startswith("whsec_")
    one = f"{webhooks_of(widget)}/{created['id']}"
    shown = client.get(one, headers=admin_headers)
    assert_documented(shown, ONE, "get")
    assert "secret" not in shown.get_json()
    listed = client.get(webhooks_of(widget), headers=admin_headers)
    assert_documented(listed, BASE, "get")
    assert [item["id"] for item in listed.get_json()["webhooks"]] == [created["id"]]
    changed = client.patch(one, json={"enabled": False, "events": [events.FAILED]},
                           headers=admin_headers)  # fmt: skip
    assert_documented(changed, ONE, "patch")
    assert (changed.get_json()["enabled"], changed.get_json()["events"]) == (
        False,
        ["callback.failed"],
    )
    rotated = client.post(f"{one}/rotate-secret", headers=admin_headers)
    assert_documented(rotated, f"{ONE}/rotate-secret", "post")
    assert rotated.get_json()["secret"] not in (created["secret"], None)
    attempts = client.get(f"{one}/deliveries", headers=admin_headers)
    assert_documented(attempts, f"{ONE}/deliveries", "get")
    assert client.delete(one, headers=admin_headers).status_code == 204
    assert db.session().scalars(select(WebhookEndpoint)).all() == []
    actions = db.session().scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions == ["webhook_added", "webhook_changed", "webhook_secret_rotated",
                       "webhook_removed"]  # fmt: skip


def test_refusals_name_the_field(client: FlaskClient, admin_headers: dict[str, str]) -> None:
    widget = make_widget()
    for body, field in [
        ({"url": RECEIVER, "events": ["callback.nope"]}, "events"),
        ({"url": "http://10.0.0.8/hook", "events": [events.FAILED]}, "url"),
        ({"url": "ftp://crm.example.com/hook", "events": [events.FAILED]}, "url"),
        ({"events": [events.FAILED]}, "url"),
    ]:
        refused = client.post(webhooks_of(widget), json=body, headers=admin_headers)
        assert refused.status_code == 422, body
        assert refused.get_json()["error"]["field"] == field
        assert_documented(refused, BASE, "post")


def test_a_private_address_is_refused_when_saved_in_production(
    client: FlaskClient, admin_headers: dict[str, str]
) -> None:
    client.application.config["ENV"] = "production"
    widget = make_widget()
    for url in ("https://192.168.1.10/hook", "https://[::1]/hook", "https://169.254.169.254/"):
        body = {"url": url, "events": [events.FAILED]}
        refused = client.post(webhooks_of(widget), json=body, headers=admin_headers)
        assert refused.status_code == 422, url
    assert db.session().scalars(select(WebhookEndpoint)).all() == []


def test_another_widgets_endpoint_answers_404_to_a_manager(
    client: FlaskClient, admin_headers: dict[str, str]
) -> None:
    mine, theirs = make_widget(name="Mine", team="sales"), make_widget(name="Theirs", team="x")
    their_endpoint = add(client, theirs, admin_headers)
    manager = bearer(make_account("manager", widgets=[mine]))
    assert client.get(webhooks_of(mine), headers=manager).status_code == 200
    assert add(client, mine, manager)["id"] != their_endpoint["id"]
    for path in (
        webhooks_of(theirs),
        f"{webhooks_of(theirs)}/{their_endpoint['id']}",
        f"{webhooks_of(mine)}/{their_endpoint['id']}",  # their endpoint under my widget
    ):
        assert client.get(path, headers=manager).status_code == 404, path
    rotate = f"{webhooks_of(mine)}/{their_endpoint['id']}/rotate-secret"
    assert client.post(rotate, headers=manager).status_code == 404
    agent = bearer(make_account("agent", email="agent@example.com", agent=make_agent()))
    assert client.get(webhooks_of(mine), headers=agent).status_code == 403


def test_sharing_the_number_needs_the_widgets_own_notice_at_its_current_version(
    client: FlaskClient, admin_headers: dict[str, str]
) -> None:
    widget = make_widget(consent_version="2026-11")
    path = f"{ADMIN}/widgets/{widget.key}"
    share = {"webhook_number_consent_version": "2026-11"}
    no_notice = client.patch(path, json=share, headers=admin_headers)
    assert no_notice.status_code == 422
    assert no_notice.get_json()["error"]["field"] == "webhook_number_consent_version"
    notice = {"privacy_notice": "We pass your number to our CRM.", "consent_version": "2026-12"}
    stale = client.patch(path, json={**notice, **share}, headers=admin_headers)
    assert stale.status_code == 422
    agreed = {**notice, "webhook_number_consent_version": "2026-12"}
    shared = client.patch(path, json=agreed, headers=admin_headers)
    assert shared.status_code == 200
    assert shared.get_json()["webhook_number_consent_version"] == "2026-12"
    turned_off = client.patch(path, json={"webhook_number_consent_version": None},
                              headers=admin_headers)  # fmt: skip
    assert turned_off.get_json()["webhook_number_consent_version"] is None
    audited = db.session().scalars(select(AuditEntry).filter_by(action="widget_updated")).all()
    assert [entry.details["changes"]["webhook_number_consent_version"] for entry in audited] == [
        [None, "2026-12"],
        ["2026-12", None],
    ]


def test_only_an_owner_may_turn_sharing_the_number_on_or_off(client: FlaskClient) -> None:
    widget = make_widget(privacy_notice="We pass your number to our CRM.", consent_version="v2")
    path = f"{ADMIN}/widgets/{widget.key}"
    manager = bearer(make_account("manager", widgets=[widget]))
    owner = bearer(make_account("owner", email="owner@example.com"))
    share = {"webhook_number_consent_version": "v2"}
    assert client.patch(path, json=share, headers=manager).status_code == 403
    assert client.patch(path, json=share, headers=owner).status_code == 200
    # A manager's edit that leaves it as it is goes through.
    again = client.patch(path, json={**share, "name": "Renamed"}, headers=manager)
    assert again.status_code == 200
    off = {"webhook_number_consent_version": None}
    assert client.patch(path, json=off, headers=manager).status_code == 403


def test_a_changed_notice_stops_sharing_the_number_until_the_owner_confirms_again(
    client: FlaskClient,
) -> None:
    widget = make_widget(
        privacy_notice="We pass your number to our CRM.",
        consent_version="v2",
        webhook_number_consent_version="v2",
    )
    path = f"{ADMIN}/widgets/{widget.key}"
    manager = bearer(make_account("manager", widgets=[widget]))
    changed = client.patch(path, json={"privacy_notice": "We call you back."}, headers=manager)
    assert changed.status_code == 200
    assert changed.get_json()["webhook_number_consent_version"] is None
    [entry] = db.session().scalars(select(AuditEntry).filter_by(action="widget_updated")).all()
    assert entry.details["changes"]["webhook_number_consent_version"] == ["v2", None]


def test_where_numbers_are_shared_only_an_owner_decides_where_webhooks_go(
    client: FlaskClient,
) -> None:
    widget = make_widget(
        privacy_notice="We pass your number to our CRM.",
        consent_version="v2",
        webhook_number_consent_version="v2",
    )
    manager = bearer(make_account("manager", widgets=[widget]))
    owner = bearer(make_account("owner", email="owner@example.com"))
    refused = client.post(
        webhooks_of(widget),
        json={"url": "http://127.0.0.1:9/", "events": ["callback.completed"]},
        headers=manager,
    )
    assert refused.status_code == 403
    added = add(client, widget, owner)
    path = f"{webhooks_of(widget)}/{added['id']}"
    moved = client.patch(path, json={"url": "http://127.0.0.1:8/"}, headers=manager)
    assert moved.status_code == 403
    described = client.patch(path, json={"description": "CRM bridge"}, headers=manager)
    assert described.status_code == 200
