"""Business hours typed in a console form, one day per field: "09:00-12:00, 13:00-17:00"."""

from __future__ import annotations

import pytest

from callback.console.hours_field import periods, weekly


@pytest.mark.parametrize(
    "typed",
    [
        "09:00-12:00, 13:00-17:00",
        "09:00-12:00; 13:00-17:00",
        "09:00 \u2013 12:00,13:00\u201417:00",  # en and em dashes, as typed or pasted
        " 09:00 - 12:00 ;; 13:00 - 17:00 , ",  # spaces and stray separators
    ],
)
def test_periods_are_read_with_commas_or_semicolons_and_any_dash(typed: str) -> None:
    assert periods(typed) == [["09:00", "12:00"], ["13:00", "17:00"]]


def test_an_empty_day_has_no_periods() -> None:
    assert periods("") == []
    assert periods(" , ; ") == []


def test_a_malformed_period_is_kept_for_the_schema_to_refuse() -> None:
    assert periods("9 to 5") == [["9 to 5"]]
    assert periods("09:00-12:00-13:00") == [["09:00", "12:00", "13:00"]]


def test_weekly_reads_each_days_field_and_leaves_out_empty_days() -> None:
    values = {"hours_mon": "09:00-17:00", "hours_tue": "", "hours_sat": "10:00\u201314:00"}
    assert weekly(values) == {"mon": [["09:00", "17:00"]], "sat": [["10:00", "14:00"]]}
