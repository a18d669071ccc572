"""API keys on the admin API: each acts as its account, within its role and widgets."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from callback import db
from callback.accounts import api_keys
from callback.models import Account, Agent, ApiKey, AuditEntry, Widget
from tests.console_helpers import make_account
from tests.factories import SECOND_AGENT_PHONE, VISITOR_TYPED, make_agent, make_request, make_widget

ADMIN = "/api/v1/admin"


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def key_for(account: Account) -> str:
    _row, key = api_keys.issue(db.session(), account, "laptop", "test")
    db.session().commit()
    return key


@dataclass
class Company:
    """Two widgets in two teams, an agent in each, a request on each."""

    mine: Widget
    theirs: Widget
    my_agent: Agent
    their_agent: Agent


@pytest.fixture
def company(app: Flask) -> Company:
    mine = make_widget(name="Mine Ltd", team="sales")
    theirs = make_widget(name="Theirs Ltd", team="support")
    my_agent = make_agent(name="Ada", team="sales")
    their_agent = make_agent(name="Bo", phone=SECOND_AGENT_PHONE, team="support")
    make_request(mine)
    make_request(theirs)
    return Company(mine, theirs, my_agent, their_agent)


def test_owner_key_may_do_everything(client: FlaskClient, company: Company) -> None:
    key = key_for(make_account("owner"))
    listed = client.get(f"{ADMIN}/widgets", headers=bearer(key)).get_json()["widgets"]
    assert {w["key"] for w in listed} == {company.mine.key, company.theirs.key}
    made = client.post(
        f"{ADMIN}/widgets",
        json={"name": "New", "default_region": "GB", "allowed_origins": ["https://n.example"]},
        headers=bearer(key),
    )
    assert made.status_code == 201
    assert (
        client.delete(f"{ADMIN}/widgets/{company.theirs.key}", headers=bearer(key)).status_code
        == 204
    )
    exported = client.post(
        f"{ADMIN}/privacy/export",
        json={"phone": VISITOR_TYPED, "region": "GB"},
        headers=bearer(key),
    )
    assert exported.status_code == 200


def test_manager_key_sees_only_their_widgets_and_teams(
    client: FlaskClient, company: Company
) -> None:
    key = key_for(make_account("manager", widgets=[company.mine]))
    headers = bearer(key)
    listed = client.get(f"{ADMIN}/widgets", headers=headers).get_json()["widgets"]
    assert [w["key"] for w in listed] == [company.mine.key]
    assert client.get(f"{ADMIN}/widgets/{company.mine.key}", headers=headers).status_code == 200
    assert client.get(f"{ADMIN}/widgets/{company.theirs.key}", headers=headers).status_code == 404
    patched = client.patch(
        f"{ADMIN}/widgets/{company.theirs.key}", json={"name": "x"}, headers=headers
    )
    assert patched.status_code == 404
    assert client.get(f"{ADMIN}/widgets/wk_nothing", headers=headers).status_code == 404
    agents = client.get(f"{ADMIN}/agents", headers=headers).get_json()["agents"]
    assert [a["id"] for a in agents] == [company.my_agent.id]
    assert (
        client.get(f"{ADMIN}/agents/{company.their_agent.id}", headers=headers).status_code == 404
    )
    callbacks = client.get(f"{ADMIN}/callbacks", headers=headers).get_json()["callbacks"]
    assert {c["widget"] for c in callbacks} == {company.mine.key}


def test_manager_key_changes_their_widget_and_the_change_is_audited_under_their_name(
    client: FlaskClient, company: Company
) -> None:
    manager = make_account("manager", widgets=[company.mine])
    response = client.patch(
        f"{ADMIN}/widgets/{company.mine.key}",
        json={"name": "Mine & Co"},
        headers=bearer(key_for(manager)),
    )
    assert response.status_code == 200
    entry = db.session().scalars(select(AuditEntry).filter_by(action="widget_updated")).one()
    assert entry.actor == f"account:{manager.id}"
    assert entry.details == {
        "widget": company.mine.key,
        "changes": {"name": ["Mine Ltd", "Mine & Co"]},
    }


def test_manager_key_may_not_create_or_delete_widgets_nor_answer_privacy_requests(
    client: FlaskClient, company: Company
) -> None:
    headers = bearer(key_for(make_account("manager", widgets=[company.mine])))
    made = client.post(
        f"{ADMIN}/widgets",
        json={"name": "New", "default_region": "GB", "allowed_origins": ["https://n.example"]},
        headers=headers,
    )
    assert made.status_code == 403
    assert made.get_json()["error"]["code"] == "forbidden"
    assert client.delete(f"{ADMIN}/widgets/{company.mine.key}", headers=headers).status_code == 403
    erased = client.post(f"{ADMIN}/privacy/erase", json={"phone": VISITOR_TYPED}, headers=headers)
    assert erased.status_code == 403
    assert db.session().get(Widget, company.mine.id) is not None


def test_manager_key_may_not_move_a_widget_or_agent_to_another_team(
    client: FlaskClient, company: Company
) -> None:
    headers = bearer(key_for(make_account("manager", widgets=[company.mine])))
    moved = client.patch(
        f"{ADMIN}/widgets/{company.mine.key}", json={"team": "support"}, headers=headers
    )
    assert moved.status_code == 403
    hired = client.post(
        f"{ADMIN}/agents",
        json={"name": "Cy", "phone": "+442079460003", "team": "support"},
        headers=headers,
    )
    assert hired.status_code == 403
    ours = client.post(
        f"{ADMIN}/agents",
        json={"name": "Cy", "phone": "+442079460003", "team": "sales"},
        headers=headers,
    )
    assert ours.status_code == 201


def test_agent_key_sets_only_its_own_availability(client: FlaskClient, company: Company) -> None:
    agent_account = make_account("agent", widgets=[company.mine], agent=company.my_agent)
    headers = bearer(key_for(agent_account))
    own = f"{ADMIN}/agents/{company.my_agent.id}"
    assert client.get(own, headers=headers).get_json()["id"] == company.my_agent.id
    paused = client.patch(own, json={"available": False}, headers=headers)
    assert paused.status_code == 200
    assert paused.get_json()["available"] is False
    renamed = client.patch(own, json={"name": "Someone else"}, headers=headers)
    assert renamed.status_code == 403
    other = f"{ADMIN}/agents/{company.their_agent.id}"
    assert client.patch(other, json={"available": False}, headers=headers).status_code == 404
    assert client.get(f"{ADMIN}/widgets", headers=headers).status_code == 403
    assert client.get(f"{ADMIN}/agents", headers=headers).status_code == 403
    assert client.get(f"{ADMIN}/callbacks", headers=headers).status_code == 403
    assert client.get(f"{ADMIN}/widgets/{company.mine.key}", headers=headers).status_code == 403
    back = client.patch(own, json={"available": True}, headers=headers)
    assert back.status_code == 200
    entry = db.session().scalars(select(AuditEntry).filter_by(action="agent_available")).one()
    assert entry.actor == f"account:{agent_account.id}"


def test_revoked_key_is_401(client: FlaskClient, company: Company) -> None:
    owner = make_account("owner")
    key = key_for(owner)
    row = db.session().scalars(select(ApiKey).filter_by(account_id=owner.id)).one()
    api_keys.revoke(db.session(), row, "test")
    db.session().commit()
    answer = client.get(f"{ADMIN}/widgets", headers=bearer(key))
    assert answer.status_code == 401
    assert answer.get_json()["error"]["code"] == "unauthorized"


def test_key_of_a_disabled_account_is_401(client: FlaskClient, company: Company) -> None:
    owner = make_account("owner")
    key = key_for(owner)
    owner.active = False
    db.session().commit()
    assert client.get(f"{ADMIN}/widgets", headers=bearer(key)).status_code == 401


def test_unknown_key_is_401_even_without_admin_tokens(app: Flask, client: FlaskClient) -> None:
    app.config["ADMIN_TOKENS"] = []
    fake = "cbk_" + uuid.uuid4().hex
    assert client.get(f"{ADMIN}/widgets", headers=bearer(fake)).status_code == 401


def test_keys_work_without_admin_tokens(app: Flask, client: FlaskClient, company: Company) -> None:
    app.config["ADMIN_TOKENS"] = []
    key = key_for(make_account("owner"))
    assert client.get(f"{ADMIN}/widgets", headers=bearer(key)).status_code == 200


def test_use_sets_last_used_at(client: FlaskClient, company: Company) -> None:
    owner = make_account("owner")
    key = key_for(owner)
    row = db.session().scalars(select(ApiKey).filter_by(account_id=owner.id)).one()
    assert row.last_used_at is None
    assert client.get(f"{ADMIN}/widgets", headers=bearer(key)).status_code == 200
    db.session().refresh(row)
    assert row.last_used_at is not None


def test_break_glass_token_is_audited_as_admin(
    client: FlaskClient, company: Company, admin_headers: dict[str, str]
) -> None:
    client.patch(f"{ADMIN}/widgets/{company.mine.key}", json={"name": "N"}, headers=admin_headers)
    entry = db.session().scalars(select(AuditEntry).filter_by(action="widget_updated")).one()
    assert entry.actor == "admin"
