"""What people see, timed in the browser: escalation until the handoff shows in the agent's console,
and the agent's send until the reply shows on the customer's screen.

Starts the whole system on the embedded default (temporary SQLite files), opens the console in
headless Chromium (one agent, online) and, for each run, a fresh customer widget that asks for a
person; then the agent replies. Both pages run in one browser on one clock: each side records
Date.now() when the element appears (a MutationObserver), the other side when it clicked.
Usage: `.venv/bin/python -m bench.ui_latency [--runs 50]`.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import uuid
from pathlib import Path

from playwright.sync_api import Browser, Page

from bench.load.turns import percentile
from tests.e2e.browser import chromium, open_page
from tests.e2e.clients import Agent, eventually
from tools.stack import Stack, StackConfig

SEEN_JS = """() => { window.seen = {}; new MutationObserver(() => {
  for (const e of document.querySelectorAll(".ticket[data-id]"))
    window.seen[e.dataset.id] ??= Date.now();
}).observe(document.body, { childList: true, subtree: true }); }"""

ARRIVED_JS = """() => { window.arrived = {}; new MutationObserver(() => {
  for (const e of document.querySelectorAll(".sw-message"))
    window.arrived[e.textContent] ??= Date.now();
}).observe(document.body, { childList: true, subtree: true }); }"""


def _console(browser: Browser, config: StackConfig, agent: Agent) -> Page:
    console = open_page(browser, f"{config.handoff_url}/console/", "en-US", 1400, 860)
    console.get_by_label("Email").fill(agent.email)
    console.get_by_label("Password").fill(Agent.PASSWORD)
    console.get_by_role("button", name="Sign in").click()
    console.get_by_label("Presence").select_option("online")
    console.evaluate(SEEN_JS)
    return console


def one_run(browser: Browser, config: StackConfig, agent: Agent,
            console: Page) -> tuple[float, float]:
    widget = open_page(browser, f"{config.handoff_url}/widget/demo", "en-US")
    try:
        widget.locator(".sw-bot").first.wait_for()
        widget.evaluate(ARRIVED_JS)
        asked = widget.evaluate("() => { document.querySelector('.sw-human').click(); "
                                "return Date.now(); }")
        conversation = widget.evaluate("window.supportWidget.state.sessionId")
        handoff = eventually(lambda: agent.find(conversation))
        seen = eventually(lambda: console.evaluate(f"window.seen['{handoff['id']}']"))
        # the assigner assigns it to the online agent, whose queue then offers "Open"
        console.locator(f".ticket[data-id='{handoff['id']}'] button", has_text="Open").click()
        marker = f"Hello, Sara here ({uuid.uuid4().hex[:8]})"
        console.get_by_label("Reply to the customer").fill(marker)
        sent = console.evaluate("() => { document.querySelector('.composer').requestSubmit(); "
                                "return Date.now(); }")
        arrived = eventually(lambda: widget.evaluate(
            "(m) => Object.entries(window.arrived).find(([t]) => t.includes(m))?.[1]", marker))
        agent.call("POST", f"/handoffs/{handoff['id']}/resolve").raise_for_status()
        return (seen - asked) / 1000, (arrived - sent) / 1000
    finally:
        widget.context.close()


def _report(name: str, values: list[float]) -> None:
    print(f"{name}: n={len(values)} p50 {statistics.median(values) * 1000:.0f} ms, "
          f"p99 {percentile(values, 0.99) * 1000:.0f} ms, max {max(values) * 1000:.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as var:
        config = StackConfig(var_dir=Path(var), rasa_port=15005, actions_port=15055,
                             handoff_port=18000)
        stack = Stack(config)
        stack.start()
        try:
            stack.wait_ready(timeout=600)
            agent = Agent.create(config.handoff_url, config.environment()["HANDOFF_ADMIN_TOKEN"],
                                 "Sara", capacity=50, languages=["en"])
            with chromium() as browser:
                console = _console(browser, config, agent)
                runs = [one_run(browser, config, agent, console) for _ in range(args.runs)]
        finally:
            stack.stop()
    _report("escalation -> handoff in the console", [r[0] for r in runs])
    _report("agent send -> reply on the customer's screen", [r[1] for r in runs])


if __name__ == "__main__":
    main()
