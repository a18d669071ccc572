"""Every port the project listens on by default is one a browser will open."""

from __future__ import annotations

import re
from pathlib import Path

import click

from callback.dev.demo_site import DEMO_SITE_PORT
from callback.dev.server import dev_command
from callback.sandbox.cli import sandbox_command
from tests.bad_ports import BAD_PORTS

ROOT = Path(__file__).resolve().parents[2]


def _port_defaults(command: click.Command) -> dict[str, int]:
    return {
        f"{command.name} --{param.name}": int(param.default)  # type: ignore[arg-type]
        for param in command.params
        if param.name and param.name.endswith("port")
    }


def test_no_default_port_is_on_the_fetch_standards_bad_port_list() -> None:
    defaults = {
        **_port_defaults(dev_command),
        **_port_defaults(sandbox_command),
        "demo site": DEMO_SITE_PORT,
    }
    procfile = re.findall(r"\$\{PORT:-(\d+)\}", (ROOT / "Procfile").read_text())
    defaults.update({f"Procfile web {n}": int(port) for n, port in enumerate(procfile)})
    assert {"dev --port", "dev --sandbox_port", "dev --site_port", "Procfile web 0"} <= set(
        defaults
    )
    assert 5060 in BAD_PORTS  # SIP, the demo site's old port: Chromium's ERR_UNSAFE_PORT
    assert {name: port for name, port in defaults.items() if port in BAD_PORTS} == {}
