"""The widget and the agents' console in headless Chromium, against the real Rasa server, action
server and handoff service. Screenshots of both pages, in Persian and English, go to artifacts/."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
import requests
from playwright.sync_api import Browser, Page, expect

from common.plurals import CATEGORIES
from handoff import business_hours, canned
from handoff.settings import DEFAULT_CANNED as CANNED_FILE
from tests.e2e import domain_texts
from tests.e2e.browser import open_page, screenshot
from tests.e2e.clients import Agent, admin_session, eventually

pytestmark = pytest.mark.e2e

# What a contrast check reads: text colour against the nearest opaque background (WCAG 2.x).
CONTRAST_JS = """(selectors) => {
  const rgb = (c) => c.match(/[\\d.]+/g).map(Number);
  const lum = ([r, g, b]) => [r, g, b].map((v) => { v /= 255;
    return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; })
    .reduce((s, v, i) => s + v * [0.2126, 0.7152, 0.0722][i], 0);
  const background = (e) => { for (; e; e = e.parentElement) {
      const c = getComputedStyle(e).backgroundColor; if (rgb(c)[3] !== 0) return c; }
    return "rgb(255, 255, 255)"; };
  return selectors.flatMap((s) => [...document.querySelectorAll(s)].map((e) => {
    const [a, b] = [lum(rgb(getComputedStyle(e).color)), lum(rgb(background(e)))];
    return [s, (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05)]; }));
}"""

UNLABELLED_JS = """() => [...document.querySelectorAll("input, select, textarea, button")]
  .filter((e) => e.offsetParent !== null || e.type === "radio")
  .filter((e) => !(e.labels && e.labels.length) && !e.getAttribute("aria-label")
                 && !(e.tagName === "BUTTON" && e.textContent.trim()))
  .map((e) => e.outerHTML.slice(0, 80))"""


def sign_in(browser: Browser, base_url: str, agent: Agent, language: str = "en",
            init_script: str | None = None) -> Page:
    console = open_page(browser, f"{base_url}/console/", "en-US", 1400, 860, init_script)
    console.get_by_label("Console language").select_option(language)
    texts = {"en": ("Email", "Password", "Sign in"), "fa": ("ایمیل", "گذرواژه", "ورود")}[language]
    console.get_by_label(texts[0]).fill(agent.email)
    console.get_by_label(texts[1]).fill(Agent.PASSWORD)
    console.get_by_role("button", name=texts[2]).click()
    expect(console.locator("#queue-list")).to_be_visible()
    return console


def session_id(widget: Page) -> str:
    return widget.evaluate("window.supportWidget.state.sessionId")


def tracker_slots(stack: Any, conversation_id: str) -> dict[str, Any]:
    response = requests.get(f"{stack.config.rasa_url}/conversations/{conversation_id}/tracker",
                            headers=stack.config.rasa_headers(), timeout=10)
    response.raise_for_status()
    return response.json()["slots"]


def test_persian_customer_agent_corrects_replies_resolves_and_is_rated(
    stack: Any, agent_factory: Callable[..., Agent], browser: Browser
) -> None:
    agent = agent_factory(languages=("fa",))
    widget = open_page(browser, f"{stack.config.handoff_url}/widget/demo", "fa-IR")

    # The widget follows the browser's language: Persian, right to left, greeted in Persian.
    expect(widget.locator(".sw-panel")).to_have_attribute("dir", "rtl")
    expect(widget.locator(".sw-bot").first).to_have_text(domain_texts.text("utter_greet", "fa"))
    widget.get_by_label("پیام شما").fill("سفارش ۵۸۲۳۱ کجاست؟")
    widget.keyboard.press("Enter")
    expect(widget.locator(".sw-bot").nth(1)).to_contain_text("۵۸۲۳۱")

    # "Talk to a person" is always there; the status bar gives the reference.
    widget.get_by_role("button", name="گفتگو با کارشناس").click()
    status = widget.get_by_role("status")
    expect(status).to_contain_text("شماره پیگیری")
    reference = widget.evaluate("window.supportWidget.state.status.reference")

    # The agent signs in, sees the handoff with why, language and channel, and goes online:
    # the assigner assigns it and the customer sees who has their request.
    console = sign_in(browser, stack.config.handoff_url, agent)
    ticket = console.locator(".ticket", has_text=reference)
    expect(ticket).to_contain_text("asked for a person")
    expect(ticket).to_contain_text("the website")  # the channel, as agents call it
    expect(ticket.locator(".badge")).to_have_text("FA")
    console.get_by_label("Presence").select_option("online")
    expect(status).to_contain_text(agent.name)
    ticket.get_by_role("button", name="Open").click()

    # The context panel: what the bot collected, why, and the bot transcript, right to left;
    # the details and intents by their names in the agent's language, not the bot's.
    expect(console.locator("#summary")).to_have_text("سفارش ۵۸۲۳۱ کجاست؟")
    expect(console.locator("#context [data-intent=human_handoff]")).to_contain_text(
        "Asked for a person")
    expect(console.get_by_label("Order number")).to_have_value("58231")
    for identifier in ("human_handoff", "order_number", "requested_slot", "handoff_reference"):
        expect(console.locator("#context")).not_to_contain_text(identifier)
    transcript = console.locator("#transcript")
    expect(transcript).to_have_attribute("dir", "rtl")
    expect(transcript).to_contain_text(domain_texts.text("utter_greet", "fa"))

    # The agent corrects the order number; it is written to Rasa's tracker.
    console.get_by_label("Order number").fill("58232")
    console.locator("[data-save=order_number]").click()
    expect(console.locator("#context")).to_contain_text("Saved")
    conversation = session_id(widget)
    assert eventually(lambda: tracker_slots(stack, conversation)["order_number"] == "58232")

    # The agent replies; the customer sees it, right to left.
    reply = "سلام، سفارش ۵۸۲۳۲ را بررسی کردم و برایتان تعویض ثبت می‌کنم."
    console.get_by_label("Reply to the customer").fill(reply)
    console.keyboard.press("Enter")
    bubble = widget.locator(".sw-agent", has_text=reply)
    expect(bubble).to_have_count(1)
    assert bubble.locator("span[dir=auto]").evaluate("e => getComputedStyle(e).direction") == "rtl"
    screenshot(widget, "widget-fa")
    screenshot(console, "console-en")

    # The console in Persian (its own language), then resolve: the bot asks for a rating.
    console.get_by_label("Console language").select_option("fa")
    expect(console.locator("html")).to_have_attribute("dir", "rtl")
    expect(console.get_by_label("شماره سفارش")).to_have_value("58232")
    expect(console.locator("#context [data-intent=human_handoff]")).to_have_text(
        re.compile("^درخواست کارشناس"))
    screenshot(console, "console-fa")
    console.get_by_role("button", name="حل و بازگرداندن به ربات").click()
    rating = widget.locator(".sw-rating")
    expect(rating).to_be_visible()
    rating.locator("label[for=sw-star-4]").click()
    widget.get_by_label("نظر (اختیاری)").fill("خیلی سریع بود 👍")
    widget.get_by_role("button", name="ثبت امتیاز").click()
    expect(widget.locator(".sw-bot").last).to_have_text(
        domain_texts.text("utter_thanks_rating", "fa"))

    # The rating is stored by the handoff service and shown in the console.
    handoff = eventually(lambda: next((h for h in agent.call("GET", "/handoffs?status=resolved")
                                       .json() if h["reference"] == reference), None))
    stored = agent.detail(handoff["id"])["rating"]
    assert (stored["score"], stored["comment"]) == (4, "خیلی سریع بود 👍")
    expect(console.locator(".rating")).to_contain_text("۴")
    # After the handback the bot still has the corrected detail.
    assert tracker_slots(stack, conversation)["order_number"] == "58232"
    assert widget.script_errors == [] and console.script_errors == []


def test_english_chat_survives_a_reload_shows_typing_and_keeps_ltr(
    stack: Any, agent_factory: Callable[..., Agent], browser: Browser
) -> None:
    agent = agent_factory(languages=("en",))
    widget = open_page(browser, f"{stack.config.handoff_url}/widget/demo", "en-US")
    expect(widget.locator(".sw-panel")).to_have_attribute("dir", "ltr")
    expect(widget.locator(".sw-bot").first).to_have_text(domain_texts.text("utter_greet", "en"))
    # By keyboard alone: from the message box, Shift+Tab reaches "Talk to a person".
    widget.get_by_label("Your message").focus()
    widget.keyboard.press("Shift+Tab")
    expect(widget.get_by_role("button", name="Talk to a person")).to_be_focused()
    widget.keyboard.press("Enter")
    status = widget.get_by_role("status")
    expect(status).to_contain_text("Reference")
    reference = widget.evaluate("window.supportWidget.state.status.reference")

    # A Persian-language console; the English conversation stays left to right.
    console = sign_in(browser, stack.config.handoff_url, agent, "fa")
    console.get_by_label("وضعیت").select_option("online")
    expect(status).to_contain_text(f"{agent.name} is handling your request.")
    console.locator(".ticket", has_text=reference).get_by_role("button", name="باز کردن").click()
    expect(console.locator("#transcript")).to_have_attribute("dir", "ltr")

    # A reload keeps the conversation, the status, and the socket session.
    shown = widget.locator(".sw-message").count()
    widget.reload()
    expect(widget.locator(".sw-message")).to_have_count(shown)
    expect(status).to_contain_text(agent.name)

    # Typing shows on the other side, both ways.
    console.get_by_label("پاسخ به مشتری").press_sequentially("Hel")
    expect(widget.get_by_text(f"{agent.name} is typing…")).to_be_visible()
    widget.get_by_label("Your message").press_sequentially("my shoes")
    expect(console.get_by_text("مشتری در حال نوشتن است…")).to_be_visible()
    # The live event carries the message: the console adds it in place, fetching nothing.
    fetched: list[str] = []
    console.on("request", lambda request: fetched.append(f"{request.method} {request.url}"))
    widget.keyboard.press("Enter")
    expect(console.locator("#transcript")).to_contain_text("my shoes")
    expect(console.locator("#transcript .from-customer", has_text="my shoes")).to_have_count(1)
    assert [call for call in fetched if "/api/v1/handoffs" in call] == []
    # Direction per message: Persian text in the English panel reads right to left.
    widget.get_by_label("Your message").fill("سایز ۴۲ لطفا")
    widget.keyboard.press("Enter")
    mixed = widget.locator(".sw-customer span[dir=auto]", has_text="سایز ۴۲ لطفا")
    assert mixed.evaluate("e => getComputedStyle(e).direction") == "rtl"

    # A message sent while the customer's socket is away is caught up after it returns, once.
    widget.evaluate("window.supportWidget.socket.disconnect()")
    console.get_by_label("پاسخ به مشتری").fill("Sent while you were away")
    console.get_by_role("button", name="ارسال").click()
    expect(console.locator("#transcript")).to_contain_text("Sent while you were away")
    widget.reload()
    expect(widget.locator(".sw-agent", has_text="Sent while you were away")).to_have_count(1)

    # The agent's reply reaches the reloaded page, left to right, labelled with the agent's name.
    console.get_by_label("پاسخ به مشتری").fill("Hello! Which size do you need?")
    console.get_by_role("button", name="ارسال").click()
    bubble = widget.locator(".sw-agent", has_text="Which size do you need?")
    expect(bubble).to_have_count(1)
    expect(bubble.locator(".sw-name")).to_have_text(agent.name)
    assert bubble.locator("span[dir=auto]").evaluate("e => getComputedStyle(e).direction") == "ltr"
    screenshot(widget, "widget-en")
    screenshot(console, "console-fa-english-chat")

    # Internal notes stay in the console.
    console.get_by_label("یادداشت (فقط برای همکاران)").fill("customer wants size 42")
    console.get_by_role("button", name="افزودن یادداشت").click()
    expect(console.locator(".notes")).to_contain_text("customer wants size 42")
    expect(widget.locator(".sw-log")).not_to_contain_text("customer wants size 42")

    # Canned responses come in the conversation's language.
    english = [f"{c.key} — {c.texts['en']}" for c in canned.read_file(CANNED_FILE)]
    assert console.locator("#canned option").all_text_contents() == english

    # Accessibility: every control has a label, and text meets WCAG AA contrast.
    for page in (widget, console):
        assert page.evaluate(UNLABELLED_JS) == []
    contrast = widget.evaluate(CONTRAST_JS, [".sw-message", ".sw-status p", ".sw-human",
                                             ".sw-send", ".sw-header h2", ".sw-typing"])
    contrast += console.evaluate(CONTRAST_JS, [".line .text", ".line .who", ".ticket-meta span",
                                               ".topbar h1", "button.primary", "dt"])
    low = [(selector, round(ratio, 2)) for selector, ratio in contrast if ratio < 4.5]
    assert contrast and low == []
    # Resolved from the Persian console: the English customer is asked to rate, in English.
    # (The rating shows once the bot has the chat back, a moment before the service records the
    # resolve: the agent going offline as the test ends must not come between.)
    with console.expect_response("**/resolve") as resolved:
        console.get_by_role("button", name="حل و بازگرداندن به ربات").click()
    assert resolved.value.status == 200
    expect(widget.locator(".sw-rating legend")).to_have_text("How would you rate the help you got?")
    assert widget.script_errors == [] and console.script_errors == []


def _closed_hours(now: datetime) -> dict[str, list[list[str]]]:
    """Weekly hours that exclude `now` (UTC): one hour on the day after tomorrow only."""
    return {business_hours.DAYS[(now.weekday() + 2) % 7]: [["09:00", "10:00"]]}


def test_the_closed_state_survives_the_services_updates_and_plurals_follow_cldr(
    stack: Any, agent_factory: Callable[..., Agent], browser: Browser
) -> None:
    """The widget shows that the team is closed after the escalation (the bot's status) and
    still after the service's own update ("where is my request?" while paused), which once left
    `availability` out so that the widget fell back to "no one is online"."""
    admin = admin_session(stack.config.handoff_url,
                          stack.config.environment()["HANDOFF_ADMIN_TOKEN"])
    team = f"{stack.config.handoff_url}/api/v1/teams/support"
    hours = _closed_hours(datetime.now(UTC))
    assert requests.put(team, json={"name": "support", "timezone": "UTC",
                                    "business_hours": hours}, headers=admin,
                        timeout=10).status_code == 200
    widget = open_page(browser, f"{stack.config.handoff_url}/widget/demo", "en-US")
    try:
        expect(widget.locator(".sw-bot").first).to_have_text(domain_texts.text("utter_greet", "en"))
        widget.get_by_role("button", name="Talk to a person").click()
        status = widget.get_by_role("status")
        closed = "We are closed right now."
        expect(status).to_contain_text(closed)
        assert widget.evaluate("window.supportWidget.state.status.availability") == "closed"

        answers = widget.locator(".sw-bot")
        before = answers.count()
        widget.get_by_label("Your message").fill("where is my request?")
        widget.keyboard.press("Enter")
        # the service's notice arrives (the bot is paused, so only the service answers) ...
        expect(answers).to_have_count(before + 1)
        told = domain_texts.pattern("utter_handoff_closed", "en").fullmatch(
            answers.last.inner_text())
        assert told and told["opens"].endswith(" 09:00")
        # ... with its own status update, and the widget still says the team is closed
        assert widget.evaluate("window.supportWidget.state.status.availability") == "closed"
        expect(status).to_contain_text(closed)
        screenshot(widget, "widget-en-closed")

        # The browser's plural rules (CLDR, as the widget applies them) are the ones the bot's
        # texts and the translation files are written for.
        browser_categories = widget.evaluate(
            "(langs) => Object.fromEntries(langs.map((l) => [l, "
            "new Intl.PluralRules(l).resolvedOptions().pluralCategories]))", list(CATEGORIES))
        assert {lang: set(c) for lang, c in browser_categories.items()} == {
            lang: set(c) for lang, c in CATEGORIES.items()}
        assert widget.script_errors == []
    finally:
        requests.put(team, json={"name": "support", "timezone": "UTC", "business_hours": None},
                     headers=admin, timeout=10)
        # close the request, so that no later test's agent is assigned it
        janitor = agent_factory(languages=("he",))
        conversation = session_id(widget)
        handoff = eventually(lambda: janitor.find(conversation))
        assert janitor.call("POST", f"/handoffs/{handoff['id']}/abandon").status_code == 200


def test_signing_out_of_the_console_revokes_its_token_and_failures_are_explained(
    stack: Any, agent_factory: Callable[..., Agent], browser: Browser
) -> None:
    """The console's Sign out ends the token on the service (a copy of it stops working); a
    locked account is told how long to wait, in the console's language."""
    agent = agent_factory(languages=("he",))
    console = sign_in(browser, stack.config.handoff_url, agent)
    try:
        token = console.evaluate("sessionStorage.getItem('console-token')")
        me = f"{stack.config.handoff_url}/api/v1/agents/me"
        bearer = {"Authorization": f"Bearer {token}"}
        assert requests.get(me, headers=bearer, timeout=10).status_code == 200
        console.get_by_role("button", name="Sign out").click()
        expect(console.get_by_role("button", name="Sign in")).to_be_visible()
        eventually(lambda: requests.get(me, headers=bearer, timeout=10).status_code == 401)
        console.get_by_label("Console language").select_option("fa")
        console.get_by_label("ایمیل").fill(agent.email)
        for _ in range(6):  # one after another: each answer is in before the next try
            console.get_by_label("گذرواژه").fill("not the password")
            with console.expect_response("**/api/v1/auth/login"):
                console.get_by_role("button", name="ورود").click()
        expect(console.locator("#error")).to_contain_text("تلاش‌های ناموفق ورود زیاد بود")
        expect(console.locator("#error")).to_contain_text("۱")  # the minutes, in Persian digits
    finally:
        console.close()


def test_an_agent_changes_their_password_and_a_reset_link_sets_a_new_one(
    stack: Any, agent_factory: Callable[..., Agent], browser: Browser
) -> None:
    """In the console, in Arabic: the agent changes their password (the old one stops working);
    then an admin's reset link (/console/#reset=…) lets them set another and sign in with it."""
    agent = agent_factory(languages=("ar",))
    base = stack.config.handoff_url
    console = sign_in(browser, base, agent, "en")
    try:
        console.get_by_label("Console language").select_option("ar")
        console.get_by_role("button", name="تغيير كلمة المرور").click()
        dialog = console.get_by_role("dialog")
        dialog.get_by_label("كلمة المرور الحالية").fill(Agent.PASSWORD)
        dialog.get_by_label("كلمة المرور الجديدة", exact=True).fill("kalima sirr jadida")
        dialog.get_by_label("كلمة المرور الجديدة مرة أخرى").fill("kalima sirr jadida")
        dialog.get_by_role("button", name="حفظ").click()
        expect(dialog.get_by_role("status")).to_have_text(
            "تم تغيير كلمة المرور. تم تسجيل خروجك من جلساتك الأخرى.")
        login = f"{base}/api/v1/auth/login"
        assert requests.post(login, timeout=10, json={
            "email": agent.email, "password": Agent.PASSWORD}).status_code == 401
        admin = admin_session(base, stack.config.environment()["HANDOFF_ADMIN_TOKEN"])
        accounts = requests.get(f"{base}/api/v1/accounts", headers=admin, timeout=10).json()
        agent_id = next(a["id"] for a in accounts if a["email"] == agent.email)
        reset = requests.post(f"{base}/api/v1/agents/{agent_id}/password-reset",
                              headers=admin, timeout=10).json()
        page = open_page(browser, f"{base}{reset['reset_path']}", "ar")
        page.get_by_label("كلمة المرور الجديدة", exact=True).fill("short")
        page.get_by_label("كلمة المرور الجديدة مرة أخرى").fill("short")
        page.get_by_role("button", name="حفظ").click()
        eight = page.evaluate("new Intl.NumberFormat('ar').format(8)")  # the console's digits
        expect(page.locator("#error")).to_have_text(f"استخدم {eight} أحرف على الأقل.")
        page.get_by_label("كلمة المرور الجديدة", exact=True).fill("thalith kalima sirr")
        page.get_by_label("كلمة المرور الجديدة مرة أخرى").fill("thalith kalima sirr")
        page.get_by_role("button", name="حفظ").click()
        expect(page.locator("#error")).to_have_text("تم تعيين كلمة المرور الجديدة. سجّل الدخول بها.")
        signed_in = requests.post(login, timeout=10, json={
            "email": agent.email, "password": "thalith kalima sirr"})
        assert signed_in.status_code == 200
        # the change and the reset ended the test's own sign-in of this agent too
        agent.http.headers["Authorization"] = f"Bearer {signed_in.json()['access_token']}"
        page.close()
    finally:
        console.close()


# Stands in for what the operating system decides about the console's tab: whether it is in front
# (a headless browser's pages all are), and the notification centre, which records what it is
# shown; tones played are counted.
ELSEWHERE = """
window.__os = { behind: false, notifications: [], tones: 0 };
Object.defineProperty(Document.prototype, "visibilityState",
                      { get: () => (window.__os.behind ? "hidden" : "visible") });
Document.prototype.hasFocus = () => !window.__os.behind;
window.Notification = class {
  static get permission() { return "granted"; }
  static requestPermission() { return Promise.resolve("granted"); }
  constructor(title, options) { window.__os.notifications.push({ title, ...options }); }
  close() {}
};
const start = OscillatorNode.prototype.start;
OscillatorNode.prototype.start = function (...when) {
  window.__os.tones += 1;
  return start.apply(this, when);
};
"""


def look_away(console: Page, behind: bool) -> None:
    console.evaluate("""behind => { window.__os.behind = behind;
        document.dispatchEvent(new Event("visibilitychange"));
        if (!behind) window.dispatchEvent(new Event("focus")); }""", behind)


def test_an_agent_in_another_tab_is_told_of_a_new_chat_and_sees_its_countdown(
    stack: Any, agent_factory: Callable[..., Agent], browser: Browser
) -> None:
    """An agent whose console is behind another tab gets the count in the tab's title, a chime
    and a desktop notification when a chat is assigned and when its customer writes; coming
    back clears the count. An assigned chat nobody answered counts down to its return to the
    queue, until the agent replies."""
    agent = agent_factory(languages=("he",))
    console = sign_in(browser, stack.config.handoff_url, agent, init_script=ELSEWHERE)
    widget = open_page(browser, f"{stack.config.handoff_url}/widget/demo", "he-IL")
    try:
        console.get_by_label("Presence").select_option("online")
        expect(console.locator("#queue-list .empty")).to_be_visible()
        look_away(console, True)
        widget.get_by_role("button", name="לדבר עם נציג").click()
        expect(widget.get_by_role("status")).to_contain_text(agent.name, timeout=30_000)
        reference = widget.evaluate("window.supportWidget.state.status.reference")

        expect(console).to_have_title("(1) Agent console")
        shown = console.evaluate("window.__os.notifications")
        assert [(n["title"], n["tag"].startswith("handoff-")) for n in shown] == [
            (f"New chat for you: {reference}", True)]
        assert console.evaluate("window.__os.tones") >= 2
        look_away(console, False)
        expect(console).to_have_title("Agent console")

        # The countdown, on the ticket and in the open chat, from the service's timeout.
        ticket = console.locator(".ticket", has_text=reference)
        expect(ticket.get_by_role("timer")).to_have_text(
            re.compile(r"^Back to the queue in 0[23]:\d\d without a reply$"))
        ticket.get_by_role("button", name="Open").click()
        timer = console.locator("#chat").get_by_role("timer")
        first = timer.text_content()
        expect(timer).not_to_have_text(first)  # it ticks
        console.get_by_label("Reply to the customer").fill("שלום, כאן שרה")
        console.keyboard.press("Enter")
        expect(widget.locator(".sw-agent", has_text="שלום, כאן שרה")).to_have_count(1)
        expect(console.get_by_role("timer")).to_have_count(0)

        # Behind another tab again, the customer writes: counted, chimed, notified.
        look_away(console, True)
        widget.get_by_label("ההודעה שלך").fill("תודה! ההזמנה ۵۸۲۳۱")
        widget.keyboard.press("Enter")
        expect(console).to_have_title("(1) Agent console")
        assert console.evaluate("window.__os.notifications.map(n => n.title)")[-1] == (
            f"The customer wrote in {reference}")
        console.get_by_label("Console language").select_option("he")
        expect(console).to_have_title(re.compile(r"^\(1\) "))
        look_away(console, False)
        expect(console).not_to_have_title(re.compile(r"^\("))
        assert console.script_errors == [] and widget.script_errors == []
    finally:
        handoff = agent.find(session_id(widget))
        if handoff is not None:
            agent.call("POST", f"/handoffs/{handoff['id']}/resolve")
        console.close()
        widget.close()
