"""Opening hours in a time zone, across daylight-saving changes, holidays and closed dates."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from callback.schedule.hours import Schedule, validate_hours

WEEKDAYS_9_TO_5 = {day: [["09:00", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}
LONDON = Schedule(WEEKDAYS_9_TO_5, "Europe/London", "GB")


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def test_local_hours_move_in_utc_when_the_clocks_go_back() -> None:
    # Friday 23 Oct 2026 is summer time (09:00 BST = 08:00 UTC); Monday 26th is not.
    assert LONDON.next_opening(utc(2026, 10, 23, 7)) == utc(2026, 10, 23, 8)
    assert LONDON.next_opening(utc(2026, 10, 24, 12)) == utc(2026, 10, 26, 9)


def test_local_hours_move_in_utc_when_the_clocks_go_forward() -> None:
    # Friday 27 Mar 2026 is winter time; Monday 30 Mar is summer time.
    assert LONDON.is_open(utc(2026, 3, 27, 16, 59))
    assert LONDON.next_opening(utc(2026, 3, 27, 17)) == utc(2026, 3, 30, 8)
    assert not LONDON.is_open(utc(2026, 3, 30, 16, 30))  # 17:30 BST


def test_public_holidays_and_closed_dates_are_closed() -> None:
    # 25 Dec 2026 is a Friday, 28 Dec the substitute Boxing Day holiday.
    assert LONDON.next_opening(utc(2026, 12, 24, 18)) == utc(2026, 12, 29, 9)
    closed = Schedule(WEEKDAYS_9_TO_5, "Europe/London", None, ("2026-12-29",))
    assert closed.next_opening(utc(2026, 12, 28, 18)) == utc(2026, 12, 30, 9)


def test_no_hours_means_always_open() -> None:
    assert Schedule(None).is_open(utc(2026, 12, 25, 3))
    # Open all hours except holidays: Christmas and Boxing Day are closed.
    assert Schedule(None, "Europe/London", "GB").next_opening(utc(2026, 12, 25, 3)) == utc(
        2026, 12, 27, 0
    )


def test_polish_hours_and_holidays() -> None:
    warsaw = Schedule({"mon": [["08:00", "16:00"]]}, "Europe/Warsaw", "PL")
    # 11 Nov 2026 is Independence Day (a Wednesday); Monday 16 Nov is an ordinary day.
    assert warsaw.next_opening(utc(2026, 11, 10, 0)) == utc(2026, 11, 16, 7)


@pytest.mark.parametrize(
    "bad",
    [
        [],
        {"monday": [["09:00", "17:00"]]},
        {"mon": [["17:00", "09:00"]]},
        {"mon": [["9am", "5pm"]]},
        {"mon": ["09:00-17:00"]},
    ],
)
def test_malformed_hours_are_refused_with_a_reason(bad: object) -> None:
    with pytest.raises(ValueError, match=r"."):
        validate_hours(bad)
