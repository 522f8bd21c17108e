"""Business hours per team, in the team's own time zone: weekly hours, shifts past midnight,
public holidays (the `holidays` package) and closed dates."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from handoff.business_hours import Schedule, is_open, next_opening, validate, validate_country
from tests.handoff.support import admin_headers

TEHRAN_WEEK = Schedule({day: [["09:00", "17:00"]] for day in ("sat", "sun", "mon", "tue", "wed")},
                       "Asia/Tehran")
# A night desk in Berlin: Friday 22:00 to Saturday 06:00, and Saturday evening to midnight.
NIGHTS = Schedule({"fri": [["22:00", "06:00"]], "sat": [["18:00", "24:00"]]}, "Europe/Berlin")


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        ("2026-11-23T05:29", False),  # Monday 08:59 in Tehran (UTC+3:30)
        ("2026-11-23T05:30", True),  # 09:00
        ("2026-11-23T13:29", True),  # 16:59
        ("2026-11-23T13:30", False),  # 17:00
        ("2026-11-26T08:00", False),  # Thursday: closed all day
    ],
)
def test_is_open_in_the_teams_zone(moment: str, expected: bool) -> None:
    assert is_open(TEHRAN_WEEK, utc(moment)) is expected


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        ("2026-11-27T20:59", False),  # Friday 21:59 in Berlin (UTC+1)
        ("2026-11-27T21:00", True),  # Friday 22:00
        ("2026-11-27T23:30", True),  # Saturday 00:30: the Friday shift runs on
        ("2026-11-28T04:59", True),  # Saturday 05:59
        ("2026-11-28T05:00", False),  # Saturday 06:00
        ("2026-11-28T17:00", True),  # Saturday 18:00
        ("2026-11-28T22:59", True),  # Saturday 23:59
        ("2026-11-28T23:00", False),  # Sunday 00:00: "24:00" ended it
    ],
)
def test_a_shift_runs_past_midnight(moment: str, expected: bool) -> None:
    assert is_open(NIGHTS, utc(moment)) is expected


def test_next_opening_skips_closed_days_and_finds_the_night_shift() -> None:
    assert next_opening(TEHRAN_WEEK, utc("2026-11-26T08:00")).isoformat() == (
        "2026-11-28T09:00:00+03:30")  # Thursday → Saturday
    assert next_opening(NIGHTS, utc("2026-11-28T05:00")).isoformat() == (
        "2026-11-28T18:00:00+01:00")


def test_no_shift_starts_on_a_public_holiday_or_a_closed_date() -> None:
    # Germany: 25 and 26 December are holidays; 2026-12-24 is closed by the team itself.
    week = {day: [["09:00", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}
    berlin = Schedule(week, "Europe/Berlin", "DE", "BE", ("2026-12-24",))
    assert berlin.holiday_name(datetime(2026, 12, 25).date()) == "Christmas Day"
    assert not is_open(berlin, utc("2026-12-24T10:00"))  # closed date, a Thursday
    assert not is_open(berlin, utc("2026-12-25T10:00"))  # Christmas, a Friday
    assert is_open(berlin, utc("2026-12-28T10:00"))  # Monday
    assert next_opening(berlin, utc("2026-12-23T17:00")).isoformat() == (
        "2026-12-28T09:00:00+01:00")
    # a night shift that began before the holiday runs to its end; none begins on it
    nights = Schedule({"thu": [["22:00", "06:00"]], "fri": [["22:00", "06:00"]]},
                      "Europe/Berlin", "DE")
    assert is_open(nights, utc("2026-12-25T04:00"))  # Thursday's shift, on Christmas morning
    assert not is_open(nights, utc("2026-12-25T22:00"))  # Christmas night: no shift
    # Iran's Nowruz, in the team's zone
    tehran = Schedule(TEHRAN_WEEK.hours, "Asia/Tehran", "IR")
    assert not is_open(tehran, utc("2026-03-21T06:00"))  # Saturday 09:30, Nowruz


def test_no_hours_means_always_open_except_on_closed_days() -> None:
    assert is_open(Schedule(None), utc("2026-11-26T03:00"))
    assert next_opening(Schedule(None), utc("2026-11-26T03:00")) is None
    closed = Schedule(None, "Asia/Dubai", closed_dates=("2026-12-02", "2026-12-03"))
    assert not is_open(closed, utc("2026-12-02T10:00"))
    assert next_opening(closed, utc("2026-12-02T10:00")).isoformat() == (
        "2026-12-04T00:00:00+04:00")


@pytest.mark.parametrize("hours", [{"monday": [["09:00", "17:00"]]},
                                   {"mon": [["09:00", "09:00"]]}, {"mon": [["9am", "5pm"]]},
                                   {"mon": [["24:00", "06:00"]]}, {"mon": [["25:00", "06:00"]]},
                                   {"mon": [["09:00"]]}])
def test_invalid_hours_are_refused(hours: dict) -> None:
    with pytest.raises(ValueError):
        validate(hours)


def test_unknown_countries_and_subdivisions_are_refused() -> None:
    validate_country("IR", None)
    validate_country("DE", "BE")
    for country, subdivision in (("XX", None), ("DE", "ZZ"), (None, "BE")):
        with pytest.raises(ValueError):
            validate_country(country, subdivision)


def test_an_admin_sets_a_night_shift_with_holidays_through_the_api(client: TestClient) -> None:
    admin = admin_headers(client)
    body = {"name": "nights", "timezone": "Europe/Berlin", "country": "DE", "subdivision": "BE",
            "closed_dates": ["2026-12-31", "2026-12-24", "2026-12-24"],
            "business_hours": {"fri": [["22:00", "06:00"]], "sat": [["18:00", "24:00"]]}}
    saved = client.put("/api/v1/teams/nights", json=body, headers=admin)
    assert saved.status_code == 200, saved.text
    assert saved.json()["closed_dates"] == ["2026-12-24", "2026-12-31"]
    assert (saved.json()["country"], saved.json()["subdivision"]) == ("DE", "BE")
    for bad in ({"country": "XX"}, {"business_hours": {"fri": [["22:00", "22:00"]]}},
                {"closed_dates": ["31.12.2026"]}):
        refused = client.put("/api/v1/teams/nights", json=body | bad, headers=admin)
        assert refused.status_code == 422, bad
