"""docs/lifecycle.md shows the lifecycle exactly as callback/lifecycle/ has it."""

from __future__ import annotations

import re
from itertools import takewhile
from pathlib import Path

from callback.lifecycle.moves import ANNOUNCED
from callback.lifecycle.states import PENDING_STATUSES
from callback.lifecycle.transitions import ATTEMPT_MOVES, EARLIER, REQUEST_MOVES, Move

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "lifecycle.md").read_text()


def _table(heading: str) -> list[list[str]]:
    """Return the rows (cells) of the first table after `## heading`."""
    section = DOC.split(f"## {heading}\n", 1)[1].splitlines()
    start = next(n for n, line in enumerate(section) if line.startswith("|"))
    lines = takewhile(lambda line: line.startswith("|"), section[start:])
    rows = [[cell.strip() for cell in line.strip("|").split("|")] for line in lines]
    return rows[2:]  # past the header and its rule


def _documented(heading: str) -> dict[str, tuple[frozenset[str], str]]:
    return {
        event.strip("`"): (frozenset(s.strip() for s in sources.split(",")), target)
        for event, sources, target, _cause in _table(heading)
    }


def _coded(moves: dict[str, Move]) -> dict[str, tuple[frozenset[str], str]]:
    def sources(move: Move) -> frozenset[str]:
        return frozenset({"every earlier status"}) if move.sources is EARLIER else move.sources

    return {
        str(event): (frozenset(map(str, sources(move))), str(move.target or "Twilio's status"))
        for event, move in moves.items()
    }


def test_request_moves_in_the_document_are_the_codes() -> None:
    assert _documented("Request moves") == _coded(dict(REQUEST_MOVES))


def test_call_leg_moves_in_the_document_are_the_codes() -> None:
    assert _documented("Call leg moves") == _coded(dict(ATTEMPT_MOVES))


def test_every_pending_status_has_a_way_out_proved_by_a_test() -> None:
    rows = _table("Ways out")
    assert {row[0] for row in rows} == {str(status) for status in PENDING_STATUSES}
    tests = "\n".join(p.read_text() for p in (ROOT / "tests").rglob("test_*.py"))
    for status, _waits, _way_out, proof in rows:
        name = proof.strip("`")
        assert re.search(rf"^def {name}\(", tests, re.MULTILINE), f"{status}: no test {name}"


def test_nothing_outside_the_lifecycle_package_writes_a_status() -> None:
    writes = re.compile(
        r"\.status\s*=[^=]|values\([^)]*\bstatus\s*=|\"status\":\s*(Request|Attempt)"
    )
    outside = [
        f"{path.relative_to(ROOT)}:{number}"
        for folder in ("callback", "webhooks", "workers")
        for path in sorted((ROOT / folder).rglob("*.py"))
        if not path.is_relative_to(ROOT / "callback" / "lifecycle")
        and not path.is_relative_to(ROOT / "callback" / "sandbox")  # Twilio's side
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if writes.search(line)
    ]
    assert outside == []


def test_no_job_imports_the_webhooks_edge() -> None:
    imports = [
        f"{path.relative_to(ROOT)}"
        for path in sorted((ROOT / "workers").glob("*.py"))
        if re.search(r"^\s*(from|import) webhooks\b", path.read_text(), re.MULTILINE)
    ]
    assert imports == []


def test_the_events_moves_announce_in_the_document_are_the_codes() -> None:
    documented = {
        move.strip("`"): event.strip("`") for move, event in _table("What each move announces")
    }
    assert documented == {str(move): event for move, event in ANNOUNCED.items()}
