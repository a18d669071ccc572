"""A data subject's export shows where their number is blocked; erasure removes it."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from redis import Redis
from sqlalchemy import select

from callback import db
from callback.blocklist.entries import add_entry
from callback.models import AuditEntry, BlockEntry, BlockKind
from callback.phones.hashing import phone_key
from tests.factories import make_widget
from tests.visitors import submit

BLOCKED = "+442079460777"


def test_export_lists_the_blocks_and_erasure_deletes_them_and_the_decoy_marker(
    app: Flask, client: FlaskClient, admin_headers: dict[str, str], redis: Redis
) -> None:
    widget = make_widget()
    add_entry(db.session(), widget, "number", "020 7946 0777", "abuse", "test")
    add_entry(db.session(), None, "number", BLOCKED, None, "test")
    add_entry(db.session(), None, "prefix", "+4420794", None, "test")
    db.session().commit()
    assert submit(client, widget.key, BLOCKED).status_code == 202  # leaves a decoy marker
    assert list(redis.scan_iter(match=f"*{phone_key(BLOCKED)}:decoy:*"))
    export = client.post(
        "/api/v1/admin/privacy/export", json={"phone": BLOCKED}, headers=admin_headers
    ).get_json()
    assert [(e["widget"], e["note"]) for e in export["blocklist"]] == [
        (widget.key, "abuse"),
        (None, None),
    ]
    erased = client.post(
        "/api/v1/admin/privacy/erase", json={"phone": BLOCKED}, headers=admin_headers
    ).get_json()["erased"]
    assert erased["block_entries_deleted"] == 2
    assert not list(redis.scan_iter(match=f"*{phone_key(BLOCKED)}*"))
    kinds = db.session().scalars(select(BlockEntry.kind)).all()
    assert kinds == [BlockKind.PREFIX]  # a prefix is nobody's number: it stays
    [entry] = db.session().scalars(select(AuditEntry).filter_by(action="subject_erasure"))
    assert entry.details["block_entries"] == 2
