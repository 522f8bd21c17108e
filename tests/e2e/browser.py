"""Debian's Chromium, driven by Playwright, for the widget and console tests and the UI bench."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Browser, ConsoleMessage, Page, sync_playwright

from tools.model import ROOT

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(os.environ.get("ARTIFACTS_DIR", ROOT / "artifacts"))
# The customer's and the agent's pages share one browser here, but in life each is in the
# foreground of its own screen: Chromium must not throttle the page that is not in front.
FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
         "--disable-background-networking", "--disable-extensions", "--no-first-run",
         "--disable-background-timer-throttling", "--disable-renderer-backgrounding",
         "--disable-backgrounding-occluded-windows"]


def chromium_missing() -> str | None:
    """Why the browser tests cannot run here, or None."""
    if not Path(CHROMIUM).exists():
        return f"Chromium not found at {CHROMIUM} (make setup installs Debian's chromium)"
    return None


@contextmanager
def chromium() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            yield browser
        finally:
            browser.close()


def open_page(browser: Browser, url: str, locale: str, width: int = 1000,
              height: int = 720, init_script: str | None = None) -> Page:
    """A page in a fresh context (its own storage), failing the test on any script error or
    Content-Security-Policy violation; `init_script` runs before the page's own scripts."""
    context = browser.new_context(locale=locale, viewport={"width": width, "height": height})
    if init_script:
        context.add_init_script(init_script)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    def blocked(message: ConsoleMessage) -> None:
        """What the Content-Security-Policy refused counts as a script error too."""
        if "Content Security Policy" in message.text:
            errors.append(message.text)

    page.on("console", blocked)
    page.script_errors = errors  # type: ignore[attr-defined]
    page.goto(url)
    return page


def screenshot(page: Page, name: str, part: str | None = None) -> Path:
    """The page as it shows, or only the element `part` (a CSS selector), whole."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    if part is None:
        page.screenshot(path=str(path))
    else:
        page.locator(part).screenshot(path=str(path))
    return path
