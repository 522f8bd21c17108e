"""One visitor floods the bot; do the other customers still get answers in time?

Starts the stack on the embedded default twice: with Rasa's input protections switched off
(RASA_MAX_MESSAGE_CHARS=0, RASA_MESSAGE_RATE=0) and as shipped. Each time, a few customers talk
on the REST channel (a message, the answer, a short pause) for a while alone (idle), then while
one socket.io client, as any visitor of the website can, sends oversized (50,000 characters)
and maximal (4,000 characters) messages without waiting (flood). Prints the other customers'
turn latency, p50 and p99, idle and under the flood; the target is a flood p99 within 2x idle.

Usage: `.venv/bin/python -m bench.flood [--seconds 20] [--customers 4]`.
"""

from __future__ import annotations

import argparse
import socket
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import requests
import socketio

from bench.load.servers import OurSystem
from bench.load.turns import MESSAGES, percentile
from tools.stack import StackConfig

OVERSIZED = "word " * 10_000  # 50,000 characters: under the 64 KB socket.io frame
MAXIMAL = ("سفارشم کجاست " * 400)[:4000]  # at the length limit: NLU reads it
UNPROTECTED = {"RASA_MAX_MESSAGE_CHARS": "0", "RASA_MESSAGE_RATE": "0"}


def _free_ports() -> tuple[int, int, int]:
    ports = []
    for _ in range(3):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            ports.append(probe.getsockname()[1])
    return ports[0], ports[1], ports[2]


def customers_talk(rasa_url: str, headers: dict[str, str], customers: int,
                   seconds: float) -> list[float]:
    """Turn latencies of `customers` REST customers talking for `seconds`."""
    latencies: list[float] = []
    deadline = time.monotonic() + seconds

    def talk(index: int) -> None:
        session = requests.Session()
        session.headers.update(headers)
        turn = 0
        while time.monotonic() < deadline:
            if turn % len(MESSAGES) == 0:
                sender = uuid.uuid4().hex
            began = time.perf_counter()
            session.post(f"{rasa_url}/webhooks/rest/webhook", timeout=600,
                         json={"sender": sender, "message": MESSAGES[(index + turn) % 8]})
            latencies.append(time.perf_counter() - began)
            turn += 1
            time.sleep(0.2)

    threads = [threading.Thread(target=talk, args=(index,)) for index in range(customers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies


class Flooder:
    """A socket.io client sending oversized and maximal messages back to back."""

    def __init__(self, rasa_url: str) -> None:
        self.url = rasa_url
        self.sent = self.answers = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run)

    def _run(self) -> None:
        client = socketio.Client(reconnection=False)
        client.on("bot_uttered", lambda _: setattr(self, "answers", self.answers + 1))
        client.connect(self.url, transports=["websocket"])
        session = uuid.uuid4().hex
        client.emit("session_request", {"session_id": session})
        while not self._stop.is_set():
            text = OVERSIZED if self.sent % 2 == 0 else MAXIMAL
            client.emit("user_uttered", {"message": text, "session_id": session})
            self.sent += 1
            time.sleep(0.02)
        client.disconnect()

    def __enter__(self) -> Flooder:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


@dataclass
class Run:
    name: str
    idle: list[float]
    flood: list[float]
    sent: int
    answers: int

    def row(self) -> str:
        def ms(values: list[float], share: float) -> str:
            return f"{percentile(values, share) * 1000:,.0f}"

        ratio = percentile(self.flood, 0.99) / percentile(self.idle, 0.99)
        return (f"| {self.name} | {ms(self.idle, 0.5)} | {ms(self.idle, 0.99)} | "
                f"{ms(self.flood, 0.5)} | {ms(self.flood, 0.99)} | {ratio:.1f}x | "
                f"{len(self.idle)} / {len(self.flood)} | {self.sent} / {self.answers} |")


def measure(name: str, overrides: dict[str, str], customers: int, seconds: float) -> Run:
    with tempfile.TemporaryDirectory() as var:
        rasa, actions, handoff = _free_ports()
        system = OurSystem(StackConfig(var_dir=Path(var), rasa_port=rasa, actions_port=actions,
                                       handoff_port=handoff, overrides=overrides))
        print(f"[{name}] starting the stack ...", flush=True)
        system.start()
        try:
            url, headers = system.config.rasa_url, system.headers
            customers_talk(url, headers, customers, 3)  # warm-up
            print(f"[{name}] {customers} customers alone for {seconds:.0f} s ...", flush=True)
            idle = customers_talk(url, headers, customers, seconds)
            print(f"[{name}] ... and with the flooder for {seconds:.0f} s ...", flush=True)
            with Flooder(url) as flooder:
                flood = customers_talk(url, headers, customers, seconds)
            return Run(name, idle, flood, flooder.sent, flooder.answers)
        finally:
            print(f"[{name}] stopping", flush=True)
            system.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--customers", type=int, default=4)
    args = parser.parse_args()
    runs = [measure("protections off", UNPROTECTED, args.customers, args.seconds),
            measure("as shipped", {}, args.customers, args.seconds)]
    print(f"\nflood benchmark, {date.today()}: {args.customers} REST customers, one socket.io "
          f"flooder, {args.seconds:.0f} s per phase; latencies in ms\n")
    print("| Rasa's input | idle p50 | idle p99 | flood p50 | flood p99 | flood p99 / idle p99 "
          "| turns idle / flood | flooder sent / answered |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for run in runs:
        print(run.row())


if __name__ == "__main__":
    main()
