"""Opening hours: weekly hours in a time zone, public holidays and extra closed dates.

Hours are {"mon": [["09:00", "17:00"]], ...}; a day left out is closed, and None means
open at all hours. Local times are turned into instants day by day in the zone, so a
daylight-saving change moves the instants, never the local opening times.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import holidays

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
LOOKAHEAD_DAYS = 14


@dataclass(frozen=True)
class Schedule:
    """When someone (a widget's team, one agent) takes calls."""

    hours: Mapping[str, Any] | None
    timezone: str = "UTC"
    holidays_region: str | None = None
    closed_dates: tuple[str, ...] = ()

    def periods(
        self, start: datetime, days: int = LOOKAHEAD_DAYS
    ) -> Iterator[tuple[datetime, datetime]]:
        """Yield the open periods (UTC) from the day of `start` on, for `days` days."""
        zone = ZoneInfo(self.timezone)
        first = start.astimezone(zone).date()
        for offset in range(days):
            day = first + timedelta(days=offset)
            if self._closed(day):
                continue
            for opens, closes in (self.hours or {}).get(DAY_NAMES[day.weekday()], []):
                begin = _instant(day, opens, zone)
                end = (
                    _instant(day, closes, zone)
                    if closes != "24:00"
                    else _instant(day + timedelta(days=1), "00:00", zone)
                )
                if end > start:
                    yield max(begin, start), end

    def is_open(self, at: datetime) -> bool:
        """Return whether calls are taken at instant `at`."""
        if self.hours is None:
            return not self._closed(at.astimezone(ZoneInfo(self.timezone)).date())
        return any(begin <= at < end for begin, end in self.periods(at, days=2))

    def next_opening(self, after: datetime) -> datetime | None:
        """Return the first instant at or after `after` when calls are taken."""
        if self.is_open(after):
            return after
        if self.hours is None:
            zone = ZoneInfo(self.timezone)
            day = after.astimezone(zone).date()
            for offset in range(1, LOOKAHEAD_DAYS):
                if not self._closed(day + timedelta(days=offset)):
                    return _instant(day + timedelta(days=offset), "00:00", zone)
            return None
        return next((begin for begin, _ in self.periods(after)), None)

    def _closed(self, day: date) -> bool:
        if day.isoformat() in self.closed_dates:
            return True
        return bool(self.holidays_region) and day in _holidays(self.holidays_region, day.year)


def _instant(day: date, hhmm: str, zone: ZoneInfo) -> datetime:
    hour, minute = (int(part) for part in hhmm.split(":"))
    return datetime.combine(day, time(hour, minute), tzinfo=zone).astimezone(UTC)


@lru_cache(maxsize=64)
def _holidays(region: str, year: int) -> holidays.HolidayBase:
    country, _, subdivision = region.partition("-")
    return holidays.country_holidays(country, subdiv=subdivision or None, years=[year])


def widget_schedule(widget: Any) -> Schedule:
    """Return the schedule of a widget's team."""
    return Schedule(
        widget.business_hours,
        widget.timezone,
        widget.holidays_region,
        tuple(widget.closed_dates or ()),
    )


def agent_schedule(agent: Any) -> Schedule:
    """Return an agent's own working hours."""
    return Schedule(agent.hours, agent.timezone)


def validate_hours(value: Any) -> dict[str, list[list[str]]]:
    """Return weekly hours checked for shape, or raise ValueError saying what is wrong."""
    if not isinstance(value, dict):
        raise ValueError('must be an object like {"mon": [["09:00", "17:00"]]}')
    cleaned: dict[str, list[list[str]]] = {}
    for day, periods in value.items():
        if day not in DAY_NAMES:
            raise ValueError(f"{day!r} is not one of {', '.join(DAY_NAMES)}")
        if not isinstance(periods, list):
            raise ValueError(f"{day}: must be a list of [opens, closes] pairs")
        cleaned[day] = [_period(day, period) for period in periods]
    return cleaned


def _period(day: str, period: Any) -> list[str]:
    if not (isinstance(period, list) and len(period) == 2):
        raise ValueError(f"{day}: each period is [opens, closes]")
    opens, closes = (_hhmm(day, value) for value in period)
    if closes != "24:00" and closes <= opens:
        raise ValueError(f"{day}: {opens}-{closes} closes before it opens")
    return [opens, closes]


def _hhmm(day: str, value: Any) -> str:
    try:
        parsed = datetime.strptime(value, "%H:%M") if value != "24:00" else None
    except (TypeError, ValueError):
        raise ValueError(f"{day}: {value!r} is not a time like 09:00") from None
    return value if parsed is None else parsed.strftime("%H:%M")
