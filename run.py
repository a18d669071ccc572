#!/usr/bin/env python3
"""Set up a virtual environment if needed, then run the service or the tests.

    python3 run.py dev      # the whole service on embedded defaults
    python3 run.py test     # the whole test suite

Standard library only, so it works on a machine with nothing but Python 3.11+.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = Path(os.environ.get("CALLBACK_VENV", ROOT / ".venv"))
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / ".callback-installed"
COMMANDS = {"dev": ["callback", "dev"], "test": ["pytest"]}


def _fingerprint() -> str:
    return hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()


def ensure_environment() -> None:
    """Create the virtual environment and install the project when pyproject changes."""
    if sys.version_info < (3, 11):  # noqa: UP036 - run.py may be started by an older python3
        sys.exit("Callback needs Python 3.11 or newer")
    if not (BIN / "python").exists():
        print(f"creating virtual environment in {VENV}", flush=True)
        venv.create(VENV, with_pip=True)
    if STAMP.exists() and STAMP.read_text() == _fingerprint():
        return
    print("installing Callback and its dependencies (first run only)", flush=True)
    pip = [str(BIN / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run([*pip, "--upgrade", "pip"], check=True)
    subprocess.run([*pip, "--editable", f"{ROOT}[dev]"], check=True, cwd=ROOT)
    STAMP.write_text(_fingerprint())


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in COMMANDS:
        print(__doc__)
        return 2
    ensure_environment()
    program, *fixed = COMMANDS[argv[0]]
    command = [str(BIN / program), *fixed, *argv[1:]]
    os.chdir(ROOT)
    if os.name == "nt":
        return subprocess.call(command)
    os.execv(command[0], command)  # noqa: S606 - replaces this process, so Ctrl-C reaches it
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
