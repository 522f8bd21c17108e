"""The admins' page in Chromium against the real servers: an admin makes a night-shift team with
its country's holidays and a canned response in four languages and changes an agent's account,
and the agent, who was signed in all along, uses that response in the next chat, with no
restart (screenshot admin-en.png)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from playwright.sync_api import Browser, expect

from tests.e2e.browser import open_page, screenshot
from tests.e2e.clients import Agent
from tests.e2e.test_browser import session_id, sign_in

NIGHT = {"en": "Good evening, the night desk here.", "fa": "عصر بخیر، اینجا میز شبانه است.",
         "ar": "مساء الخير، معك فريق الليل.", "he": "ערב טוב, כאן משמרת הלילה."}


def test_an_admin_sets_a_night_shift_and_a_canned_response_an_agent_then_uses(
    stack: Any, agent_factory: Callable[..., Agent], browser: Browser
) -> None:
    base = stack.config.handoff_url
    admin = agent_factory(languages=("en",), role="admin")
    agent = agent_factory(languages=("ar",))
    agents_console = sign_in(browser, base, agent)  # signed in before the change
    agents_console.get_by_label("Presence").select_option("online")
    console = sign_in(browser, base, admin)
    team, key = f"nights-{uuid.uuid4().hex[:6]}", f"night_{uuid.uuid4().hex[:6]}"
    widget = None
    try:
        console.get_by_role("button", name="Administration").click()
        new_team = console.locator("form[data-team='']")
        new_team.get_by_label("Name").fill(team)
        new_team.get_by_label("Time zone").fill("Europe/Berlin")
        new_team.get_by_label("Holidays of country").fill("de")
        new_team.get_by_label("Region").fill("be")
        new_team.get_by_label("Closed dates").fill("2026-12-31")
        new_team.get_by_label("Friday").fill("22:00-06:00")
        new_team.get_by_label("Saturday").fill("18:00-24:00")
        new_team.get_by_role("button", name="Save").click()
        expect(console.locator(f"form[data-team='{team}']")).to_be_visible()
        saved = next(t for t in admin.call("GET", "/teams").json() if t["name"] == team)
        assert saved["business_hours"] == {"fri": [["22:00", "06:00"]],
                                           "sat": [["18:00", "24:00"]]}
        assert (saved["timezone"], saved["country"], saved["subdivision"],
                saved["closed_dates"]) == ("Europe/Berlin", "DE", "BE", ["2026-12-31"])

        new_canned = console.locator("form[data-canned='']")
        new_canned.get_by_label("Key").fill(key)
        for language, name in (("en", "English"), ("fa", "Persian"), ("ar", "Arabic"),
                               ("he", "Hebrew")):
            new_canned.get_by_label(name).fill(NIGHT[language])
        new_canned.get_by_role("button", name="Save").click()
        expect(console.locator(f"form[data-canned='{key}']")).to_be_visible()
        audit = console.locator("#admin-audit")
        expect(audit).to_contain_text(f"canned response saved — {key}")
        expect(audit).to_contain_text(f"team saved — {team}")
        # The agent's account: capacity and languages changed in the table.
        row = console.locator(f"tr[data-account='{agent.email}']")
        row.locator("[name=capacity]").fill("2")
        row.locator("[name=languages]").fill("ar, he")
        with console.expect_response(lambda r: r.request.method == "PATCH") as patched:
            row.get_by_role("button", name="Save").click()
        assert patched.value.status == 200
        changed = agent.call("GET", "/agents/me").json()
        assert (changed["capacity"], changed["languages"]) == (2, ["ar", "he"])
        console.evaluate("window.scrollTo(0, 0)")
        screenshot(console, "admin-en")
        console.get_by_label("Console language").select_option("ar")
        expect(console.locator("html")).to_have_attribute("dir", "rtl")
        expect(console.get_by_role("heading", name="الإدارة")).to_be_visible()
        expect(console.locator("#admin-audit")).to_contain_text(f"حُفظ الرد الجاهز — {key}")
        screenshot(console, "admin-ar")
        console.get_by_label("لغة اللوحة").select_option("en")

        # The agent, signed in all along, gets an Arabic chat and finds the new response.
        widget = open_page(browser, f"{base}/widget/demo", "ar")
        widget.get_by_role("button", name="التحدث مع موظف").click()
        # the first customer turn of a new stack may be slow (models warming up)
        expect(widget.get_by_role("status")).to_contain_text(agent.name, timeout=30_000)
        reference = widget.evaluate("window.supportWidget.state.status.reference")
        agents_console.locator(".ticket", has_text=reference).get_by_role(
            "button", name="Open").click()
        choice = f"{key} — {NIGHT['ar']}"
        expect(agents_console.locator("#canned option", has_text=NIGHT["ar"])).to_have_text(choice)
        agents_console.locator("#canned").select_option(label=choice)
        agents_console.get_by_role("button", name="Insert").click()
        agents_console.keyboard.press("Enter")
        expect(widget.locator(".sw-agent", has_text=NIGHT["ar"])).to_have_count(1)
        assert console.script_errors == [] and agents_console.script_errors == []
    finally:
        admin.call("DELETE", f"/admin/canned-responses/{key}")
        if widget is not None:
            handoff = agent.find(session_id(widget))
            if handoff is not None:
                agent.call("POST", f"/handoffs/{handoff['id']}/resolve")
            widget.close()
        console.close()
        agents_console.close()
