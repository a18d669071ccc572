"""The People page (owners only) and what signing in notes down."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from callback import db
from callback.accounts import api_keys, invitations, management
from callback.errors import Invalid
from callback.models import Account, ApiKey, AuditEntry
from tests.console_helpers import console_client, csrf_token, make_account, sign_in, signed_in
from tests.factories import make_agent, make_widget

LINK = re.compile(r"http://callback\.test/console/join\?token=([A-Za-z0-9_-]+)")


def post(client: FlaskClient, path: str, page: str, **form: object) -> object:
    """Post `form` with the CSRF token of `page` (a console page already fetched)."""
    return client.post(path, data={"csrf_token": csrf_token(page), **form})


def entries(action: str) -> list[AuditEntry]:
    return list(db.session().scalars(select(AuditEntry).filter_by(action=action)))


def test_people_page_is_for_owners_only(app: Flask) -> None:
    widget = make_widget()
    manager = make_account("manager", widgets=[widget])
    assert signed_in(app, manager).get("/console/accounts").status_code == 403
    owner = make_account("owner")
    page = signed_in(app, owner).get("/console/accounts")
    assert page.status_code == 200
    assert "manager@example.com" in page.text
    assert "owner@example.com" in page.text


def test_people_page_lists_state_keys_and_last_sign_in(app: Flask) -> None:
    owner = make_account("owner")
    make_account("manager", email="invited@example.com", password=None)
    api_keys.issue(db.session(), owner, "laptop", "test")
    db.session().commit()
    page = signed_in(app, owner).get("/console/accounts").text
    row = page[page.index("invited@example.com") :].split("</tr>")[0]
    assert "invited" in row
    assert "never" in row
    own = page[page.index("owner@example.com") :].split("</tr>")[0]
    assert "active" in own
    assert "never" not in own
    assert re.search(r"<td>1</td>\s*$", own)  # one API key


def test_owner_invites_a_manager_and_the_link_is_shown_once_and_works(app: Flask) -> None:
    widget = make_widget()
    owner = make_account("owner")
    client = signed_in(app, owner)
    form = client.get("/console/accounts/invite").text
    answer = post(client, "/console/accounts/invite", form, email="Mia@Example.com",
                  name="Mia", role="manager", widgets=str(widget.id))  # fmt: skip
    assert answer.status_code == 200
    assert answer.headers["Cache-Control"] == "no-store"
    token = LINK.search(answer.text).group(1)
    mia = db.session().scalars(select(Account).filter_by(email="mia@example.com")).one()
    assert (mia.role, [w.key for w in mia.widgets]) == ("manager", [widget.key])
    assert invitations.open_invitation(db.session(), token) is not None
    assert token not in client.get("/console/accounts").text
    assert token not in client.get(f"/console/accounts/{mia.id}").text
    invited = [e for e in entries("account_invited") if e.details["account_id"] == mia.id]
    assert [e.actor for e in invited] == [f"account:{owner.id}"]


def test_invitation_refusal_keeps_what_was_typed(app: Flask) -> None:
    owner = make_account("owner")
    client = signed_in(app, owner)
    form = client.get("/console/accounts/invite").text
    answer = post(client, "/console/accounts/invite", form, email="ada@example.com",
                  name="Ada Typed", role="agent")  # fmt: skip
    assert answer.status_code == 400
    assert "Choose the agent this account belongs to." in answer.text
    assert 'value="Ada Typed"' in answer.text
    assert db.session().scalars(select(Account).filter_by(email="ada@example.com")).first() is None


def test_an_invited_name_with_control_characters_is_a_form_error(app: Flask) -> None:
    client = signed_in(app, make_account("owner"))
    form = client.get("/console/accounts/invite").text
    answer = post(client, "/console/accounts/invite", form, email="ada@example.com",
                  name="Ada\x00", role="manager")  # fmt: skip
    assert answer.status_code == 400
    assert "A name cannot hold control characters." in answer.text
    assert db.session().scalars(select(Account).filter_by(email="ada@example.com")).first() is None


def test_an_api_key_name_with_control_characters_is_refused(app: Flask) -> None:
    owner = make_account("owner")
    with pytest.raises(Invalid) as refused:
        api_keys.issue(db.session(), owner, "lap\x07top", "test")
    assert refused.value.code == "name_control"
    client = signed_in(app, owner)
    page = client.get("/console/me").text
    assert post(client, "/console/me/keys", page, name="lap\x00top").status_code == 400
    assert db.session().scalars(select(ApiKey)).first() is None


def test_the_domain_checks_an_accounts_name(app: Flask) -> None:
    assert management.checked_name("  Ada Lovelace ") == "Ada Lovelace"
    for bad in ("", " ", "x" * 201, "Ada\x00", "Ada\nL"):
        with pytest.raises(Invalid):
            management.checked_name(bad)


def test_owner_invites_an_agent_for_an_agent_row(app: Flask) -> None:
    agent = make_agent()
    client = signed_in(app, make_account("owner"))
    form = client.get("/console/accounts/invite").text
    answer = post(client, "/console/accounts/invite", form, email="ada@example.com",
                  name="Ada", role="agent", agent=str(agent.id))  # fmt: skip
    assert answer.status_code == 200
    ada = db.session().scalars(select(Account).filter_by(email="ada@example.com")).one()
    assert ada.agent_id == agent.id


def test_ids_that_are_no_ids_are_ignored_in_the_account_forms(app: Flask) -> None:
    widget = make_widget()
    owner = make_account("owner")
    person = make_account("manager", widgets=[widget])
    client = signed_in(app, owner)
    form = client.get("/console/accounts/invite").text
    for bad in ("\u00b2", "9" * 20):
        answer = post(client, "/console/accounts/invite", form, email="ada@example.com",
                      name="Ada", role="agent", agent=bad, widgets=[bad])  # fmt: skip
        assert answer.status_code == 400
        assert "Choose the agent this account belongs to." in answer.text
        page = client.get(f"/console/accounts/{person.id}").text
        answer = post(client, f"/console/accounts/{person.id}", page, role="manager",
                      widgets=[str(widget.id), bad])  # fmt: skip
        assert answer.status_code == 302
        db.session().refresh(person)
        assert [w.id for w in person.widgets] == [widget.id]


def test_owner_changes_role_and_widgets_and_it_is_audited(app: Flask) -> None:
    widget = make_widget()
    owner = make_account("owner")
    person = make_account("manager")
    client = signed_in(app, owner)
    page = client.get(f"/console/accounts/{person.id}").text
    answer = post(client, f"/console/accounts/{person.id}", page, role="manager",
                  widgets=str(widget.id))  # fmt: skip
    assert answer.status_code == 302
    db.session().refresh(person)
    assert [w.id for w in person.widgets] == [widget.id]
    [entry] = entries("account_updated")
    assert entry.details == {"account_id": person.id, "changes": {"widgets": [[], [widget.key]]}}


def test_last_owner_cannot_demote_disable_or_remove_themselves(app: Flask) -> None:
    owner = make_account("owner")
    client = signed_in(app, owner)
    page = client.get(f"/console/accounts/{owner.id}").text
    for path, form in (
        (f"/console/accounts/{owner.id}", {"role": "manager"}),
        (f"/console/accounts/{owner.id}/active", {"active": "0"}),
        (f"/console/accounts/{owner.id}/remove", {"confirm_email": owner.email}),
    ):
        answer = post(client, path, page, **form)
        assert answer.status_code == 400, path
        assert "This is the last owner" in answer.text
    db.session().refresh(owner)
    assert (owner.role, owner.active) == ("owner", True)


def test_disabling_ends_their_sessions_and_enabling_lets_them_back(app: Flask) -> None:
    owner = make_account("owner")
    person = make_account("manager")
    theirs = signed_in(app, person)
    assert theirs.get("/console/").status_code == 200
    client = signed_in(app, owner)
    page = client.get(f"/console/accounts/{person.id}").text
    assert (
        post(client, f"/console/accounts/{person.id}/active", page, active="0").status_code == 302
    )
    assert theirs.get("/console/").status_code == 302  # back to sign-in
    assert [e.actor for e in entries("account_disabled")] == [f"account:{owner.id}"]
    post(client, f"/console/accounts/{person.id}/active", page, active="1")
    sign_in(theirs, person.email)
    assert theirs.get("/console/").status_code == 200


def test_owner_removes_someone_after_confirming_their_email(app: Flask) -> None:
    owner = make_account("owner")
    person = make_account("manager")
    person_id = person.id
    client = signed_in(app, owner)
    page = client.get(f"/console/accounts/{person_id}").text
    wrong = post(client, f"/console/accounts/{person_id}/remove", page, confirm_email="x@y.z")
    assert wrong.status_code == 400
    answer = post(client, f"/console/accounts/{person_id}/remove", page,
                  confirm_email="manager@example.com")  # fmt: skip
    assert answer.status_code == 302
    db.session().expire_all()  # the console changed the rows in its own session
    assert db.session().get(Account, person_id) is None
    assert [e.details for e in entries("account_removed")] == [{"account_id": person_id}]


def test_owner_revokes_someone_elses_key(app: Flask) -> None:
    owner = make_account("owner")
    person = make_account("manager")
    row, _key = api_keys.issue(db.session(), person, "script", "test")
    db.session().commit()
    client = signed_in(app, owner)
    page = client.get(f"/console/accounts/{person.id}").text
    assert "script" in page
    assert f'action="/console/accounts/{person.id}/keys/{row.id}/revoke"' in page
    answer = post(client, f"/console/accounts/{person.id}/keys/{row.id}/revoke", page)
    assert answer.status_code == 302
    db.session().expire_all()
    assert db.session().get(ApiKey, row.id).revoked_at is not None
    assert [e.actor for e in entries("api_key_revoked")] == [f"account:{owner.id}"]


def test_new_link_for_someone_who_has_not_joined(app: Flask) -> None:
    person = make_account("manager", password=None)
    client = signed_in(app, make_account("owner"))
    page = client.get(f"/console/accounts/{person.id}").text
    answer = post(client, f"/console/accounts/{person.id}/invite-again", page)
    token = LINK.search(answer.text).group(1)
    assert invitations.open_invitation(db.session(), token) is not None


def test_inviting_again_after_the_agent_row_went_shows_why_on_the_edit_page(
    app: Flask,
) -> None:
    agent = make_agent()
    person = make_account("agent", email="ada@example.com", agent=agent, password=None)
    db.session().delete(agent)
    db.session().commit()
    db.session().refresh(person)
    assert person.agent_id is None
    client = signed_in(app, make_account("owner"))
    page = client.get(f"/console/accounts/{person.id}").text
    answer = post(client, f"/console/accounts/{person.id}/invite-again", page)
    assert answer.status_code == 400
    assert answer.mimetype == "text/html"
    assert "Choose the agent this account belongs to." in answer.text
    assert LINK.search(answer.text) is None
    invited = [e for e in entries("account_invited") if e.details["account_id"] == person.id]
    assert len(invited) == 1  # the first invitation only


def test_sign_in_notes_the_time_rotates_csrf_and_is_audited_without_an_address(
    app: Flask,
) -> None:
    person = make_account("manager")
    assert person.current_login_at is None
    client = console_client(app)
    before = csrf_token(client.get("/console/sign-in").text)
    sign_in(client, person.email)
    db.session().refresh(person)
    first = person.current_login_at
    assert first is not None
    assert person.last_login_at is None
    after = csrf_token(client.get("/console/me").text)
    assert after != before
    [entry] = entries("signed_in")
    assert entry.actor == f"account:{person.id}"
    assert entry.details == {"account_id": person.id}
    sign_in(console_client(app), person.email)
    db.session().refresh(person)
    assert person.last_login_at == first


def test_owner_turns_off_someones_lost_authenticator(app: Flask) -> None:
    owner = make_account("owner")
    person = make_account("manager")
    person.tf_primary_method, person.tf_totp_secret = "authenticator", "sealed secret"
    db.session().commit()
    client = signed_in(app, owner)
    page = client.get(f"/console/accounts/{person.id}").text
    answer = post(client, f"/console/accounts/{person.id}/second-factor/reset", page)
    assert answer.status_code == 302
    db.session().expire_all()
    assert db.session().get(Account, person.id).tf_primary_method is None
    assert [e.actor for e in entries("second_factor_reset")] == [f"account:{owner.id}"]
    manager = signed_in(app, make_account("manager", email="other@example.com"))
    page = manager.get("/console/me").text
    refused = post(manager, f"/console/accounts/{person.id}/second-factor/reset", page)
    assert refused.status_code == 403
