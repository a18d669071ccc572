"""widget.d.ts describes the page API as a TypeScript page would use it.

tsc (TypeScript, from npm into .cache/npm as .ci/run installs it) checks
tests/unit/typescript/widget_api_usage.ts against callback/static/widget.d.ts in strict
mode: the uses it shows must compile and each misuse marked @ts-expect-error must not.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.npm_tools import npm_tool

ROOT = Path(__file__).resolve().parents[2]
USAGE = ROOT / "tests" / "unit" / "typescript" / "widget_api_usage.ts"


@pytest.fixture(scope="module")
def tsc() -> Path:
    return npm_tool(".bin/tsc")


def _check(tsc: Path, *files: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own files through a fixed compiler
        [str(tsc), "--noEmit", "--strict", "--target", "es2020", "--lib", "es2020,dom",
         "--skipLibCheck", "false", *map(str, files)],
        capture_output=True, text=True, cwd=ROOT, check=False,
    )  # fmt: skip


def test_the_documented_uses_compile_and_every_misuse_is_refused(tsc: Path) -> None:
    result = _check(tsc, USAGE)
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_misuse_without_its_marker_fails_the_check(tsc: Path, tmp_path: Path) -> None:
    unmarked = tmp_path / "misuse.ts"
    unmarked.write_text(
        USAGE.read_text()
        .replace("../../../callback/static/widget", str(ROOT / "callback/static/widget"))
        .replace("// @ts-expect-error: no such event\n", "")
    )
    result = _check(tsc, unmarked)
    assert result.returncode != 0
    assert '"answered"' in result.stdout
