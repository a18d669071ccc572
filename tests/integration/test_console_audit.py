"""The audit log page: who sees which entries, names for actors, pages, filters, no numbers."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient

from callback import db
from callback.accounts import audit, personal
from callback.models import AuditEntry
from tests.conftest import ADMIN_TOKEN
from tests.console_helpers import make_account, signed_in
from tests.factories import make_agent, make_request, make_widget
from tests.residue import number_forms, text_holds
from tests.visitors import submit

ENTRY_ROW = re.compile(r"<tr>\s*<td>")
# Ofcom's drama ranges: numbers that can never belong to anyone.
FICTIONAL = ("+442079460123", "+442079460124", "+442079460456")


def rows(html: str) -> int:
    return len(ENTRY_ROW.findall(html))


def record(actor: str, action: str, **details: object) -> None:
    audit.record(db.session(), actor, action, **details)
    db.session().commit()


def test_owner_sees_every_entry_with_names_for_every_actor(app: Flask) -> None:
    owner = make_account("owner")
    gone = make_account("manager", email="gone@example.com")
    gone_id = gone.id
    record(audit.actor_of(gone), "widget_updated", widget="wk_x")
    personal.delete(db.session(), gone, "cli")
    db.session().commit()
    record("system", "agent_paused", agent_id=99, reason="missed calls")
    record("admin", "widget_deleted", widget="wk_y")
    page = signed_in(app, owner).get("/console/audit").text
    assert f"removed account #{gone_id}" in page
    assert "gone@example.com" not in page
    for words in ("the service itself", "the command line", "an admin token (break-glass)"):
        assert words in page
    assert "missed calls" in page
    assert "Owner Example" in page  # their own sign-in


def test_manager_sees_their_widgets_requests_agents_and_own_actions_only(app: Flask) -> None:
    mine = make_widget(name="Mine Ltd", team="sales")
    theirs = make_widget(name="Theirs Ltd", team="support")
    my_agent = make_agent(name="Ada", team="sales")
    their_agent = make_agent(name="Bo", phone="+442079460002", team="support")
    my_request, their_request = make_request(mine), make_request(theirs)
    manager = make_account("manager", widgets=[mine])
    record("system", "widget_updated", widget=mine.key, note="mine-widget")
    record("system", "widget_updated", widget=theirs.key, note="their-widget")
    record("system", "agent_paused", agent_id=my_agent.id, note="mine-agent")
    record("system", "agent_paused", agent_id=their_agent.id, note="their-agent")
    audit.record(db.session(), "system", "number_erased", request_id=my_request.id, note="mine-req")
    audit.record(
        db.session(), "system", "number_erased", request_id=their_request.id, note="their-req"
    )
    record(audit.actor_of(manager), "api_key_issued", account_id=manager.id, note="own-action")
    record("cli", "account_invited", account_id=99, note="accounts-business")
    page = signed_in(app, manager).get("/console/audit").text
    for shown in ("mine-widget", "mine-agent", "mine-req", "own-action"):
        assert shown in page
    for hidden in ("their-widget", "their-agent", "their-req", "accounts-business"):
        assert hidden not in page


def test_agents_have_no_audit_page(app: Flask) -> None:
    agent = make_agent()
    account = make_account("agent", agent=agent)
    assert signed_in(app, account).get("/console/audit").status_code == 403


def test_newest_first_fifty_a_page_then_older(app: Flask) -> None:
    owner = make_account("owner")
    for number in range(60):
        audit.record(db.session(), "system", "number_erased", note=f"n{number:02d}")
    db.session().commit()
    client = signed_in(app, owner)
    first = client.get("/console/audit?action=number_erased").text
    assert rows(first) == 50
    assert first.index("n59") < first.index("n58")
    assert "n09" not in first
    older = re.search(r'href="(/console/audit\?[^"]*before=\d+[^"]*)"', first)
    assert older is not None
    second = client.get(older.group(1).replace("&amp;", "&")).text
    assert rows(second) == 10
    assert "n09" in second
    assert "n10" not in second


def test_a_page_marker_that_is_no_id_shows_the_first_page(app: Flask) -> None:
    owner = make_account("owner")
    record("cli", "widget_deleted", widget="wk_a")
    client = signed_in(app, owner)
    for typed in ("9" * 20, "\u00b2", "-5"):
        page = client.get("/console/audit", query_string={"before": typed})
        assert page.status_code == 200
        assert "wk_a" in page.text


def test_filters_by_action_and_by_actor(app: Flask) -> None:
    owner = make_account("owner")
    record("cli", "widget_deleted", widget="wk_a")
    record("admin", "widget_deleted", widget="wk_b")
    record("admin", "widget_created", widget="wk_c")
    client = signed_in(app, owner)
    page = client.get("/console/audit?action=widget_deleted&actor=admin").text
    assert rows(page) == 1
    assert "wk_b" in page


def test_audit_page_never_shows_a_visitors_number(app: Flask, client: FlaskClient) -> None:
    widget = make_widget(allowed_countries=["GB"])
    agent = make_agent(team="default")
    owner = make_account("owner")
    manager = make_account("manager", email="m@example.com", widgets=[widget])
    origin = {"Origin": "https://www.example.com"}
    admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    first = submit(client, widget.key, FICTIONAL[0], headers=origin, remote_addr="192.0.2.1")
    assert first.status_code == 202
    assert client.delete(first.get_json()["status_url"]).status_code in {200, 202, 204}
    second = submit(client, widget.key, FICTIONAL[1], headers=origin, remote_addr="192.0.2.2")
    assert second.status_code == 202
    third = submit(client, widget.key, FICTIONAL[2], headers=origin, remote_addr="192.0.2.3")
    assert third.status_code == 202
    client.post("/api/v1/admin/privacy/export", json={"phone": FICTIONAL[1]}, headers=admin)
    client.post("/api/v1/admin/privacy/erase", json={"phone": FICTIONAL[1]}, headers=admin)
    client.patch(f"/api/v1/admin/agents/{agent.id}", json={"available": False}, headers=admin)
    client.patch(f"/api/v1/admin/widgets/{widget.key}", json={"name": "X"}, headers=admin)
    assert db.session().query(AuditEntry).count() > 5
    for who in (owner, manager):
        html = signed_in(app, who).get("/console/audit").text
        for number in FICTIONAL:
            forms, significant = number_forms(number)
            assert not text_holds(html, forms, significant), (who.role, number)
