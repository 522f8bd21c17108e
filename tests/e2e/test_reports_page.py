"""The supervisors' reports page in Chromium against the real servers: the figures and the
charts are those of the API, the CSV downloads, and the page reads right to left in Persian
(screenshots reports-en.png and reports-fa.png in artifacts/)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from playwright.sync_api import Browser, expect

from tests.e2e.browser import open_page, screenshot
from tests.e2e.clients import Agent, eventually
from tests.e2e.test_browser import session_id, sign_in

CHARTS = ("chart-days", "chart-reasons", "chart-csat", "chart-pain")


def persian_digits(number: int) -> str:
    return str(number).translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))


def test_a_supervisor_reads_the_reports_with_their_charts_and_exports_them(
    stack: Any, agent_factory: Callable[..., Agent], browser: Browser
) -> None:
    supervisor = agent_factory(languages=("fa",), role="supervisor")
    widget = open_page(browser, f"{stack.config.handoff_url}/widget/demo", "fa-IR")
    widget.get_by_role("button", name="گفتگو با کارشناس").click()  # today's handoff, at least
    expect(widget.get_by_role("status")).to_contain_text("شماره پیگیری", timeout=30_000)
    console = sign_in(browser, stack.config.handoff_url, supervisor)
    others: list[Any] = []
    try:
        today = datetime.now(UTC).date()  # the browser's time zone here is UTC too
        expected = supervisor.call("GET", "/reports", params={
            "since": str(today - timedelta(days=6)), "until": str(today),
            "timezone": "UTC"}).json()
        assert expected["total"]["handoffs"] >= 1
        console.get_by_role("button", name="Reports").click()
        expect(console.get_by_role("heading", name="Reports")).to_be_visible()
        expect(console.locator("[data-figure=handoffs] .tile-value")).to_have_text(
            f"{expected['total']['handoffs']:,}")
        console.wait_for_function("window.Chart && Chart.getChart('chart-pain')")
        drawn = console.evaluate("""ids => ids.map(id => {
            const chart = Chart.getChart(id);
            return chart ? chart.data.datasets.map(set => set.data) : null; })""", list(CHARTS))
        assert drawn[0][0] == [row["handoffs"] for row in expected["by_day"]]
        assert drawn[1][0] == [row["handoffs"] for row in expected["by_reason"]]
        assert drawn[2][0] == [expected["total"]["csat"]["distribution"][s] for s in "12345"]
        assert drawn[3][0] == [row["csat"]["average"] for row in expected["by_reason"]]
        blank = console.evaluate("""ids => ids.map(id => {
            const canvas = document.getElementById(id), empty = document.createElement('canvas');
            empty.width = canvas.width; empty.height = canvas.height;
            return canvas.toDataURL() === empty.toDataURL(); })""", list(CHARTS))
        assert blank == [False] * 4  # each chart drew something
        screenshot(console, "reports-en")

        ticks = console.evaluate("Chart.getChart('chart-days').scales.y.ticks.map(t => t.label)")
        assert ticks[0] == "0"

        # One agent's figures: the API's for that agent.
        console.get_by_label("Agent").select_option(label=supervisor.name)
        console.get_by_role("button", name="Show").click()
        mine = supervisor.call("GET", "/reports", params={
            "since": str(today - timedelta(days=6)), "until": str(today), "timezone": "UTC",
            "agent": supervisor.call("GET", "/agents/me").json()["id"]}).json()
        expect(console.locator("[data-figure=handoffs] .tile-value")).to_have_text(
            f"{mine['total']['handoffs']:,}")
        expect(console.locator("[data-figure=containment] .tile-value")).to_have_text("—")
        console.get_by_label("Agent").select_option(label="All")
        console.get_by_role("button", name="Show").click()
        expect(console.locator("[data-figure=containment] .tile-value")).not_to_have_text("—")

        with console.expect_download() as download:
            console.locator("[data-export=reason]").click()
        rows = list(csv.DictReader(io.StringIO(download.value.path().read_text("utf-8"))))
        assert [(row["reason"], int(row["handoffs"])) for row in rows] == [
            (row["key"], row["handoffs"]) for row in expected["by_reason"]]

        console.get_by_label("Console language").select_option("fa")
        expect(console.locator("html")).to_have_attribute("dir", "rtl")
        expect(console.get_by_role("heading", name="گزارش‌ها")).to_be_visible()
        expect(console.locator("[data-figure=handoffs] .tile-value")).to_have_text(
            persian_digits(expected["total"]["handoffs"]))
        console.wait_for_function(
            "Chart.getChart('chart-pain') && Chart.getChart('chart-pain').options.locale === 'fa'")
        assert console.evaluate("""() => { const chart = Chart.getChart('chart-days');
            return [chart.options.plugins.legend.rtl, chart.options.scales.x.reverse,
                    chart.options.locale]; }""") == [True, True, "fa"]
        ticks = console.evaluate("Chart.getChart('chart-days').scales.y.ticks.map(t => t.label)")
        assert ticks[0] == "۰"  # zero too, in Persian digits
        console.evaluate("window.scrollTo(0, 0)")
        screenshot(console, "reports-fa")
        # Right now: the team's queue, updated live when another customer asks for a person.
        support = next(team for team in supervisor.call("GET", "/reports/now").json()
                       if team["name"] == "support")
        waiting = console.locator("tr[data-team=support] [data-now=waiting]")
        expect(waiting).to_have_text(persian_digits(support["waiting"]))
        expect(console.locator("tr[data-team=support] [data-now=oldest]")).to_contain_text(
            "در انتظار")
        another = open_page(browser, f"{stack.config.handoff_url}/widget/demo", "fa-IR")
        others.append(another)
        another.get_by_role("button", name="گفتگو با کارشناس").click()
        expect(waiting).to_have_text(persian_digits(support["waiting"] + 1))
        assert console.script_errors == [] and widget.script_errors == []
    finally:  # close the requests, so that no later test's agent is assigned them
        for customer in (widget, *others):
            handoff = eventually(lambda customer=customer: supervisor.find(session_id(customer)))
            supervisor.call("POST", f"/handoffs/{handoff['id']}/abandon")
            customer.close()
        console.close()
