"""The supervisors' reports over a date range: how much the bot finished alone, why and how often
it handed off, how long customers waited for a person and for an answer, how long problems took,
and what customers said of it (CSAT), by handoff reason above all: it tells which dead ends hurt
most.

Days are the supervisor's, in their time zone: `since` and `until` are both included. A handoff
counts in the range it was filed in; a session in the range it started in. Percentiles are
linear between the two nearest ranks (as numpy's default): p50 of 10, 20, 30, 40 is 25.
"""

from __future__ import annotations

import bisect
import statistics
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from handoff.models import Agent, BotSession, Handoff, Rating, Team
from handoff.schemas import CsatFigures, GroupFigures, ReportOut, Spread

SCORES = (1, 2, 3, 4, 5)
DIMENSIONS = ("reason", "team", "agent", "language", "channel", "day")
# Dimensions a bot session has too: containment is defined for their groups.
SESSION_DIMENSIONS = frozenset({"language", "channel", "day"})


@dataclass(frozen=True)
class Period:
    since: date
    until: date
    timezone: str = "UTC"

    def bounds(self) -> tuple[float, float]:
        zone = ZoneInfo(self.timezone)
        start = datetime.combine(self.since, time(), zone)
        end = datetime.combine(self.until + timedelta(days=1), time(), zone)
        return start.timestamp(), end.timestamp()

    def day_of(self, timestamp: float) -> str:
        return datetime.fromtimestamp(timestamp, ZoneInfo(self.timezone)).date().isoformat()


@dataclass(frozen=True)
class Filters:
    team_id: int | None = None
    agent_id: int | None = None
    language: str | None = None
    channel: str | None = None
    reason: str | None = None

    @property
    def sessions_apply(self) -> bool:
        """A bot session has no team, agent or reason: with one of those chosen, containment
        has no meaning."""
        return self.team_id is None and self.agent_id is None and self.reason is None


def percentile(values: Sequence[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def spread(values: Sequence[float]) -> Spread:
    return Spread(count=len(values), p50=percentile(values, 0.5), p90=percentile(values, 0.9))


@dataclass
class _Row:
    handoff: Handoff
    score: int | None


def _handoffs(session: Session, start: float, end: float, filters: Filters) -> list[_Row]:
    query = (select(Handoff, Rating.score).join(Rating, Rating.handoff_id == Handoff.id,
                                                 isouter=True)
             .where(Handoff.created_at >= start, Handoff.created_at < end))
    for column, value in ((Handoff.team_id, filters.team_id), (Handoff.agent_id, filters.agent_id),
                          (Handoff.language, filters.language), (Handoff.channel, filters.channel),
                          (Handoff.reason, filters.reason)):
        if value is not None:
            query = query.where(column == value)
    return [_Row(handoff, score) for handoff, score in session.execute(query)]


def _sessions(session: Session, start: float, end: float, filters: Filters) -> list[BotSession]:
    query = select(BotSession).where(BotSession.started_at >= start, BotSession.started_at < end,
                                     BotSession.messages > 0)
    if filters.language is not None:
        query = query.where(BotSession.language == filters.language)
    if filters.channel is not None:
        query = query.where(BotSession.channel == filters.channel)
    return list(session.scalars(query))


def _handed_off(session: Session, sessions: Sequence[BotSession]) -> set[int]:
    """The ids of the sessions in which a handoff was filed (between the session's start and
    the next session's of the same conversation)."""
    conversations = {s.conversation_id for s in sessions}
    if not conversations:
        return set()
    starts: dict[str, list[tuple[float, int]]] = defaultdict(list)
    for row in session.execute(select(BotSession.conversation_id, BotSession.started_at,
                                      BotSession.id)
                               .where(BotSession.conversation_id.in_(conversations))):
        starts[row.conversation_id].append((row.started_at, row.id))
    for known in starts.values():
        known.sort()
    found = set()
    for conversation_id, created_at in session.execute(
            select(Handoff.conversation_id, Handoff.created_at)
            .where(Handoff.conversation_id.in_(conversations))):
        known = starts[conversation_id]
        index = bisect.bisect_right(known, (created_at, float("inf"))) - 1
        if index >= 0:
            found.add(known[index][1])
    return found


def _csat(rows: Sequence[_Row]) -> CsatFigures:
    scores = [row.score for row in rows if row.score is not None]
    resolved = sum(1 for row in rows if row.handoff.resolved_at is not None)
    counts = Counter(scores)
    return CsatFigures(
        average=statistics.fmean(scores) if scores else None, ratings=len(scores),
        resolved=resolved, response_rate=len(scores) / resolved if resolved else None,
        distribution={str(score): counts.get(score, 0) for score in SCORES})


def _figures(key: str, rows: Sequence[_Row], sessions: Sequence[BotSession] | None,
             handed_off: set[int]) -> GroupFigures:
    def durations(end: Callable[[Handoff], float | None]) -> list[float]:
        return [stop - row.handoff.created_at for row in rows
                if (stop := end(row.handoff)) is not None]

    contained = None if sessions is None else sum(1 for s in sessions if s.id not in handed_off)
    return GroupFigures(
        key=key, handoffs=len(rows),
        sessions=None if sessions is None else len(sessions), contained=contained,
        containment=(contained / len(sessions)) if sessions else None,
        waiting=spread(durations(lambda h: h.assigned_at)),
        first_response=spread(durations(lambda h: h.first_response_at)),
        resolution=spread(durations(lambda h: h.resolved_at)), csat=_csat(rows))


def _grouped(items: Iterable[object], key: Callable[[object], str]) -> dict[str, list]:
    groups: dict[str, list] = defaultdict(list)
    for item in items:
        groups[key(item)].append(item)
    return groups


def breakdown(session: Session, period: Period, filters: Filters, by: str) -> list[GroupFigures]:
    """The figures per group of one dimension (a row each; the CSV export)."""
    start, end = period.bounds()
    rows = _handoffs(session, start, end, filters)
    sessions = _sessions(session, start, end, filters) if (
        filters.sessions_apply and by in SESSION_DIMENSIONS) else None
    handed_off = _handed_off(session, sessions) if sessions else set()
    names = _names(session, by)
    row_key: dict[str, Callable[[_Row], str]] = {
        "reason": lambda r: r.handoff.reason, "language": lambda r: r.handoff.language,
        "channel": lambda r: r.handoff.channel,
        "day": lambda r: period.day_of(r.handoff.created_at),
        "team": lambda r: names.get(r.handoff.team_id, str(r.handoff.team_id)),
        "agent": lambda r: names.get(r.handoff.agent_id, "—") if r.handoff.agent_id else "—"}
    session_key: dict[str, Callable[[BotSession], str]] = {
        "language": lambda s: s.language, "channel": lambda s: s.channel,
        "day": lambda s: period.day_of(s.started_at)}
    by_rows = _grouped(rows, row_key[by])
    by_sessions = _grouped(sessions or [], session_key[by]) if sessions is not None else {}
    keys = sorted(set(by_rows) | set(by_sessions))
    if by == "day":  # every day of the range, the quiet ones too
        keys = [(period.since + timedelta(days=n)).isoformat()
                for n in range((period.until - period.since).days + 1)]
    return [_figures(key, by_rows.get(key, []),
                     by_sessions.get(key, []) if sessions is not None else None, handed_off)
            for key in keys]


def _names(session: Session, by: str) -> dict[int, str]:
    if by == "team":
        return {row.id: row.name for row in session.execute(select(Team.id, Team.name))}
    if by == "agent":
        return {row.id: row.name for row in session.execute(select(Agent.id, Agent.name))}
    return {}


def report(session: Session, period: Period, filters: Filters) -> ReportOut:
    """The whole range, and its handoffs by reason and its days."""
    start, end = period.bounds()
    rows = _handoffs(session, start, end, filters)
    sessions = _sessions(session, start, end, filters) if filters.sessions_apply else None
    handed_off = _handed_off(session, sessions) if sessions else set()
    return ReportOut(
        since=period.since, until=period.until, timezone=period.timezone,
        total=_figures("all", rows, sessions, handed_off),
        by_reason=breakdown(session, period, filters, "reason"),
        by_day=breakdown(session, period, filters, "day"))
