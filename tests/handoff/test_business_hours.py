"""Business hours per team, in the team's own time zone."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from handoff.business_hours import is_open, next_opening, validate

TEHRAN_WEEK = {day: [["09:00", "17:00"]] for day in ("sat", "sun", "mon", "tue", "wed")}


@pytest.mark.parametrize(
    ("utc", "expected"),
    [
        ("2026-11-23T05:29", False),  # Monday 08:59 in Tehran (UTC+3:30)
        ("2026-11-23T05:30", True),  # 09:00
        ("2026-11-23T13:29", True),  # 16:59
        ("2026-11-23T13:30", False),  # 17:00
        ("2026-11-26T08:00", False),  # Thursday: closed all day
    ],
)
def test_is_open_in_the_teams_zone(utc: str, expected: bool) -> None:
    now = datetime.fromisoformat(utc).replace(tzinfo=UTC)
    assert is_open(TEHRAN_WEEK, "Asia/Tehran", now) is expected


def test_next_opening_skips_closed_days() -> None:
    thursday = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
    opening = next_opening(TEHRAN_WEEK, "Asia/Tehran", thursday)
    assert opening.isoformat() == "2026-11-28T09:00:00+03:30"  # Saturday


def test_no_hours_means_always_open() -> None:
    now = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)
    assert is_open(None, "UTC", now) and next_opening(None, "UTC", now) is None


@pytest.mark.parametrize("hours", [{"monday": [["09:00", "17:00"]]},
                                   {"mon": [["17:00", "09:00"]]}, {"mon": [["9am", "5pm"]]}])
def test_invalid_hours_are_refused(hours: dict) -> None:
    with pytest.raises(ValueError):
        validate(hours)
