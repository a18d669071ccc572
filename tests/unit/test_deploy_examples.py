"""deploy/ and docs/deploying.md name every setting and every Procfile process."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from dotenv import dotenv_values

from callback.settings import Settings, production_problems, read_settings

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "deploy" / "callback.env.example"
GUIDE = (ROOT / "docs" / "deploying.md").read_text()
UNITS = ROOT / "deploy" / "systemd"
# Each Procfile process and the unit that runs it.
UNIT_OF = {
    "web": "callback-web.service",
    "worker": "callback-worker@.service",
    "integrations": "callback-integrations.service",
    "cron": "callback-cron.service",
    "release": "callback-release.service",
}


def _documented_settings() -> set[str]:
    """Return every `NAME` in the first cell of the guide's settings table."""
    rows = [line for line in GUIDE.splitlines() if line.startswith("| `")]
    return {name for row in rows for name in re.findall(r"`([A-Z][A-Z0-9_]+)`", row.split("|")[1])}


def test_the_example_env_sets_every_setting() -> None:
    assert set(Settings.model_fields) <= set(dotenv_values(EXAMPLE))


def test_the_deploying_guide_documents_every_setting() -> None:
    assert set(Settings.model_fields) - _documented_settings() == set()
    assert _documented_settings() - set(Settings.model_fields) == set()


def test_the_example_env_is_a_production_configuration_the_service_accepts() -> None:
    values = {name: value for name, value in dotenv_values(EXAMPLE).items() if value}
    settings = read_settings(values)  # raises on any value the service cannot use
    assert settings["ENV"] == "production"
    assert production_problems(settings) == []


def _procfile() -> dict[str, list[str]]:
    entries = (line.partition(": ") for line in (ROOT / "Procfile").read_text().splitlines())
    return {name: shlex.split(command) for name, _, command in entries}


def _exec_start(unit: str) -> list[str]:
    text = (UNITS / unit).read_text()
    line = next(line for line in text.splitlines() if line.startswith("ExecStart="))
    return shlex.split(line.removeprefix("ExecStart="))


def test_every_procfile_process_has_a_unit_running_its_command() -> None:
    procfile = _procfile()
    assert set(procfile) == set(UNIT_OF)
    for process, unit in UNIT_OF.items():
        command, started = procfile[process], _exec_start(unit)
        assert Path(started[0]).name == command[0], unit
        # The Procfile's arguments in order; the unit may add some (--name, --bind).
        remaining = iter(started[1:])
        fixed = [word for word in command[1:] if "$" not in word]
        assert all(word in remaining for word in fixed), unit
        text = (UNITS / unit).read_text()
        assert "EnvironmentFile=/etc/callback/callback.env" in text, unit
        if process != "release":
            assert "Restart=always" in text, unit
