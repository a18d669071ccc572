"""Console sign-in: invitations, throttling, session cookies, idle expiry, CSRF, roles."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from flask import Flask
from flask.testing import FlaskClient
from flask_security.utils import verify_password
from passlib.totp import TOTP
from sqlalchemy import select

from callback import create_app, db
from callback.accounts import invitations, personal
from callback.models import Account, ApiKey, AuditEntry, Invitation, utcnow
from tests.console_helpers import (
    PASSWORD,
    console_client,
    csrf_token,
    make_account,
    sign_in,
    signed_in,
)
from tests.factories import make_widget

NEW_PASSWORD = "a long enough passphrase"


def _invite(email: str = "new@example.com", role: str = "manager") -> str:
    _account, token = invitations.invite(
        db.session(), email=email, name="New Person", role=role, actor="test"
    )
    db.session().commit()
    return token


def _join(
    client: FlaskClient, token: str, password: str = NEW_PASSWORD, again: str | None = None
) -> Any:
    page = client.get(f"/console/join?token={token}")
    assert page.status_code == 200
    return client.post(
        f"/console/join?token={token}",
        data={
            "csrf_token": csrf_token(page.text),
            "password": password,
            "password_again": password if again is None else again,
        },
    )


def _attempt(client: FlaskClient, email: str, password: str) -> Any:
    page = client.get("/console/sign-in")
    return client.post(
        "/console/sign-in",
        data={"email": email, "password": password, "csrf_token": csrf_token(page.text)},
    )


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return console_client(app)


def test_strangers_are_sent_to_sign_in(client: FlaskClient) -> None:
    answer = client.get("/console/me")
    assert answer.status_code == 302
    assert answer.headers["Location"].startswith("/console/sign-in?next=")


def test_an_invitation_sets_the_password_and_signs_in_once(client: FlaskClient) -> None:
    token = _invite()
    answer = _join(client, token)
    assert answer.status_code == 302
    assert answer.headers["Location"] == "/console/"
    assert "New Person" in client.get("/console/").text
    account = db.session().scalars(select(Account).filter_by(email="new@example.com")).one()
    assert account.password is not None
    assert account.password.startswith("$argon2id$")
    assert NEW_PASSWORD not in account.password
    # Used up: a second visit of the same link finds nothing.
    assert console_client(client.application).get(f"/console/join?token={token}").status_code == 404


def test_an_invitation_stores_only_the_tokens_hash(client: FlaskClient) -> None:
    token = _invite()
    stored = db.session().scalars(select(Invitation)).one()
    assert stored.token_hash != token
    assert token not in stored.token_hash


def test_an_invitation_expires_after_72_hours(client: FlaskClient) -> None:
    token = _invite()
    with time_machine.travel(utcnow() + timedelta(hours=71, minutes=59)):
        assert client.get(f"/console/join?token={token}").status_code == 200
    with time_machine.travel(utcnow() + timedelta(hours=72, minutes=1)):
        assert client.get(f"/console/join?token={token}").status_code == 404


def test_a_new_invitation_replaces_the_old_link(client: FlaskClient) -> None:
    first = _invite()
    second = _invite()
    assert client.get(f"/console/join?token={first}").status_code == 404
    assert client.get(f"/console/join?token={second}").status_code == 200


def test_an_invitation_never_resets_a_joined_persons_password(app: Flask) -> None:
    make_account("manager", email="joined@example.com")
    with pytest.raises(invitations.Invalid) as refused:
        _invite(email="joined@example.com")
    assert refused.value.code == "account_exists"


def test_join_refuses_a_short_or_mismatched_password(client: FlaskClient) -> None:
    token = _invite()
    short = _join(client, token, password="short")
    assert short.status_code == 400
    assert 'aria-invalid="true"' in short.text
    mismatched = _join(client, token, again=NEW_PASSWORD + "x")
    assert mismatched.status_code == 400
    assert "differ" in mismatched.text
    assert client.get(f"/console/join?token={token}").status_code == 200  # still usable


def test_a_wrong_password_does_not_say_whether_the_account_exists(app: Flask) -> None:
    make_account("owner")
    known = _attempt(console_client(app), "owner@example.com", "not the password at all")
    unknown = _attempt(console_client(app), "nobody@example.com", "not the password at all")
    assert known.status_code == unknown.status_code == 200
    assert "Authentication failed" in known.text
    assert "Authentication failed" in unknown.text


def test_failed_sign_ins_are_throttled_per_account(app: Flask) -> None:
    make_account("owner")
    guesser = console_client(app)
    answers = [
        _attempt(guesser, "owner@example.com", f"guess number {n}").status_code for n in range(6)
    ]
    assert answers == [200] * 5 + [429]
    throttled = _attempt(guesser, "owner@example.com", PASSWORD)
    assert throttled.status_code == 429  # even the right password waits
    assert int(throttled.headers["Retry-After"]) > 0
    assert "Too many attempts" in throttled.text
    # Another person signing in from the same address is not held up by the guesses.
    make_account("manager")
    assert _attempt(guesser, "manager@example.com", PASSWORD).status_code == 302


def test_failed_sign_ins_are_throttled_per_address(
    settings: dict[str, Any], engine: Any, redis: Any
) -> None:
    from tests.app_with import app_with  # noqa: PLC0415

    with app_with({**settings, "CONSOLE_SIGN_IN_LIMIT_PER_IP": "3/hour"}, engine) as app:
        client = console_client(app)
        answers = [
            _attempt(client, f"person{n}@example.com", "wrong password here").status_code
            for n in range(4)
        ]
        assert answers == [200, 200, 200, 429]


def test_successful_sign_ins_are_not_counted(app: Flask) -> None:
    account = make_account("owner")
    for _ in range(7):
        client = signed_in(app, account)  # asserts each one got in
        assert client.get("/console/").status_code == 200


def test_the_session_cookie_is_scoped_and_flagged(client: FlaskClient) -> None:
    make_account("owner")
    page = client.get("/console/sign-in")
    cookie = page.headers["Set-Cookie"]
    assert cookie.startswith("callback_console=")
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Path=/console" in cookie


def test_cookies_are_secure_when_the_service_is_on_https(settings: dict[str, Any]) -> None:
    app = create_app({**settings, "PUBLIC_BASE_URL": "https://callback.example.com"})
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert create_app(settings).config["SESSION_COOKIE_SECURE"] is False  # http, development


def test_the_widget_and_apis_get_no_cookie(client: FlaskClient) -> None:
    widget = make_widget()
    for path in (f"/w/{widget.key}", f"/api/v1/widgets/{widget.key}/config", "/widget.js"):
        with client.get(path) as answer:
            assert "Set-Cookie" not in answer.headers, path
            assert "Cookie" not in answer.headers.get("Vary", ""), path


def test_sign_in_rotates_the_session(app: Flask) -> None:
    account = make_account("owner")
    client = console_client(app)
    client.get("/console/sign-in")
    before = client.get_cookie("callback_console", path="/console")
    assert before is not None
    sign_in(client, account.email)
    after = client.get_cookie("callback_console", path="/console")
    assert after is not None
    assert after.value != before.value
    # The anonymous cookie from before signing in opens nothing.
    stranger = console_client(app)
    stranger.set_cookie("callback_console", before.value, path="/console")
    assert stranger.get("/console/").status_code == 302


def test_a_session_expires_when_idle(app: Flask) -> None:
    client = signed_in(app, make_account("owner"))
    idle = timedelta(minutes=app.config["CONSOLE_IDLE_MINUTES"])
    start = utcnow()
    with time_machine.travel(start + idle - timedelta(minutes=1), tick=False):
        assert client.get("/console/").status_code == 200  # and the clock starts again
    with time_machine.travel(start + 2 * idle - timedelta(minutes=2), tick=False):
        assert client.get("/console/").status_code == 200
    with time_machine.travel(start + 3 * idle, tick=False):
        answer = client.get("/console/")
    assert answer.status_code == 302
    assert answer.headers["Location"].startswith("/console/sign-in")


def test_signing_out_ends_copies_of_the_session(app: Flask) -> None:
    client = signed_in(app, make_account("owner"))
    stolen = client.get_cookie("callback_console", path="/console")
    assert stolen is not None
    page = client.get("/console/")
    assert (
        client.post("/console/sign-out", data={"csrf_token": csrf_token(page.text)}).status_code
        == 302
    )
    thief = console_client(app)
    thief.set_cookie("callback_console", stolen.value, path="/console")
    assert thief.get("/console/").status_code == 302


def test_a_change_without_the_csrf_token_is_refused(app: Flask) -> None:
    client = signed_in(app, make_account("owner"))
    refused = client.post("/console/me", data={"name": "Changed", "language": "en"})
    assert refused.status_code == 400
    assert "The form had expired" in refused.text
    page = client.get("/console/me")
    accepted = client.post(
        "/console/me",
        data={"name": "Changed", "language": "pl", "csrf_token": csrf_token(page.text)},
    )
    assert accepted.status_code == 302
    assert db.session().scalars(select(Account)).one().name == "Changed"


def test_the_console_speaks_the_accounts_language(app: Flask) -> None:
    client = signed_in(app, make_account("owner"))
    page = client.get("/console/me")
    client.post(
        "/console/me", data={"name": "Olga", "language": "pl", "csrf_token": csrf_token(page.text)}
    )
    polish = client.get("/console/me")
    assert '<html lang="pl">' in polish.text
    assert "Twoje konto" in polish.text


def test_the_sign_in_page_follows_the_browser(client: FlaskClient) -> None:
    polish = client.get("/console/sign-in", headers={"Accept-Language": "pl-PL,pl;q=0.9"})
    assert '<html lang="pl">' in polish.text
    assert "Zaloguj" in polish.text


def test_api_keys_are_shown_once_and_stored_hashed(app: Flask) -> None:
    client = signed_in(app, make_account("owner"))
    page = client.get("/console/me")
    made = client.post(
        "/console/me/keys", data={"name": "CRM", "csrf_token": csrf_token(page.text)}
    )
    assert made.status_code == 200
    key = made.text.split('<code id="new-key">')[1].split("<")[0]
    assert key.startswith("cbk_")
    again = client.get("/console/me").text
    assert key not in again
    assert key[:12] in again
    stored = db.session().scalars(select(AuditEntry).filter_by(action="api_key_issued")).one()
    assert key not in str(stored.details)


def test_a_person_downloads_and_deletes_their_account(app: Flask) -> None:
    make_account("owner", email="first@example.com")
    leaver = make_account("manager", email="leaver@example.com")
    client = signed_in(app, leaver)
    data = client.get("/console/me/data")
    assert data.headers["Content-Disposition"].startswith("attachment")
    assert data.json["account"]["email"] == "leaver@example.com"
    assert "password" not in data.text
    page = client.get("/console/me")
    wrong = client.post(
        "/console/me/delete", data={"confirm_email": "x", "csrf_token": csrf_token(page.text)}
    )
    assert wrong.status_code == 400
    gone = client.post(
        "/console/me/delete",
        data={"confirm_email": "leaver@example.com", "csrf_token": csrf_token(page.text)},
    )
    assert gone.status_code == 302
    assert (
        db.session().scalars(select(Account).filter_by(email="leaver@example.com")).first() is None
    )
    removal = db.session().scalars(select(AuditEntry).filter_by(action="account_removed")).one()
    assert "leaver" not in str(removal.details)


def test_the_last_owner_cannot_delete_their_account(app: Flask) -> None:
    owner = make_account("owner")
    client = signed_in(app, owner)
    page = client.get("/console/me")
    refused = client.post(
        "/console/me/delete",
        data={"confirm_email": owner.email, "csrf_token": csrf_token(page.text)},
    )
    assert refused.status_code == 400
    assert "last owner" in refused.text


def _code(secret: str) -> str:
    return str(TOTP(key=secret.replace("-", ""), format="base32").generate().token)


def test_an_authenticator_app_becomes_a_second_factor(app: Flask) -> None:
    account = make_account("owner")
    client = signed_in(app, account)
    page = client.get("/console/tf-setup")
    shown = client.post(
        "/console/tf-setup", data={"setup": "authenticator", "csrf_token": csrf_token(page.text)}
    )
    secret = re.search(r'id="qrcode"[^>]*>.*?<div>([A-Z2-7-]+)</div>', shown.text, re.DOTALL)
    assert secret is not None, "the manual-entry key is shown beside the QR code"
    action = re.search(
        r'<form action="([^"]+)" method="post" name="two_factor_verify_code_form"', shown.text
    )
    assert action is not None
    done = client.post(
        html.unescape(action.group(1)),
        data={"code": _code(secret.group(1)), "csrf_token": csrf_token(shown.text)},
    )
    assert done.status_code == 302
    assert db.session().scalars(select(Account)).one().tf_primary_method == "authenticator"
    # From now on the password alone does not sign in (a minute later: a code works once).
    with time_machine.travel(utcnow() + timedelta(minutes=1), tick=False):
        other = _halfway(app, account.email)
        assert other.get("/console/").status_code == 302  # not in yet
        form = other.get("/console/tf-validate")
        wrong = other.post(
            "/console/tf-validate", data={"code": "000000", "csrf_token": csrf_token(form.text)}
        )
        assert wrong.status_code == 200
        assert other.get("/console/").status_code == 302
        code = _code(secret.group(1))
        right = other.post(
            "/console/tf-validate", data={"code": code, "csrf_token": csrf_token(form.text)}
        )
        assert right.status_code == 302
        assert other.get("/console/").status_code == 200
        # Someone who saw the code (over a shoulder, a phishing page) cannot use it again.
        thief = _halfway(app, account.email)
        form = thief.get("/console/tf-validate")
        replayed = thief.post(
            "/console/tf-validate", data={"code": code, "csrf_token": csrf_token(form.text)}
        )
        assert replayed.status_code == 200
        assert thief.get("/console/").status_code == 302


def _halfway(app: Flask, email: str) -> FlaskClient:
    """A client past the password, asked for the second factor."""
    client = console_client(app)
    page = client.get("/console/sign-in")
    halfway = client.post(
        "/console/sign-in",
        data={"email": email, "password": PASSWORD, "csrf_token": csrf_token(page.text)},
    )
    assert halfway.headers["Location"].startswith("/console/tf-validate")
    return client


def test_an_account_id_is_never_given_to_someone_else(app: Flask) -> None:
    make_account("owner", email="first@example.com")
    leaver = make_account("manager", email="leaver@example.com")
    gone = leaver.id
    personal.delete(db.session(), leaver, "test")
    db.session().commit()
    newcomer = make_account("manager", email="newcomer@example.com")
    assert newcomer.id != gone  # audit entries naming "account:<gone>" stay theirs


def test_passwords_survive_a_new_secret_key(app: Flask, settings: dict[str, Any]) -> None:
    account = make_account("owner")
    rotated = create_app({**settings, "SECRET_KEY": "a brand new secret key"})
    with rotated.app_context():
        assert verify_password(PASSWORD, account.password)


def test_an_owner_turns_off_a_lost_authenticator_from_the_command_line(app: Flask) -> None:
    account = make_account("owner")
    account.tf_primary_method, account.tf_totp_secret = "authenticator", "sealed secret"
    uniquifier = account.fs_uniquifier
    db.session().commit()
    result = app.test_cli_runner().invoke(args=["users", "reset-second-factor", account.email])
    assert result.exit_code == 0, result.output
    db.session().refresh(account)
    assert (account.tf_primary_method, account.tf_totp_secret) == (None, None)
    assert account.fs_uniquifier != uniquifier  # signed out everywhere
    assert db.session().scalars(select(AuditEntry).filter_by(action="second_factor_reset")).one()
    refused = app.test_cli_runner().invoke(args=["users", "reset-second-factor", "not an e-mail"])
    assert refused.exit_code == 2
    assert "Traceback" not in refused.output
    assert "EMAIL" in refused.output


def test_making_an_api_key_needs_a_recent_sign_in(app: Flask) -> None:
    client = signed_in(app, make_account("owner"))
    page = client.get("/console/me")
    assert page.headers["Cache-Control"] == "no-store"
    later = utcnow() + timedelta(minutes=20)  # still signed in, no longer fresh
    with time_machine.travel(later, tick=False):
        asked = client.post(
            "/console/me/keys", data={"name": "CRM", "csrf_token": csrf_token(page.text)}
        )
    assert asked.status_code == 302
    assert asked.headers["Location"].startswith("/console/verify")
    assert db.session().scalars(select(ApiKey)).all() == []


def test_checking_the_password_again_is_throttled_too(app: Flask) -> None:
    client = signed_in(app, make_account("owner"))
    answers = []
    for attempt in range(6):
        page = client.get("/console/verify")
        answers.append(
            client.post(
                "/console/verify",
                data={"password": f"wrong {attempt}", "csrf_token": csrf_token(page.text)},
            ).status_code
        )
    assert answers == [200] * 5 + [429]


@pytest.mark.parametrize("path", ["/console/requests.json", "/console/assets/console.css"])
def test_what_the_browser_fetches_alone_does_not_keep_an_idle_session_alive(
    app: Flask, path: str
) -> None:
    client = signed_in(app, make_account("owner"))
    idle = timedelta(minutes=app.config["CONSOLE_IDLE_MINUTES"])
    start = utcnow()
    with (
        time_machine.travel(start + idle - timedelta(minutes=1), tick=False),
        client.get(path) as polled,
    ):
        assert polled.status_code == 200
        assert "Set-Cookie" not in polled.headers
    with time_machine.travel(start + idle + timedelta(minutes=1), tick=False):
        assert client.get("/console/").status_code == 302


def test_a_name_with_a_control_character_is_refused(app: Flask) -> None:
    client = signed_in(app, make_account("owner"))
    page = client.get("/console/me")
    refused = client.post(
        "/console/me",
        data={"name": "Olga\x00Owner", "language": "en", "csrf_token": csrf_token(page.text)},
    )
    assert refused.status_code == 400
    db.session().expire_all()
    assert db.session().scalars(select(Account)).one().name == "Owner Example"
