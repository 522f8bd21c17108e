"""The trainers' workbench in headless Chromium, against the real Rasa server, action server and
handoff service: Persian messages the bot did not understand reach the trainer grouped and
masked; the trainer's decisions become examples in the NLU file, in place; the trainer trains
from the page, watches the progress, reads the report, promotes the model, and the live bot
understands what it missed before."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
import requests
from playwright.sync_api import Browser, expect

from tests.e2e.browser import open_page, screenshot
from tests.e2e.clients import RestCustomer, admin_session, eventually

pytestmark = pytest.mark.e2e
PASSWORD = "a trainer's long password"
# nothing the bot was taught: the unknown-words guard sends both to the fallback
MISSES = ("زرتیپ فلنگوی ۵۸۲۳۱ گورمپ", "زرتیپ فلنگوی ۴۰۰۱۷ گورمپ")
# what the data gets instead: made-up order numbers (handoff/masking.py), so one example of both
WRITTEN = "زرتیپ فلنگوی ۱۲۳۴۵ گورمپ"
# "my parcel is stuck at customs": the data has no customs, so the bot falls back
STUCK = "مرسوله‌ام تو گمرک گیر کرده"
TRAINING_MINUTES = 15  # training, the held-out set, and two-fold cross-validation of both


def understood(stack: Any, customer: RestCustomer) -> str:
    """The intent the live bot read in the customer's last message."""
    tracker = requests.get(f"{stack.config.rasa_url}/conversations/{customer.session_id}/tracker",
                           headers=stack.config.rasa_headers(),
                           timeout=10).json()
    return tracker["latest_message"]["intent"]["name"]


def make_trainer(stack: Any) -> tuple[str, dict[str, str]]:
    base = stack.config.handoff_url
    admin = admin_session(base, stack.config.environment()["HANDOFF_ADMIN_TOKEN"])
    email = f"tara{uuid.uuid4().hex[:6]}@example.com"
    made = requests.post(f"{base}/api/v1/agents", headers=admin, timeout=10, json={
        "email": email, "name": "Tara", "password": PASSWORD, "role": "trainer"})
    assert made.status_code == 201, made.text
    login = requests.post(f"{base}/api/v1/auth/login", timeout=10,
                          json={"email": email, "password": PASSWORD})
    return email, {"Authorization": f"Bearer {login.json()['access_token']}"}


def test_a_persian_miss_reaches_the_trainer_masked_and_becomes_an_example(
        stack: Any, browser: Browser) -> None:
    headers = stack.config.rest_headers()
    for text in MISSES:
        RestCustomer(stack.config.rasa_url, headers).say(text)
    customs = RestCustomer(stack.config.rasa_url, headers)
    customs.say(STUCK)
    assert understood(stack, customs) == "nlu_fallback"
    email, trainer = make_trainer(stack)
    inbox = f"{stack.config.handoff_url}/api/v1/inbox"

    def persian_misses() -> list[dict[str, Any]]:
        groups = requests.get(inbox, params={"language": "fa"}, headers=trainer,
                              timeout=10).json()["groups"]
        return [g for g in groups if any("زرتیپ" in m["text"] for m in g["messages"])]

    assert [group["count"] for group in eventually(persian_misses, timeout=30)] == [2]

    page = open_page(browser, f"{stack.config.handoff_url}/console/", "fa-IR")
    try:
        page.get_by_label("زبان میز کار").select_option("fa")
        page.get_by_label("ایمیل").fill(email)
        page.get_by_label("گذرواژه").fill(PASSWORD)
        page.get_by_role("button", name="ورود").click()
        expect(page.get_by_role("heading", name="آنچه ربات متوجه نشد")).to_be_visible()
        expect(page.locator("html")).to_have_attribute("dir", "rtl")
        group = page.locator("article.group", has_text="زرتیپ")
        expect(group.get_by_role("heading")).to_have_text("۲ پیام")
        expect(group.locator(".said")).to_have_text(["زرتیپ فلنگوی [order] گورمپ"] * 2)
        expect(group.locator(".why").first).to_have_text("نامفهوم برای ربات")
        assert "۵۸۲۳۱" not in group.inner_text() and "40017" not in group.inner_text()
        group.get_by_role("button", name="گفتگو").first.click()
        expect(group.locator(".conversation .this")).to_contain_text("[order]")
        screenshot(page, "trainer-inbox-fa")
        group.get_by_role("button", name="خارج از حوزه").click()
        expect(page.locator("#written")).to_contain_text("۱ نمونه به out_of_scope افزوده شد.")
        expect(page.locator("#written .diff")).to_contain_text("+    - " + WRITTEN)
        expect(page.locator("article.group", has_text="زرتیپ")).to_have_count(0)

        stuck = page.locator("article.group", has_text="گمرک")
        stuck.get_by_label("هدف (یکی از موجودها یا نامی تازه)").fill("check_order_status")
        stuck.get_by_role("button", name="افزودن به این هدف").click()
        expect(page.locator("#written")).to_contain_text("۱ نمونه به check_order_status افزوده شد.")

        page.get_by_role("button", name="آموزش مدل تازه").click()
        expect(page.locator("#training-phase")).to_be_visible()
        expect(page.locator("#training progress")).to_be_visible()
        ready = "مدل تازه آماده است"
        expect(page.locator("#training-status")).to_contain_text(
            ready, timeout=TRAINING_MINUTES * 60_000)
        scores = page.locator("#training-scores")
        expect(scores).to_contain_text("فارسی")
        expect(scores.locator("th")).to_have_count(3)  # language, held-out, cross-validation
        report = page.frame_locator("#report")
        expect(report.locator("h1")).to_have_text("NLU report")
        expect(report.locator("img")).to_have_count(4)
        expect(report.locator("#cross-validation")).to_contain_text("fa")
        screenshot(page, "trainer-report-fa", "#training")
        page.get_by_role("button", name="جایگزینی: ربات از همین حالا از آن استفاده کند").click()
        expect(page.locator("#training-status")).to_contain_text("جایگزین شد", timeout=180_000)
        expect(report.locator("h1")).to_have_text("NLU report")  # the report stays in place
        assert "null" not in page.locator("#training").inner_text()
        assert page.script_errors == []  # type: ignore[attr-defined]
    finally:
        page.close()

    again = RestCustomer(stack.config.rasa_url, headers)
    again.say(STUCK)
    assert understood(stack, again) == "check_order_status"

    persian = (Path(stack.config.overrides["HANDOFF_PROJECT_DIR"]) / "data" / "nlu"
               / "fa.yml").read_text()
    block = persian.split("- intent: out_of_scope\n", 1)[1].split("\n- intent:", 1)[0]
    assert block.endswith(f"    - {WRITTEN}")
    assert "۵۸۲۳۱" not in block and "۴۰۰۱۷" not in block
