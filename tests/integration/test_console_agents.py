"""The console's agents pages (owners, managers) and an agent's own page ("My calls")."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from callback import db
from callback.models import (
    Account,
    Agent,
    AuditEntry,
    CallAttempt,
    CallbackRequest,
    Leg,
    RequestStatus,
    Widget,
    utcnow,
)
from callback.phones.masking import mask
from tests.console_helpers import csrf_token, make_account, signed_in
from tests.factories import (
    AGENT_PHONE,
    SECOND_AGENT_PHONE,
    VISITOR_LANDLINE,
    make_agent,
    make_agent_leg,
    make_request,
    make_widget,
)
from tests.residue import number_forms, text_holds

NEW_AGENT_PHONE = "+442079460003"


def _teams() -> tuple[Widget, Widget, Agent, Agent]:
    """Two widgets of two teams, with one agent each: Ada answers "sales", Bob "support"."""
    ours = make_widget(name="Ours", team="sales")
    theirs = make_widget(name="Theirs", team="support")
    ada = make_agent(name="Ada", team="sales")
    bob = make_agent(name="Bob", team="support", phone=SECOND_AGENT_PHONE)
    return ours, theirs, ada, bob


def _manager(app: Flask, widget: Widget) -> tuple[Account, FlaskClient]:
    manager = make_account("manager", widgets=[widget])
    return manager, signed_in(app, manager)


def _post(client: FlaskClient, page: str, url: str, **fields: Any) -> Any:
    """Post `fields` to `url` with the CSRF token of `page`, as its form would."""
    token = csrf_token(client.get(page).text)
    return client.post(url, data={"csrf_token": token, **fields})


def _fresh(agent_id: int) -> Agent | None:
    db.session().expire_all()
    return db.session().get(Agent, agent_id)


def _audit(action: str) -> list[AuditEntry]:
    return list(db.session().scalars(select(AuditEntry).filter_by(action=action)))


def _agent_leg(request: CallbackRequest, agent: Agent, **fields: Any) -> None:
    """Store `agent`'s first leg for `request`, ended as `fields` say."""
    leg = CallAttempt(request_id=request.id, leg=Leg.AGENT, attempt_number=1, agent_id=agent.id)
    for name, value in fields.items():
        setattr(leg, name, value)
    db.session().add(leg)
    db.session().commit()


def _form(**changes: str) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "name": "Cy",
        "phone": "+44 20 7946 0003",
        "team": "sales",
        "priority": "5",
        "languages": ["pl"],
        "timezone": "Europe/London",
        "hours_mon": "09:00-17:00",
    }
    fields.update(changes)
    return fields


def test_manager_sees_only_their_teams_agents_with_phones_masked(app: Flask) -> None:
    ours, _theirs, ada, _bob = _teams()
    _, client = _manager(app, ours)
    page = client.get("/console/agents")
    assert page.status_code == 200
    assert "Ada" in page.text
    assert "Bob" not in page.text
    assert mask(AGENT_PHONE) in page.text
    for form in number_forms(AGENT_PHONE)[0]:
        assert form not in page.text
    assert f"/console/agents/{ada.id}" in page.text


def test_owner_sees_every_agent_and_who_is_on_a_call(app: Flask) -> None:
    leg = make_agent_leg(status="ringing")
    make_agent(name="Bob", team="support", phone=SECOND_AGENT_PHONE)
    page = signed_in(app, make_account("owner")).get("/console/agents")
    assert "Ada" in page.text
    assert "Bob" in page.text
    assert page.text.count("On a call now") == 1
    assert leg.agent_id is not None


def test_manager_adds_an_agent_and_a_bad_phone_is_a_form_error(app: Flask) -> None:
    ours, *_ = _teams()
    manager, client = _manager(app, ours)
    bad = _post(client, "/console/agents/new", "/console/agents/new", **_form(phone="12345"))
    assert bad.status_code == 400
    assert "international format" in bad.text
    assert 'value="Cy"' in bad.text  # what was typed stays
    assert db.session().scalars(select(Agent).filter_by(name="Cy")).first() is None

    good = _post(client, "/console/agents/new", "/console/agents/new", **_form())
    assert good.status_code == 302
    added = db.session().scalars(select(Agent).filter_by(name="Cy")).one()
    assert added.phone == NEW_AGENT_PHONE
    assert added.team == "sales"
    assert added.priority == 5
    assert added.languages == ["pl"]
    assert added.hours == {"mon": [["09:00", "17:00"]]}
    [entry] = _audit("agent_created")
    assert entry.actor == f"account:{manager.id}"
    assert entry.details["agent_id"] == added.id


def test_manager_cannot_put_an_agent_in_a_team_they_do_not_manage(app: Flask) -> None:
    ours, *_ = _teams()
    _, client = _manager(app, ours)
    refused = _post(client, "/console/agents/new", "/console/agents/new", **_form(team="support"))
    assert refused.status_code == 400
    assert "Choose one of the teams of your widgets." in refused.text
    assert db.session().scalars(select(Agent).filter_by(name="Cy")).first() is None


def test_bad_hours_are_refused_beside_the_field(app: Flask) -> None:
    ours, _theirs, ada, _bob = _teams()
    _, client = _manager(app, ours)
    page = f"/console/agents/{ada.id}"
    refused = _post(client, page, page, **_form(hours_tue="17:00-09:00"))
    assert refused.status_code == 400
    assert "closes before it opens" in refused.text
    assert 'value="17:00-09:00"' in refused.text


def test_agent_hours_are_read_as_leniently_as_a_widgets(app: Flask) -> None:
    ours, _theirs, ada, _bob = _teams()
    _, client = _manager(app, ours)
    page = f"/console/agents/{ada.id}"
    saved = _post(client, page, page, **_form(hours_mon="09:00\u201312:00; 13:00 \u2014 17:00,"))
    assert saved.status_code == 302, saved.text
    assert _fresh(ada.id).hours == {"mon": [["09:00", "12:00"], ["13:00", "17:00"]]}


def test_manager_edits_an_agent_and_the_change_is_audited(app: Flask) -> None:
    ours, _theirs, ada, _bob = _teams()
    _, client = _manager(app, ours)
    page = f"/console/agents/{ada.id}"
    assert client.get(page).status_code == 200
    saved = _post(client, page, page, **_form(name="Ada L.", phone=AGENT_PHONE, priority="7"))
    assert saved.status_code == 302
    edited = _fresh(ada.id)
    assert edited is not None
    assert (edited.name, edited.priority, edited.timezone) == ("Ada L.", 7, "Europe/London")
    [entry] = _audit("agent_updated")
    assert entry.details["changes"]["priority"] == [100, 7]
    assert "phone" not in entry.details["changes"]


def test_names_and_pause_reasons_with_control_characters_are_form_errors(app: Flask) -> None:
    ours, _theirs, ada, _bob = _teams()
    _, client = _manager(app, ours)
    created = _post(client, "/console/agents/new", "/console/agents/new", **_form(name="C\x00y"))
    assert created.status_code == 400
    assert "must not contain control characters" in created.text
    page = f"/console/agents/{ada.id}"
    paused = _post(client, page, f"{page}/pause", reason="Away\x00")
    assert paused.status_code == 400
    assert "A reason cannot hold control characters." in paused.text
    assert _fresh(ada.id).available  # type: ignore[union-attr]
    assert _audit("agent_paused") == []


def test_pausing_needs_a_reason_then_takes_the_agent_out_and_is_audited(app: Flask) -> None:
    ours, _theirs, ada, _bob = _teams()
    manager, client = _manager(app, ours)
    page = f"/console/agents/{ada.id}"
    refused = _post(client, page, f"{page}/pause", reason="")
    assert refused.status_code == 400
    assert _fresh(ada.id).available  # type: ignore[union-attr]
    too_long = _post(client, page, f"{page}/pause", reason="x" * 201)
    assert too_long.status_code == 400

    paused = _post(client, page, f"{page}/pause", reason="Training all afternoon")
    assert paused.status_code == 302
    agent = _fresh(ada.id)
    assert agent is not None
    assert not agent.available
    assert agent.paused_reason == "Training all afternoon"
    [entry] = _audit("agent_paused")
    assert entry.actor == f"account:{manager.id}"
    assert entry.details == {"agent_id": ada.id, "reason": "Training all afternoon"}
    assert "Training all afternoon" in client.get("/console/agents").text

    back = _post(client, page, f"{page}/available")
    assert back.status_code == 302
    agent = _fresh(ada.id)
    assert agent is not None
    assert agent.available
    assert agent.paused_reason is None
    assert [e.actor for e in _audit("agent_available")] == [f"account:{manager.id}"]


def test_removing_deletes_or_deactivates_and_says_which(app: Flask) -> None:
    ours, _theirs, ada, _bob = _teams()
    busy = make_agent(name="Cleo", team="sales")
    request = make_request(ours, status=RequestStatus.COMPLETED)
    _agent_leg(request, busy, status="completed")
    _, client = _manager(app, ours)

    deleted = _post(client, "/console/agents", f"/console/agents/{ada.id}/remove")
    assert deleted.status_code == 302
    assert _fresh(ada.id) is None
    assert "Ada was deleted." in client.get("/console/agents").text

    kept = _post(client, "/console/agents", f"/console/agents/{busy.id}/remove")
    assert kept.status_code == 302
    cleo = _fresh(busy.id)
    assert cleo is not None
    assert not cleo.active
    assert "Cleo was deactivated, not deleted" in client.get("/console/agents").text
    assert len(_audit("agent_deleted")) == len(_audit("agent_deactivated")) == 1

    assert "Bring back Cleo" in client.get(f"/console/agents/{busy.id}").text
    back = _post(client, f"/console/agents/{busy.id}", f"/console/agents/{busy.id}/reactivate")
    assert back.status_code == 302
    cleo = _fresh(busy.id)
    assert cleo is not None
    assert (cleo.active, cleo.available, cleo.paused_reason) == (True, True, None)
    assert len(_audit("agent_reactivated")) == 1
    assert "Bring back Cleo" not in client.get(f"/console/agents/{busy.id}").text


def test_manager_cannot_touch_another_teams_agent(app: Flask) -> None:
    ours, _theirs, _ada, bob = _teams()
    _, client = _manager(app, ours)
    page = f"/console/agents/{bob.id}"
    assert client.get(page).status_code == 404
    for action in ("", "/pause", "/available", "/remove", "/invite"):
        answer = _post(
            client, "/console/agents", page + action, reason="x", email="b@example.com",
            **_form(),
        )  # fmt: skip
        assert answer.status_code == 404, action
    agent = _fresh(bob.id)
    assert agent is not None
    assert (agent.name, agent.available, agent.active) == ("Bob", True, True)
    assert db.session().scalars(select(Account).filter_by(email="b@example.com")).first() is None


def test_agent_role_may_not_open_the_agents_pages(app: Flask) -> None:
    ours, _theirs, ada, _bob = _teams()
    client = signed_in(app, make_account("agent", widgets=[ours], agent=ada))
    assert client.get("/console/agents").status_code == 403
    assert client.get(f"/console/agents/{ada.id}").status_code == 403
    assert client.get("/console/agents/new").status_code == 403


def test_invitation_link_is_shown_once_and_works(app: Flask) -> None:
    ours, _theirs, ada, _bob = _teams()
    _, client = _manager(app, ours)
    page = f"/console/agents/{ada.id}"
    invited = _post(client, page, f"{page}/invite", email="Ada@Example.com")
    assert invited.status_code == 200
    assert invited.headers["Cache-Control"] == "no-store"
    found = re.search(r"http://callback\.test/console/join\?token=([\w-]+)", invited.text)
    assert found is not None
    account = db.session().scalars(select(Account).filter_by(email="ada@example.com")).one()
    assert account.role == "agent"
    assert account.agent_id == ada.id
    assert [widget.id for widget in account.widgets] == [ours.id]
    assert "/console/join?token=" not in client.get(page).text  # shown on that answer only
    assert app.test_client().get(f"/console/join?token={found.group(1)}").status_code == 200


def test_invitation_refuses_an_address_of_another_account(app: Flask) -> None:
    ours, _theirs, ada, _bob = _teams()
    manager, client = _manager(app, ours)
    page = f"/console/agents/{ada.id}"
    refused = _post(client, page, f"{page}/invite", email=manager.email)
    assert refused.status_code == 400
    assert "already belongs to another account" in refused.text
    assert "/console/join?token=" not in refused.text
    assert db.session().get(Account, manager.id).role == "manager"  # type: ignore[union-attr]

    make_account("agent", email="ada@example.com", widgets=[ours], agent=ada)
    assert "joined the console already" in client.get(page).text
    again = _post(client, page, f"{page}/invite", email="ada@example.com")
    assert again.status_code == 400
    assert "/console/join?token=" not in again.text


def test_agents_own_page_shows_scheduled_callbacks_with_numbers_masked(app: Flask) -> None:
    ours, theirs, ada, _bob = _teams()
    make_request(ours, status=RequestStatus.SCHEDULED, scheduled_for=utcnow() + timedelta(days=1))
    make_request(theirs, status=RequestStatus.SCHEDULED, scheduled_for=utcnow() + timedelta(days=1))
    request = make_request(ours, status=RequestStatus.COMPLETED, phone=None)
    _agent_leg(request, ada, status="completed", digits="1", duration_seconds=65)
    client = signed_in(app, make_account("agent", widgets=[ours], agent=ada))
    page = client.get("/console/")
    assert page.status_code == 200
    assert "My calls" in page.text
    assert page.text.count(mask(VISITOR_LANDLINE) or "") == 1  # ours only, not the other team's
    forms, significant = number_forms(VISITOR_LANDLINE)
    assert not text_holds(page.text, forms, significant)
    assert "Theirs" not in page.text
    assert "1:05" in page.text
    assert "you took it" in page.text


def test_agent_switches_their_own_availability_and_no_one_elses(app: Flask) -> None:
    ours, _theirs, ada, bob = _teams()
    me = make_account("agent", widgets=[ours], agent=ada)
    client = signed_in(app, me)
    away = _post(client, "/console/", f"/console/agents/{ada.id}/pause", reason="")
    assert away.status_code == 302
    assert away.headers["Location"].endswith("/console/")
    assert not _fresh(ada.id).available  # type: ignore[union-attr]
    assert [e.actor for e in _audit("agent_paused")] == [f"account:{me.id}"]
    assert "I am available" in client.get("/console/").text

    back = _post(client, "/console/", f"/console/agents/{ada.id}/available")
    assert back.status_code == 302
    assert _fresh(ada.id).available  # type: ignore[union-attr]

    for action in ("/pause", "/available"):
        other = _post(client, "/console/", f"/console/agents/{bob.id}{action}", reason="x")
        assert other.status_code == 404
    assert _fresh(bob.id).available  # type: ignore[union-attr]


def test_agent_account_without_an_agent_gets_an_explanation(app: Flask) -> None:
    ours, _theirs, ada, _bob = _teams()
    me = make_account("agent", widgets=[ours], agent=ada)
    client = signed_in(app, me)
    db.session().delete(ada)
    db.session().commit()
    page = client.get("/console/")
    assert page.status_code == 200
    assert "not linked to an agent" in page.text
