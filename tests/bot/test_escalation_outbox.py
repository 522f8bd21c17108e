"""The action server's outbox of escalations: kept on disk while the service is down, filed
once it answers, kept and marked when it is refused, and delivered after a restart. The service
here is a local HTTP server answering as the handoff service does (its wire format); the whole
path against the real service is tests/e2e/test_restarts.py."""

from __future__ import annotations

import json
import socket
import sqlite3
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from actions.escalation_outbox import EscalationOutbox
from actions.handoff_client import HandoffClient


class Service:
    """Answers POST /api/v1/handoffs with a ticket (or `status`), recording what it got."""

    def __init__(self, port: int) -> None:
        self.received: list[dict[str, Any]] = []
        self.status = 200
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                service.received.append(body)
                answer = json.dumps({"id": len(service.received), "reference": body["reference"]})
                self.send_response(service.status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(answer.encode())

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def service(port: int) -> Iterator[Service]:
    yield (started := Service(port))
    started.close()


def _outbox(path: Path, port: int) -> EscalationOutbox:
    return EscalationOutbox(path, lambda: HandoffClient(f"http://127.0.0.1:{port}", "secret",
                                                         timeout=2), interval=0.1)


def _context(reference: str) -> dict[str, Any]:
    return {"reference": reference, "conversation_id": f"conv-{reference}",
            "escalated_at": time.time(), "language": "fa", "summary": "کفشم سایز اشتباه آمده"}


def test_kept_while_down_then_filed_once_in_order(tmp_path: Path, port: int) -> None:
    outbox = _outbox(tmp_path / "outbox.sqlite3", port)
    for reference in ("AAAAAA", "BBBBBB"):
        outbox.keep(_context(reference))
    time.sleep(0.3)  # the thread tries: nothing listens
    assert [c["reference"] for c in outbox.waiting()] == ["AAAAAA", "BBBBBB"]
    service = Service(port)
    try:
        deadline = time.monotonic() + 10
        while outbox.waiting() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert outbox.waiting() == []
        assert [body["reference"] for body in service.received] == ["AAAAAA", "BBBBBB"]
        assert service.received[0]["summary"] == "کفشم سایز اشتباه آمده"  # the whole context
        time.sleep(0.3)
        assert len(service.received) == 2
    finally:
        service.close()


def test_a_refused_escalation_is_kept_and_not_retried(tmp_path: Path, port: int,
                                                      service: Service) -> None:
    service.status = 422
    outbox = _outbox(tmp_path / "outbox.sqlite3", port)
    outbox.keep(_context("CCCCCC"))
    deadline = time.monotonic() + 10
    while outbox.waiting() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert outbox.waiting() == []
    time.sleep(0.3)
    assert len(service.received) == 1
    with sqlite3.connect(tmp_path / "outbox.sqlite3") as connection:
        row = connection.execute("SELECT rejected, last_error FROM escalations").fetchone()
    assert row[0] == 1 and row[1].startswith("422")


def test_escalations_kept_before_a_restart_are_delivered_after_it(tmp_path: Path,
                                                                  port: int) -> None:
    path = tmp_path / "outbox.sqlite3"
    _outbox(path, port).deliver()  # nothing waiting: nothing to do
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        dead = closed.getsockname()[1]
    # the process before the restart: its service was down, and it tried once
    before = EscalationOutbox(path, lambda: HandoffClient(f"http://127.0.0.1:{dead}", "s"),
                              interval=1000)
    before.keep(_context("DDDDDD"))
    service = Service(port)
    try:
        time.sleep(0.3)
        assert [c["reference"] for c in before.waiting()] == ["DDDDDD"]
        restarted = _outbox(path, port)  # a new process over the same file, service up
        restarted.start_if_waiting()
        deadline = time.monotonic() + 10
        while restarted.waiting() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert restarted.waiting() == []
        assert [body["reference"] for body in service.received] == ["DDDDDD"]
    finally:
        service.close()
