"""Whether a waiting customer's team can answer now: open, open with no one online, or closed
(outside its business hours, or on a holiday), and when it opens next. The ticket at escalation
and every later update of the customer's status say the same."""

from __future__ import annotations

from datetime import UTC, datetime

from common.protocol import Availability
from handoff import business_hours
from handoff.models import Team


def team_availability(team: Team, agents_online: int,
                      now: datetime | None = None) -> tuple[Availability, str | None]:
    """(availability, next opening as ISO 8601 in the team's time zone, or None)."""
    now = now or datetime.now(UTC)
    schedule = business_hours.Schedule.of(team)
    opens = business_hours.next_opening(schedule, now)
    opens_at = opens.isoformat(timespec="minutes") if opens else None
    if not business_hours.is_open(schedule, now):
        return "closed", opens_at
    return ("no_agents" if agents_online == 0 else "open"), opens_at
