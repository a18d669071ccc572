"""Twilio-facing routes fail closed; production refuses to start without its secrets."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from twilio.request_validator import RequestValidator

from callback import create_app, db
from callback.models import CallAttempt, CallbackRequest, CallEvent, MessageKind, VisitorMessage
from callback.settings import SANDBOX_AUTH_TOKEN, load_settings
from tests.conftest import PUBLIC_BASE_URL
from tests.factories import AGENT_PHONE, make_agent_leg
from tests.twilio_signing import signature, signed_post

CALL_SID = "CA" + "b" * 32
PRODUCTION_ENV = {
    "CALLBACK_ENV": "production",
    "SECRET_KEY": "s" * 40,
    "PHONE_HASH_KEY": "p" * 40,
    "DATABASE_URL": "postgresql+psycopg://callback@db/callback",
    "REDIS_URL": "redis://redis:6379/0",
    "TWILIO_ACCOUNT_SID": "AC" + "1" * 32,
    "TWILIO_AUTH_TOKEN": "t" * 32,
    "PUBLIC_BASE_URL": "https://callback.example.com",
}


@pytest.fixture
def attempt(client: FlaskClient) -> CallAttempt:
    return make_agent_leg(CALL_SID, status="ringing")


def twilio_paths(app: Flask, attempt: CallAttempt, message_id: int = 0) -> list[str]:
    """Return every Twilio-facing POST route, for this attempt (and visitor text)."""
    request = db.session().get_one(CallbackRequest, attempt.request_id)
    values = {
        "<int:attempt_id>": str(attempt.id),
        "<int:message_id>": str(message_id),
        "<uuid:request_id>": str(request.id),  # the phone line's caller routes
        "<key>": request.widget.key,
    }
    paths = []
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/twilio/") and "POST" in (rule.methods or ()):
            path = rule.rule
            for placeholder, value in values.items():
                path = path.replace(placeholder, value)
            assert "<" not in path, f"a route this test cannot fill in: {rule.rule}"
            paths.append(path)
    return paths


def params() -> dict[str, str]:
    return {
        "CallSid": CALL_SID,
        "CallStatus": "in-progress",
        "SequenceNumber": "3",
        "Digits": "1",
        "DialCallStatus": "completed",
        "To": AGENT_PHONE,
        "MessageStatus": "delivered",
    }


def snapshot(attempt: CallAttempt) -> tuple[Any, ...]:
    session = db.session()
    session.expire_all()
    request = session.get_one(CallbackRequest, attempt.request_id)
    return (
        session.scalar(select(func.count()).select_from(CallEvent)),
        session.scalar(select(func.count()).select_from(CallAttempt)),
        session.get_one(CallAttempt, attempt.id).status,
        request.status,
        request.phone,
        session.scalars(select(VisitorMessage.status)).all(),
    )


def forgeries(path: str) -> dict[str, tuple[dict[str, str], dict[str, str]]]:
    """Return named (form, headers) pairs that must all be refused for `path`."""
    good = params()
    changed = {**good, "CallStatus": "completed", "Digits": "2"}
    other_url = (
        path.replace("/attempts/", "/attempts/9")
        .replace("/messages/", "/messages/9")
        .replace("/lines/", "/lines/0")
        .replace("/widgets/", "/widgets/x")
    )
    wrong_token = RequestValidator("not-the-token").compute_signature(PUBLIC_BASE_URL + path, good)
    return {
        "missing": (good, {}),
        "empty": (good, {"X-Twilio-Signature": ""}),
        "garbage": (good, {"X-Twilio-Signature": "bm9wZQ=="}),
        "wrong token": (good, {"X-Twilio-Signature": wrong_token}),
        "replayed, parameters changed": (changed, {"X-Twilio-Signature": signature(path, good)}),
        "replayed, parameter added": (
            {**good, "AnsweredBy": "human"},
            {"X-Twilio-Signature": signature(path, good)},
        ),
        "signed for another URL": (good, {"X-Twilio-Signature": signature(other_url, good)}),
    }


def test_every_twilio_route_refuses_forged_requests_and_nothing_changes(
    app: Flask, client: FlaskClient, attempt: CallAttempt
) -> None:
    text = VisitorMessage(request_id=attempt.request_id, kind=MessageKind.MISSED)
    db.session().add(text)
    db.session().commit()
    before = snapshot(attempt)
    paths = twilio_paths(app, attempt, text.id)
    assert len(paths) >= 4
    answers = {
        (path, name): client.post(path, data=form, headers=headers).status_code
        for path in paths
        for name, (form, headers) in forgeries(path).items()
    }
    assert {key: code for key, code in answers.items() if code != 403} == {}
    assert snapshot(attempt) == before
    # Control: the same request, correctly signed, is taken.
    assert signed_post(client, f"/twilio/attempts/{attempt.id}/status", params()).status_code == 204
    assert snapshot(attempt) != before


def test_signature_is_checked_against_public_base_url_not_the_host_header(
    client: FlaskClient, attempt: CallAttempt
) -> None:
    path = f"/twilio/attempts/{attempt.id}/status"
    forged_host = RequestValidator(SANDBOX_AUTH_TOKEN).compute_signature(
        "http://attacker.test" + path, params()
    )
    response = client.post(
        path,
        data=params(),
        headers={"X-Twilio-Signature": forged_host, "Host": "attacker.test"},
    )
    assert response.status_code == 403


def test_webhooks_refuse_everything_when_no_auth_token_is_known(
    app: Flask, client: FlaskClient, attempt: CallAttempt
) -> None:
    app.config["TWILIO_AUTH_TOKEN"] = None
    path = f"/twilio/attempts/{attempt.id}/status"
    response = client.post(path, data=params(), headers={"X-Twilio-Signature": "x"})
    assert response.status_code == 403


def test_production_refuses_to_start_without_twilio_token_and_public_url() -> None:
    env = {
        k: v for k, v in PRODUCTION_ENV.items() if k not in {"TWILIO_AUTH_TOKEN", "PUBLIC_BASE_URL"}
    }
    with pytest.raises(RuntimeError, match="production mode refuses to start") as refused:
        load_settings(env)
    assert "TWILIO_AUTH_TOKEN" in str(refused.value)
    assert "PUBLIC_BASE_URL" in str(refused.value)


@pytest.mark.parametrize(
    ("name", "value", "problem"),
    [
        ("SECRET_KEY", "", "SECRET_KEY"),
        ("PHONE_HASH_KEY", "", "PHONE_HASH_KEY"),
        ("PUBLIC_BASE_URL", "http://callback.example.com", "must be https"),
        ("ADMIN_TOKENS", "short", "ADMIN_TOKENS"),
        # Without an account the sandbox's pair would be used and no call ever placed.
        ("TWILIO_ACCOUNT_SID", "", "TWILIO_ACCOUNT_SID"),
    ],
)
def test_production_names_each_unsafe_setting(name: str, value: str, problem: str) -> None:
    with pytest.raises(RuntimeError, match=problem):
        load_settings({**PRODUCTION_ENV, name: value})


def test_admin_tokens_are_trimmed() -> None:
    tokens = " first-token-aaaaaaaaaaaa , second-token-bbbbbbbbbbb ,"
    settings = load_settings({**PRODUCTION_ENV, "ADMIN_TOKENS": tokens})
    assert settings["ADMIN_TOKENS"] == ["first-token-aaaaaaaaaaaa", "second-token-bbbbbbbbbbb"]


def test_production_starts_with_every_secret_given() -> None:
    settings = load_settings({**PRODUCTION_ENV, "ADMIN_TOKENS": "a" * 32})
    assert settings["ENV"] == "production"


def test_create_app_refuses_production_without_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CALLBACK_ENV", "production")
    for name in ("TWILIO_AUTH_TOKEN", "PUBLIC_BASE_URL", "SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(RuntimeError, match="TWILIO_AUTH_TOKEN"):
        create_app()
