"""The admin API's blocklist: add, list and remove entries; a number is never kept in clear."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from redis import Redis
from sqlalchemy import MetaData, select

from callback import db
from callback.accounts import api_keys
from callback.accounts.roles import MANAGER
from callback.models import AuditEntry, BlockEntry
from callback.phones.hashing import phone_key
from tests.console_helpers import make_account
from tests.factories import make_widget

ENTRIES = "/api/v1/admin/widgets/{}/blocklist"
GLOBAL = "/api/v1/admin/blocklist"


def add(client: FlaskClient, url: str, headers: dict[str, str], **body: Any) -> Any:
    return client.post(url, json=body, headers=headers)


def test_entries_are_added_listed_and_removed_and_a_number_is_shown_masked_once(
    app: Flask, client: FlaskClient, admin_headers: dict[str, str]
) -> None:
    widget = make_widget()
    url = ENTRIES.format(widget.key)
    number = add(client, url, admin_headers, kind="number", value="020 7946 0777", note="abuse")
    assert number.status_code == 201
    shown = number.get_json()
    assert shown["masked"] == "+44********77"
    assert (shown["kind"], shown["value"], shown["widget"], shown["note"]) == (
        "number", None, widget.key, "abuse"
    )  # fmt: skip
    prefix = add(client, url, admin_headers, kind="prefix", value="+44 20 7946 07")
    assert prefix.get_json()["value"] == "+4420794607"
    v6 = add(client, url, admin_headers, kind="ip_range", value="2001:DB8:0:0:1::5/32")
    assert v6.get_json()["value"] == "2001:db8::/32"
    v4 = add(client, url, admin_headers, kind="ip_range", value="198.51.100.7")
    assert v4.get_json()["value"] == "198.51.100.7/32"
    listed = client.get(url, headers=admin_headers).get_json()["entries"]
    assert [entry["kind"] for entry in listed] == ["number", "prefix", "ip_range", "ip_range"]
    assert "masked" not in listed[0]
    assert listed[0]["value"] is None
    assert client.get(GLOBAL, headers=admin_headers).get_json()["entries"] == []
    gone = client.delete(f"{url}/{shown['id']}", headers=admin_headers)
    assert gone.status_code == 204
    assert len(client.get(url, headers=admin_headers).get_json()["entries"]) == 3
    actions = db.session().scalars(select(AuditEntry.action)).all()
    assert actions.count("block_entry_added") == 4
    assert "block_entry_removed" in actions


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"kind": "number", "value": "12"}, 422, "value"),
        ({"kind": "prefix", "value": "4420"}, 422, "value"),
        ({"kind": "prefix", "value": "+123456789012345"}, 422, "value"),
        ({"kind": "ip_range", "value": "198.51.100.0/33"}, 422, "value"),
        ({"kind": "ip_range", "value": "0.0.0.0/0"}, 422, "value"),
        ({"kind": "email", "value": "x"}, 422, "kind"),
        ({"kind": "prefix"}, 422, "value"),
        ({"kind": "prefix", "value": "+44", "colour": "red"}, 422, "colour"),
    ],
)
def test_bad_entries_are_refused_naming_the_field(
    app: Flask,
    client: FlaskClient,
    admin_headers: dict[str, str],
    body: dict[str, str],
    status: int,
    field: str,
) -> None:
    widget = make_widget()
    answer = client.post(ENTRIES.format(widget.key), json=body, headers=admin_headers)
    assert answer.status_code == status
    assert answer.get_json()["error"]["field"] == field
    assert db.session().scalars(select(BlockEntry)).all() == []


def test_a_body_that_is_not_an_object_is_400_and_a_repeat_is_409(
    app: Flask, client: FlaskClient, admin_headers: dict[str, str]
) -> None:
    assert client.post(GLOBAL, data="nope", headers=admin_headers).status_code == 400
    assert add(client, GLOBAL, admin_headers, kind="prefix", value="+4420").status_code == 201
    repeat = add(client, GLOBAL, admin_headers, kind="prefix", value="+44 20")
    assert repeat.status_code == 409
    assert repeat.get_json()["error"]["code"] == "already_blocked"


def test_global_numbers_need_their_country_code(
    app: Flask, client: FlaskClient, admin_headers: dict[str, str]
) -> None:
    national = add(client, GLOBAL, admin_headers, kind="number", value="020 7946 0777")
    assert national.status_code == 422
    assert (
        add(client, GLOBAL, admin_headers, kind="number", value="+442079460777").status_code == 201
    )


def test_another_widgets_entry_is_404_and_a_manager_may_not_touch_the_global_list(
    app: Flask, client: FlaskClient, admin_headers: dict[str, str]
) -> None:
    mine, theirs = make_widget(name="Mine", team="sales"), make_widget(name="Theirs")
    entry = add(client, ENTRIES.format(theirs.key), admin_headers, kind="prefix", value="+4420")
    entry_id = entry.get_json()["id"]
    assert (
        client.delete(f"{ENTRIES.format(mine.key)}/{entry_id}", headers=admin_headers).status_code
        == 404
    )
    manager = make_account(MANAGER, widgets=[mine])
    _row, key = api_keys.issue(db.session(), manager, "laptop", "test")
    db.session().commit()
    headers = {"Authorization": f"Bearer {key}"}
    assert (
        add(client, ENTRIES.format(mine.key), headers, kind="prefix", value="+4421").status_code
        == 201
    )
    assert client.get(ENTRIES.format(theirs.key), headers=headers).status_code == 404
    assert client.get(GLOBAL, headers=headers).status_code == 403
    assert add(client, GLOBAL, headers, kind="prefix", value="+4421").status_code == 403
    assert client.delete(f"{GLOBAL}/{entry_id}", headers=headers).status_code == 403


def test_deleting_a_widget_deletes_its_entries(
    app: Flask, client: FlaskClient, admin_headers: dict[str, str]
) -> None:
    widget = make_widget()
    add(client, ENTRIES.format(widget.key), admin_headers, kind="prefix", value="+4420")
    assert (
        client.delete(f"/api/v1/admin/widgets/{widget.key}", headers=admin_headers).status_code
        == 204
    )
    assert db.session().scalars(select(BlockEntry)).all() == []


def test_a_blocked_number_is_not_stored_in_clear_anywhere(
    app: Flask, client: FlaskClient, admin_headers: dict[str, str], redis: Redis
) -> None:
    widget = make_widget()
    add(client, ENTRIES.format(widget.key), admin_headers, kind="number", value="020 7946 0777")
    add(client, GLOBAL, admin_headers, kind="number", value="+44 20 7946 0778", note="spam")
    client.post(
        f"/api/v1/widgets/{widget.key}/callbacks", json={"phone": "02079460777", "consent": True}
    )
    tables = MetaData()
    tables.reflect(bind=db.session().connection())
    dump = " ".join(
        str(row) for table in tables.sorted_tables for row in db.session().execute(table.select())
    )
    for key in redis.scan_iter():
        value = redis.get(key) if redis.type(key) == b"string" else b""
        dump += f" {key!r} {value!r}"
    for digits in ("79460777", "79460778"):
        assert digits not in dump
    assert phone_key("+442079460777") in dump  # what is kept: the keyed hash
