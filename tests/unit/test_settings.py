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
        ("ERASE_PROVIDER_RECORDS", "sometimes", "valid boolean"),
        ("TELEPHONY", "pigeon", "'twilio' or 'sandbox'"),
        ("CALLBACK_ENV", "staging", "'development' or 'production'"),
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
        load_settings({"TWILIO_CPS": "fast", "TRUSTED_PROXY_HOPS": "-1"})
    assert "TWILIO_CPS" in str(refused.value)
    assert "TRUSTED_PROXY_HOPS" in str(refused.value)


def test_empty_variables_count_as_unset_and_values_are_typed() -> None:
    settings = load_settings(
        {"TWILIO_CPS": "", "LOG_LEVEL": "debug", "ERASE_PROVIDER_RECORDS": "yes"}
    )
    assert settings["TWILIO_CPS"] == 1
    assert settings["LOG_LEVEL"] == "DEBUG"
    assert settings["ERASE_PROVIDER_RECORDS"] is True
    assert settings["TELEPHONY"] == "sandbox"
    assert load_settings({"TWILIO_ACCOUNT_SID": "AC" + "1" * 32})["TELEPHONY"] == "twilio"


def test_the_cli_names_the_bad_setting_without_a_traceback(tmp_path: object) -> None:
    command = [sys.executable, "-m", "callback.cli", "db", "upgrade"]
    env = {"TWILIO_CPS": "fast", "CALLBACK_INSTANCE_DIR": str(tmp_path), "PATH": ""}
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    assert done.returncode == 1
    assert "Error: settings the service cannot use" in done.stderr
    assert "TWILIO_CPS" in done.stderr
    assert "Traceback" not in done.stderr
