"""The supervisors' reports (handoff/reports.py) as JSON for the page's charts, and as CSV; and
the teams as they are now (handoff/supervision.py)."""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import APIRouter, Depends, Query
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response

from handoff import reports, supervision
from handoff.contract import Language, Reason
from handoff.dependencies import DbSession, Supervisor
from handoff.schemas import GroupFigures, ReportOut, TeamNow

routes = APIRouter(prefix="/api/v1/reports", tags=["reports"])
LONGEST_RANGE_DAYS = 366


def _invalid(name: str, message: str, value: object) -> RequestValidationError:
    """As FastAPI's own 422s are, so the schema holds for it."""
    return RequestValidationError([{"type": "value_error", "loc": ("query", name),
                                    "msg": message, "input": value}])


def period(since: date, until: date, timezone: str = "UTC") -> reports.Period:
    """`since` and `until` (both included, YYYY-MM-DD) in the supervisor's time zone."""
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise _invalid("timezone", "not a known IANA time zone", timezone) from None
    if until < since or (until - since).days >= LONGEST_RANGE_DAYS:
        raise _invalid("until", f"must be on or after `since`, at most {LONGEST_RANGE_DAYS} "
                       "days later", str(until))
    return reports.Period(since, until, timezone)


def filters(team: Annotated[int | None, Query(ge=1)] = None,
            agent: Annotated[int | None, Query(ge=1)] = None,
            language: Language | None = None,
            channel: Annotated[str | None, Query(max_length=64)] = None,
            reason: Reason | None = None) -> reports.Filters:
    return reports.Filters(team, agent, language, channel, reason)


Range = Annotated[reports.Period, Depends(period)]
Chosen = Annotated[reports.Filters, Depends(filters)]


@routes.get("", response_model=ReportOut)
def report(session: DbSession, _: Supervisor, chosen_period: Range,
           chosen: Chosen) -> ReportOut:
    return reports.report(session, chosen_period, chosen)


COLUMNS = ("handoffs", "sessions", "contained", "containment", "waiting_p50_s", "waiting_p90_s",
           "first_response_p50_s", "first_response_p90_s", "resolution_p50_s",
           "resolution_p90_s", "csat_average", "ratings", "resolved", "csat_response_rate")


# A text cell a spreadsheet could read as a formula (one starting with =, +, -, @, a tab or a
# carriage return: a name, a channel) gets a leading quote, as OWASP advises against CSV
# injection; a cell that is just a number ("-3", "1.5") stays one, and the figures are numbers.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?\d+(?:\.\d+)?")


def spreadsheet_safe(cell: object) -> object:
    """`cell` as a spreadsheet may open it: never a formula."""
    if (isinstance(cell, str) and cell.startswith(_FORMULA_START)
            and not _PLAIN_NUMBER.fullmatch(cell)):
        return "'" + cell
    return cell


def _cells(figures: GroupFigures) -> list[object]:
    def rounded(value: float | None) -> object:
        return "" if value is None else round(value, 3)

    return [figures.key, figures.handoffs, rounded(figures.sessions), rounded(figures.contained),
            rounded(figures.containment), rounded(figures.waiting.p50),
            rounded(figures.waiting.p90), rounded(figures.first_response.p50),
            rounded(figures.first_response.p90), rounded(figures.resolution.p50),
            rounded(figures.resolution.p90), rounded(figures.csat.average),
            figures.csat.ratings, figures.csat.resolved, rounded(figures.csat.response_rate)]


@routes.get("/export.csv", response_class=Response,
            responses={200: {"content": {"text/csv": {}}}})
def export(session: DbSession, _: Supervisor, chosen_period: Range, chosen: Chosen,
           by: Literal["reason", "team", "agent", "language", "channel", "day"] = "reason",
           ) -> Response:
    """One row per group of `by`; times in seconds; empty where a figure has no meaning."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([by, *COLUMNS])
    for figures in reports.breakdown(session, chosen_period, chosen, by):
        writer.writerow([spreadsheet_safe(cell) for cell in _cells(figures)])
    name = f"report-{by}-{chosen_period.since}-{chosen_period.until}.csv"
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@routes.get("/now", response_model=list[TeamNow])
def now(session: DbSession, _: Supervisor) -> list[TeamNow]:
    """Per team: the queue, its oldest chat, who is online and each agent's load."""
    return supervision.teams_now(session)
