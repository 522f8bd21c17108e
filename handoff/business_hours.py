"""Whether a team is open now, per its own time zone, weekly hours, public holidays and closed
dates, and when it opens next.

Hours look like {"mon": [["09:00", "17:00"]], "fri": [["22:00", "06:00"]]}: a day not listed is
closed, and no hours at all means always open. An interval whose end is not after its start is a
shift past midnight (Friday 22:00 to Saturday 06:00), and "24:00" is the end of the day. A shift
belongs to the day it starts on: on a holiday or a closed date no shift starts, and one that
started the evening before runs to its end. Public holidays are the `holidays` package's for the
team's country (and subdivision, such as a state), in the team's own time zone.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import holidays

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Hours = dict[str, list[list[str]]]
_CLOCK = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$")
# How far ahead the next opening is looked for: a year of closed dates is the most one can set.
LOOKAHEAD_DAYS = 400


def _clock(value: str) -> tuple[time, int]:
    """A time of day and a day offset: "24:00" is midnight of the next day."""
    if not isinstance(value, str) or not _CLOCK.match(value):
        raise ValueError(f"{value!r} is not a time of day such as 09:00 (00:00 to 24:00)")
    return (time(0), 1) if value == "24:00" else (time.fromisoformat(value), 0)


def validate(hours: Hours) -> None:
    """Raise ValueError for unknown days, malformed times, or an interval of no length."""
    for day, intervals in hours.items():
        if day not in DAYS:
            raise ValueError(f"unknown day {day!r}; use {', '.join(DAYS)}")
        for interval in intervals:
            if len(interval) != 2:
                raise ValueError(f"{day}: an interval is [start, end], not {interval!r}")
            (start, start_days), (end, end_days) = _clock(interval[0]), _clock(interval[1])
            if start_days:
                raise ValueError(f"{day}: a shift cannot start at 24:00")
            if start == end and not end_days:
                raise ValueError(f"{day}: {interval[0]} to {interval[1]} has no length; "
                                 "00:00 to 24:00 is the whole day")


def validate_country(country: str | None, subdivision: str | None) -> None:
    if country is None:
        if subdivision is not None:
            raise ValueError("a subdivision needs its country")
        return
    supported = holidays.list_supported_countries()
    if country not in supported:
        raise ValueError(f"no public holidays known for country {country!r} "
                         "(ISO 3166-1 alpha-2, such as IR, AE, IL, DE)")
    if subdivision is not None and subdivision not in supported[country]:
        raise ValueError(f"{country} has no subdivision {subdivision!r}; "
                         f"one of {', '.join(supported[country]) or 'none'}")


@lru_cache(maxsize=256)
def _holidays(country: str, subdivision: str | None, year: int) -> holidays.HolidayBase:
    return holidays.country_holidays(country, subdiv=subdivision, years=year)


@dataclass(frozen=True)
class Schedule:
    hours: Hours | None
    timezone: str = "UTC"
    country: str | None = None
    subdivision: str | None = None
    closed_dates: Sequence[str] = field(default_factory=tuple)

    @classmethod
    def of(cls, team: Any) -> Schedule:
        """A team's (handoff.models.Team)."""
        return cls(team.business_hours, team.timezone, team.country, team.subdivision,
                   tuple(team.closed_dates or ()))

    def closed_on(self, day: date) -> bool:
        """A public holiday or a closed date: no shift starts that day."""
        if day.isoformat() in self.closed_dates:
            return True
        return self.country is not None and day in _holidays(self.country, self.subdivision,
                                                             day.year)

    def holiday_name(self, day: date) -> str | None:
        if self.country is None:
            return None
        return _holidays(self.country, self.subdivision, day.year).get(day)

    def _shifts(self, first: date, days: int) -> Iterator[tuple[datetime, datetime]]:
        """The open intervals of the shifts that start on `days` days from `first`."""
        zone = ZoneInfo(self.timezone)
        for offset in range(days):
            day = first + timedelta(days=offset)
            if self.closed_on(day):
                continue
            for start_text, end_text in sorted((self.hours or {}).get(DAYS[day.weekday()], [])):
                (start, _), (end, end_days) = _clock(start_text), _clock(end_text)
                ends_on = day + timedelta(days=end_days or (1 if end <= start else 0))
                yield (datetime.combine(day, start, zone), datetime.combine(ends_on, end, zone))


def is_open(schedule: Schedule, now: datetime) -> bool:
    if not schedule.hours:
        return not schedule.closed_on(now.astimezone(ZoneInfo(schedule.timezone)).date())
    today = now.astimezone(ZoneInfo(schedule.timezone)).date()
    return any(start <= now < end
               for start, end in schedule._shifts(today - timedelta(days=1), 2))


def next_opening(schedule: Schedule, now: datetime) -> datetime | None:
    """The next moment the team opens (in its time zone); None if it is always open or never
    opens within LOOKAHEAD_DAYS."""
    zone = ZoneInfo(schedule.timezone)
    today = now.astimezone(zone).date()
    if not schedule.hours:
        if not schedule.closed_on(today):
            return None
        day = today
        while schedule.closed_on(day) and (day - today).days < LOOKAHEAD_DAYS:
            day += timedelta(days=1)
        return datetime.combine(day, time(0), zone)
    starts = (start for start, _ in schedule._shifts(today, LOOKAHEAD_DAYS) if start > now)
    return next(starts, None)
