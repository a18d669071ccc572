"""`callback doctor`: one line per check (or JSON for scripts); exit 1 on any failure."""

from __future__ import annotations

import json
import os
from dataclasses import asdict

import click

from callback.doctor.checks import Finding
from callback.doctor.diagnose import diagnose


def line(finding: Finding) -> str:
    """Return a finding as one line: its name and detail, and the fix of a failure."""
    if finding.ok:
        return f"ok   {finding.name}: {finding.detail}"
    return f"FAIL {finding.name}: {finding.detail} — fix: {finding.fix}"


@click.command("doctor")
@click.option("--json", "as_json", is_flag=True, help="Print the findings as JSON.")
def doctor_command(as_json: bool) -> None:
    """Check the configuration: settings, database, Redis, Twilio; exit 1 on any failure."""
    findings = diagnose(os.environ)
    ok = all(finding.ok for finding in findings)
    if as_json:
        report = {"ok": ok, "checks": [asdict(finding) for finding in findings]}
        click.echo(json.dumps(report, indent=2))
    else:
        click.echo("\n".join(line(finding) for finding in findings))
    click.get_current_context().exit(0 if ok else 1)
