"""Fictional numbers only: Ofcom's drama ranges, valid to phonenumbers, never assigned."""

from __future__ import annotations

from collections.abc import Iterator

# Geographic drama ranges: +44 <area> <exchange> 0000-0999 (Ofcom's TV and radio drama).
VISITOR_PREFIXES = (
    "+44113496",
    "+44114496",
    "+44116496",
    "+44117496",
    "+44118496",
    "+44121496",
    "+44131496",
    "+44141496",
    "+44151496",
    "+44161496",
    "+44191498",
    "+44289649",
    "+44292018",
)
# Agents get the London drama range (+44 20 7946 0000-0999), its last hundred first.
AGENT_PREFIX = "+442079460"
MAX_AGENTS = 1000


def visitor_numbers() -> Iterator[str]:
    """Yield 13,000 distinct fictional visitor numbers, one range after another."""
    for prefix in VISITOR_PREFIXES:
        for line in range(1000):
            yield f"{prefix}{line:04d}"


def agent_number(index: int) -> str:
    """Return the fictional phone of agent `index` (0-999; 0-99 are 0900-0999)."""
    if not 0 <= index < MAX_AGENTS:
        raise ValueError(f"at most {MAX_AGENTS} fictional agent numbers")
    line = 900 + index if index < 100 else index - 100
    return f"{AGENT_PREFIX}{line:03d}"
