"""The npm packages the tests use (axe-core for pages, TypeScript for widget.d.ts).

Installed together into .cache/npm, as .ci/run does: npm's `--no-save` install drops
packages it was not asked for, so every install names them all.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PREFIX = ROOT / ".cache" / "npm"
INSTALL = ["npm", "install", "--prefix", str(PREFIX), "--no-save", "--no-audit", "--no-fund",
           "axe-core@4", "typescript@5"]  # fmt: skip


def npm_tool(relative: str) -> Path:
    """Return `relative` under .cache/npm/node_modules, installing the tools if it is missing."""
    path = PREFIX / "node_modules" / relative
    if not path.exists() and shutil.which("npm"):
        subprocess.run(INSTALL, check=True, cwd=ROOT, capture_output=True)  # noqa: S603 - fixed command
    if not path.exists():
        pytest.fail(f"{relative} is missing; install it with: {' '.join(INSTALL)}")
    return path
