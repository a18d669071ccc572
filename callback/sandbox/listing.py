"""Listing as Twilio does: calls filtered on To, From, Status, parent and start time, and
the account's numbers filtered on PhoneNumber; every list paged."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any, TypeVar

from callback.sandbox.resources import call_json, page_json
from callback.sandbox.store import Call

if TYPE_CHECKING:
    from callback.sandbox.network import Network

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000
PASSED_ON = ("To", "From", "Status", "ParentCallSid", "StartTime", "StartTime>", "StartTime<")


Item = TypeVar("Item")


def list_calls(net: Network, path: str, args: Mapping[str, str]) -> dict[str, Any]:
    """Return one page of the account's calls, newest first."""
    tests = _filters(args)
    with net.store.lock:
        calls = [c for c in net.store.calls.values() if all(test(c) for test in tests)]
        calls.sort(key=lambda c: c.created, reverse=True)
        return page_of("calls", calls, call_json, path, args, PASSED_ON)


def page_of(
    key: str,
    items: Sequence[Item],
    render: Callable[[Item], dict[str, Any]],
    path: str,
    args: Mapping[str, str],
    passed_on: Sequence[str],
) -> dict[str, Any]:
    """Return the page of `items` (filtered, in order) that PageSize and Page ask for."""
    size = min(max(int(args.get("PageSize") or DEFAULT_PAGE_SIZE), 1), MAX_PAGE_SIZE)
    page = max(int(args.get("Page") or 0), 0)
    chosen = [render(item) for item in items[page * size : (page + 1) * size]]
    kept = {k: args[k] for k in passed_on if args.get(k)}
    return page_json(key, chosen, path, kept, page, size, len(items))


def number_matches(pattern: str | None, exact: bool) -> Callable[[str], bool]:
    """Return a test of the PhoneNumber filter: exact, or a part with `*` for any digit."""
    if not pattern:
        return lambda _number: True
    if exact:
        return lambda number: number == pattern
    regex = re.compile(re.escape(pattern).replace(r"\*", r"\d"))
    return lambda number: regex.search(number) is not None


def _filters(args: Mapping[str, str]) -> list[Callable[[Call], bool]]:
    tests: list[Callable[[Call], bool]] = []
    for name, attribute in (
        ("To", "to"),
        ("From", "from_"),
        ("Status", "status"),
        ("ParentCallSid", "parent_call_sid"),
    ):
        if args.get(name):
            tests.append(_equals(attribute, args[name]))
    for name, compare in (("StartTime", "eq"), ("StartTime>", "ge"), ("StartTime<", "le")):
        if args.get(name):
            tests.append(_start_test(args[name], compare))
    return tests


def _equals(attribute: str, value: str) -> Callable[[Call], bool]:
    return lambda call: bool(getattr(call, attribute) == value)


def _start_test(value: str, compare: str) -> Callable[[Call], bool]:
    """Compare start times by day for a date ("2024-05-01"), by second for a datetime."""
    moment = _parse(value)
    by_day = not isinstance(moment, datetime)

    def test(call: Call) -> bool:
        if call.start_time is None:
            return False
        when = datetime.fromtimestamp(int(call.start_time), UTC)
        started: date = when.date() if by_day else when
        if compare == "eq":
            return started == moment
        return started >= moment if compare == "ge" else started <= moment

    return test


def _parse(value: str) -> date:
    value = value.strip()
    if len(value) == 10:
        return date.fromisoformat(value)
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)
