"""A report's period: whole local days of the widget, and the period just before it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from callback.errors import Invalid

DEFAULT_DAYS = 30
# A year and a bit: enough for a year-on-year look, small enough to stay fast.
MAX_DAYS = 400


@dataclass(frozen=True)
class Period:
    """From `first` to `last`, both included, in the widget's own days."""

    first: date
    last: date

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def previous(self) -> Period:
        """Return the period of the same length that ends the day before this one starts."""
        last = self.first - timedelta(days=1)
        return Period(last - timedelta(days=self.days - 1), last)


def today_in(zone: str) -> date:
    """Return today's date in the time zone `zone`."""
    return datetime.now(ZoneInfo(zone)).date()


def chosen(first: str | None, last: str | None, today: date) -> Period:
    """Return the period from `first` to `last` (ISO dates), by default the last 30 days.

    Raises Invalid: "invalid_date" (field "from" or "to"), "period_reversed" or
    "period_too_long".
    """
    end = _parse(last, "to") if last else today
    start = _parse(first, "from") if first else end - timedelta(days=DEFAULT_DAYS - 1)
    if start > end:
        raise Invalid("period_reversed", "the first day is after the last day", "from")
    if (end - start).days + 1 > MAX_DAYS:
        raise Invalid("period_too_long", f"a report covers at most {MAX_DAYS} days", "from")
    return Period(start, end)


def _parse(value: str, name: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise Invalid("invalid_date", f"{name} must be a date such as 2026-11-30", name) from None
