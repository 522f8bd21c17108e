"""Whether a team is open now, per its own time zone and weekly hours.

Hours look like {"mon": [["09:00", "17:00"]], "fri": [["09:00", "13:00"]]}; a day that is not
listed is closed, and no hours at all means always open.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Hours = dict[str, list[list[str]]]


def _intervals(hours: Hours, day: str) -> list[tuple[time, time]]:
    return [(time.fromisoformat(start), time.fromisoformat(end))
            for start, end in hours.get(day, [])]


def validate(hours: Hours) -> None:
    """Raise ValueError for unknown days or malformed or reversed intervals."""
    for day in hours:
        if day not in DAYS:
            raise ValueError(f"unknown day {day!r}; use {', '.join(DAYS)}")
        for start, end in _intervals(hours, day):
            if start >= end:
                raise ValueError(f"{day}: {start} is not before {end}")


def is_open(hours: Hours | None, timezone: str, now: datetime) -> bool:
    if not hours:
        return True
    local = now.astimezone(ZoneInfo(timezone))
    day = DAYS[local.weekday()]
    return any(start <= local.time() < end for start, end in _intervals(hours, day))


def next_opening(hours: Hours | None, timezone: str, now: datetime) -> datetime | None:
    """The next moment the team opens (in its time zone), or None if it never does."""
    if not hours:
        return None
    local = now.astimezone(ZoneInfo(timezone))
    for offset in range(8):
        date = (local + timedelta(days=offset)).date()
        for start, _ in sorted(_intervals(hours, DAYS[date.weekday()])):
            candidate = datetime.combine(date, start, tzinfo=local.tzinfo)
            if candidate > local:
                return candidate
    return None
