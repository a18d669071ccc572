"""The console's blocklist page: list, add (with form errors), remove, who may, in Polish."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from callback import db
from callback.blocklist.entries import add_entry
from callback.models import AuditEntry, BlockEntry, BlockKind, Widget
from tests.console_helpers import csrf_token, make_account, signed_in
from tests.factories import make_agent, make_widget


def page_of(widget: Widget) -> str:
    return f"/console/widgets/{widget.key}/blocklist"


def post(client: FlaskClient, page: str, action: str, **form: Any) -> Any:
    shown = client.get(page)
    assert shown.status_code == 200, shown.text
    return client.post(action, data={"csrf_token": csrf_token(shown.text), **form})


def test_an_owner_blocks_a_number_sees_its_mask_once_and_removes_it(app: Flask) -> None:
    widget = make_widget()
    client = signed_in(app, make_account("owner"))
    page = page_of(widget)
    added = post(client, page, page, kind="number", value="020 7946 0777", note="abuse")
    assert added.status_code == 302
    shown = client.get(page).text
    assert "+44********77" in shown  # the message after adding, once
    assert "79460777" not in shown
    again = client.get(page).text
    assert "+44********77" not in again
    assert "abuse" in again
    [entry] = db.session().scalars(select(BlockEntry)).all()
    assert entry.kind == BlockKind.NUMBER
    removed = post(client, page, f"{page}/{entry.id}/delete")
    assert removed.status_code == 302
    assert db.session().scalars(select(BlockEntry)).all() == []
    actions = db.session().scalars(select(AuditEntry.action)).all()
    assert {"block_entry_added", "block_entry_removed"} <= set(actions)


def test_a_bad_value_is_shown_back_with_its_error_in_the_accounts_language(app: Flask) -> None:
    widget = make_widget()
    client = signed_in(app, make_account("owner"))
    page = page_of(widget)
    refused = post(client, page, f"{page}?lang=pl", kind="prefix", value="4420")
    assert refused.status_code == 400
    assert "Podaj prefiks: + i od 1 do 14 cyfr." in refused.text
    assert 'aria-invalid="true"' in refused.text
    assert post(client, page, page, kind="ip_range", value="198.51.100.0/24").status_code == 302
    duplicate = post(client, page, page, kind="ip_range", value="198.51.100.9/24")
    assert duplicate.status_code == 400
    assert "This is already on the list." in duplicate.text
    assert post(client, page, page, kind="email", value="x").status_code == 400
    assert len(db.session().scalars(select(BlockEntry)).all()) == 1


def test_global_entries_are_listed_for_reference(app: Flask) -> None:
    widget = make_widget()
    add_entry(db.session(), None, "prefix", "+4490", "premium", "admin")
    db.session().commit()
    shown = signed_in(app, make_account("owner")).get(page_of(widget)).text
    assert "+4490" in shown
    assert "premium" in shown


def test_a_manager_manages_their_widget_only_and_an_agent_never(app: Flask) -> None:
    mine, theirs = make_widget(name="Mine"), make_widget(name="Theirs")
    add_entry(db.session(), theirs, "prefix", "+4420", None, "admin")
    db.session().commit()
    [entry] = db.session().scalars(select(BlockEntry)).all()
    manager = signed_in(app, make_account("manager", widgets=[mine]))
    assert manager.get(page_of(mine)).status_code == 200
    assert manager.get(page_of(theirs)).status_code == 404
    removed = post(manager, page_of(mine), f"{page_of(theirs)}/{entry.id}/delete")
    assert removed.status_code == 404
    assert db.session().get(BlockEntry, entry.id) is not None
    agent = signed_in(app, make_account("agent", widgets=[mine], agent=make_agent()))
    assert agent.get(page_of(mine)).status_code == 403


def test_removing_without_the_csrf_token_is_refused(app: Flask) -> None:
    widget = make_widget()
    add_entry(db.session(), widget, "prefix", "+4420", None, "admin")
    db.session().commit()
    [entry] = db.session().scalars(select(BlockEntry)).all()
    client = signed_in(app, make_account("owner"))
    assert client.post(f"{page_of(widget)}/{entry.id}/delete").status_code == 400
    assert db.session().get(BlockEntry, entry.id) is not None
