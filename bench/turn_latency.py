"""Start-up time of the stack and REST turn latency of the running bot.

Starts Rasa, the action server and the handoff service on the embedded default (temporary SQLite
files), times each until it answers, then sends N REST turns in en/fa/ar/he and prints the
latency distribution. Usage: `.venv/bin/python -m bench.turn_latency [--turns 100]`.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import uuid
from pathlib import Path

import requests

from bench.load.turns import percentile
from tools.stack import Stack, StackConfig

MESSAGES = ["hello", "what is your return policy?", "سلام", "ساعت کاری شما چیست؟",
            "مرحبا", "كيف أدفع؟", "שלום", "כמה זמן לוקח המשלוח?"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--turns", type=int, default=100)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as var:
        config = StackConfig(var_dir=Path(var), rasa_port=15005, actions_port=15055,
                             handoff_port=18000)
        stack = Stack(config)
        started = time.monotonic()
        stack.start()
        try:
            stack.wait_ready(timeout=600)
            ready = time.monotonic() - started
            url = f"{config.rasa_url}/webhooks/rest/webhook"
            rest = requests.Session()
            rest.headers.update(config.rest_headers())
            sender = uuid.uuid4().hex
            rest.post(url, json={"sender": sender, "message": "hi"}, timeout=30)  # warm-up
            latencies = []
            for turn in range(args.turns):
                message = MESSAGES[turn % len(MESSAGES)]
                begin = time.perf_counter()
                response = rest.post(url, json={"sender": sender, "message": message},
                                     timeout=30)
                latencies.append(time.perf_counter() - begin)
                response.raise_for_status()
                if not response.json():
                    raise RuntimeError(f"no answer to {message!r}")
        finally:
            stack.stop()
    print(f"stack start until all three answer: {ready:.1f} s")
    print(f"REST turns: {len(latencies)}, median {statistics.median(latencies) * 1000:.1f} ms, "
          f"p95 {percentile(latencies, 0.95) * 1000:.1f} ms, "
          f"max {max(latencies) * 1000:.1f} ms")


if __name__ == "__main__":
    main()
