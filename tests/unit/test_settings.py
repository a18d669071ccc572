"""Settings are parsed in one place; a bad value names its variable, never its value."""

from __future__ import annotations

import subprocess
import sys

import pytest

from callback.settings import SettingsError, load_settings


@pytest.mark.parametrize(
    ("name", "value", "problem"),
    [
        ("TWILIO_CPS", "fast", "valid number"),
        ("TWILIO_CPS", "-2.5", "greater than 0"),
        ("AGENT_MAX_MISSES", "three", "valid integer"),
        ("RATE_LIMIT_PER_IP", "ten an hour", "10/hour;30/day"),
        ("TWILIO_READ_TIMEOUT", "-1", "greater than 0"),
        ("RECONCILE_EVERY_SECONDS", "0.5", "greater than or equal to 1"),
        ("AUDIT_RETENTION_DAYS", "1", "greater than or equal to 7"),
        ("CONSOLE_IDLE_MINUTES", "-5", "greater than 0"),
        ("CONSOLE_SIGN_IN_LIMIT_PER_IP", "lots", "10/hour;30/day"),
    ],
)
def test_a_bad_value_is_refused_with_the_variable_named(
    name: str, value: str, problem: str
) -> None:
    with pytest.raises(SettingsError) as refused:
        load_settings({name: value})
    assert f"{name}: " in str(refused.value)
    assert problem in str(refused.value)
    assert value not in str(refused.value)  # a value may be a secret: never echoed


def test_every_bad_value_is_listed_at_once() -> None:
    with pytest.raises(SettingsError) as refused:
        load_settings({"TWILIO_CPS": "fast", "TRUSTED_PROXY_HOPS": "one"})
    assert "TWILIO_CPS" in str(refused.value)
    assert "TRUSTED_PROXY_HOPS" in str(refused.value)


def test_empty_variables_count_as_unset_and_values_are_typed() -> None:
    settings = load_settings({"TWILIO_CPS": "", "TWILIO_READ_TIMEOUT": "2.5"})
    assert settings["TWILIO_CPS"] == 1
    assert settings["TWILIO_READ_TIMEOUT"] == 2.5
    assert settings["TELEPHONY"] == "sandbox"
    assert load_settings({"TWILIO_ACCOUNT_SID": "AC" + "1" * 32})["TELEPHONY"] == "twilio"


@pytest.mark.parametrize(
    ("env", "name", "read_as"),
    [
        # Every value the service ran with before is read as it was then.
        ({"CALLBACK_ENV": "staging"}, "ENV", "development"),
        ({"ERASE_PROVIDER_RECORDS": "y"}, "ERASE_PROVIDER_RECORDS", False),
        ({"ERASE_PROVIDER_RECORDS": " On "}, "ERASE_PROVIDER_RECORDS", True),
        ({"RATELIMIT_ENABLED": "no"}, "RATELIMIT_ENABLED", True),
        ({"RATELIMIT_ENABLED": "FALSE"}, "RATELIMIT_ENABLED", False),
        ({"SECRET_KEY": " spaced key "}, "SECRET_KEY", " spaced key "),
        ({"RECONCILE_STALE_SECONDS": "0"}, "RECONCILE_STALE_SECONDS", 0),
        ({"AGENT_MAX_MISSES": "0"}, "AGENT_MAX_MISSES", 0),
        ({"LOG_LEVEL": "WARN"}, "LOG_LEVEL", "WARN"),
    ],
)
def test_values_accepted_before_read_as_before(
    env: dict[str, str], name: str, read_as: object
) -> None:
    assert load_settings(env)[name] == read_as


def test_the_cli_names_the_bad_setting_without_a_traceback(tmp_path: object) -> None:
    command = [sys.executable, "-m", "callback.cli", "db", "upgrade"]
    env = {"TWILIO_CPS": "fast", "CALLBACK_INSTANCE_DIR": str(tmp_path), "PATH": ""}
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    assert done.returncode == 1
    assert "Error: settings the service cannot use" in done.stderr
    assert "TWILIO_CPS" in done.stderr
    assert "Traceback" not in done.stderr
