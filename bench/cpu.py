"""CPU seconds used by each part of a running stack, read from /proc (Linux only).

A benchmark takes a snapshot before and after its run; the difference says which
process the machine's cores went to. Processes are told apart by their command line:
the sandbox and the web app by their port, workers by their name, PostgreSQL backends
by their database.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
Role = Callable[[str], bool]


def _cpu_seconds(pid: str) -> float:
    # Fields 14 and 15 (utime, stime) follow the command name, which may hold spaces.
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def snapshot(roles: dict[str, Role]) -> dict[str, float]:
    """Return the CPU seconds so far of the live processes of each role."""
    used = dict.fromkeys(roles, 0.0)
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            seconds = _cpu_seconds(entry.name)
        except (OSError, ValueError):
            continue  # ended meanwhile
        for role, matches in roles.items():
            if matches(cmdline):
                used[role] += seconds
                break
    return used


def used_since(before: dict[str, float], roles: dict[str, Role]) -> dict[str, float]:
    """Return the CPU seconds each role has used since the snapshot `before`."""
    return {role: seconds - before.get(role, 0.0) for role, seconds in snapshot(roles).items()}


def machine_busy() -> tuple[float, float]:
    """Return (busy, total) CPU seconds of the whole machine since boot, all cores."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    total = sum(fields[:8])
    return (total - idle) / CLOCK_TICKS, total / CLOCK_TICKS
