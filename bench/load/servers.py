"""The servers under load: bare Rasa (the `rasa init` bot) and our system in two profiles.

Each is started, timed until it answers a message (model loaded), measured, and stopped.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import requests
from sqlalchemy import create_engine, text

from tools.model import ROOT
from tools.stack import RASA_PY, Stack, StackConfig

BARE_DIR = ROOT / "var" / "bench" / "bare"
BARE_CONFIG = ROOT / "bench" / "configs" / "bare_rasa.yml"
POSTGRES = os.environ.get("HANDOFF_TEST_POSTGRES_URL",
                          "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def answered(rasa_url: str, headers: dict[str, str]) -> bool:
    """True once Rasa answers a REST message, i.e. its model is loaded."""
    try:
        response = requests.post(f"{rasa_url}/webhooks/rest/webhook", timeout=5, headers=headers,
                                 json={"sender": f"probe-{uuid.uuid4().hex}", "message": "hi"})
        return response.status_code == 200 and bool(response.json())
    except (requests.RequestException, ValueError):
        return False


def wait_answering(rasa_url: str, headers: dict[str, str], began: float,
                   timeout: float = 600.0) -> float:
    while not answered(rasa_url, headers):
        if time.monotonic() - began > timeout:
            raise TimeoutError(f"{rasa_url} did not answer in {timeout:.0f} s")
        time.sleep(0.25)
    return time.monotonic() - began


def _tree(pid: int) -> list[int]:
    """The process and its descendants, so a server that runs child processes counts whole."""
    found, pending = [], [pid]
    while pending:
        current = pending.pop()
        try:
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            continue
        found.append(current)
        pending += [int(child) for child in children]
    return found


def rss_mib(pid: int) -> float:
    """Resident memory of a process and its children, in MiB (from /proc)."""
    total = 0
    for current in _tree(pid):
        try:
            status = Path(f"/proc/{current}/status").read_text()
        except OSError:
            continue
        total += next(int(line.split()[1]) for line in status.splitlines()
                      if line.startswith("VmRSS:"))
    return total / 1024


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) a process and its children have used so far (from /proc)."""
    ticks = 0
    for current in _tree(pid):
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


@dataclass
class BareRasa:
    """`rasa init`'s bot on the REST channel: no actions, no event broker, in-memory tracker."""

    port: int
    process: subprocess.Popen[bytes] | None = None
    headers: dict[str, str] = field(default_factory=dict)  # stock Rasa's REST has no token

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @staticmethod
    def prepare() -> None:
        """Create `rasa init`'s project once and train it with bench/configs/bare_rasa.yml (Rasa's
        default pipeline with fixed seeds), about 80 s here; again when that config changes."""
        config = BARE_CONFIG.read_bytes()
        trained = BARE_DIR / "trained-with.yml"
        if trained.exists() and trained.read_bytes() == config and list(
                (BARE_DIR / "models").glob("*.tar.gz")):
            return
        shutil.rmtree(BARE_DIR, ignore_errors=True)
        scaffold = subprocess.run(
            [str(RASA_PY), "-c", "import rasa.cli.scaffold as s; print(s.scaffold_path())"],
            capture_output=True, text=True, check=True).stdout.strip()
        shutil.copytree(scaffold, BARE_DIR, ignore=shutil.ignore_patterns("__pycache__"))
        (BARE_DIR / "config.yml").write_bytes(config)
        with (BARE_DIR.parent / "init.log").open("wb") as log:
            subprocess.run([str(RASA_PY), "-m", "rasa", "train", "--fixed-model-name", "bare"],
                           cwd=BARE_DIR, stdout=log, stderr=subprocess.STDOUT, check=True,
                           env=os.environ | {"RASA_TELEMETRY_ENABLED": "false"})
        trained.write_bytes(config)

    def start(self) -> float:
        """Start it; return the seconds until it answers a message."""
        began = time.monotonic()
        log = (BARE_DIR.parent / "bare-run.log").open("wb")
        self.process = subprocess.Popen(
            [str(RASA_PY), "-m", "rasa", "run", "--port", str(self.port), "--interface",
             "127.0.0.1", "--model", "models"], cwd=BARE_DIR, stdout=log,
            stderr=subprocess.STDOUT, start_new_session=True,
            env=os.environ | {"RASA_TELEMETRY_ENABLED": "false"})
        return wait_answering(self.url, self.headers, began)

    def memory(self) -> dict[str, float]:
        return {"rasa": rss_mib(self.process.pid)} if self.process else {}

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(30)


def postgres_overrides(tag: str) -> dict[str, str]:
    """Fresh databases for the PostgreSQL profile: Rasa's tracker and events, the service's."""
    admin = create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
    names = {kind: f"bench_{kind}_{tag}" for kind in ("tracker", "events", "handoff")}
    with admin.connect() as connection:
        for name in names.values():
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    server = POSTGRES.rsplit("/", 1)[0]
    host = server.split("@", 1)[1]
    user = server.split("://", 1)[1].split("@", 1)[0]
    return {
        "RASA_ENDPOINTS": "endpoints.postgres.yml",
        "RASA_PG_HOST": host, "RASA_PG_USER": user, "RASA_PG_PASSWORD": "",
        "RASA_TRACKER_DB": names["tracker"], "RASA_EVENTS_DB": names["events"],
        "HANDOFF_DATABASE_URL": f"{server}/{names['handoff']}",
        "HANDOFF_EVENTS_URL": f"{server}/{names['events']}",
    }


class OurSystem:
    """Our servers via tools/stack.py, as `make run` (a StackConfig) or `make run-scaled` (a
    ScaledConfig) starts them."""

    def __init__(self, config: StackConfig) -> None:
        self.config = config
        self.stack = Stack(self.config)
        self.headers = self.config.rest_headers()

    def start(self) -> float:
        began = time.monotonic()
        self.stack.start()
        self.stack.wait_ready(timeout=600)
        return wait_answering(self.config.rasa_url, self.headers, began)

    def memory(self) -> dict[str, float]:
        return {name: rss_mib(process.pid) for name, process in self.stack.processes.items()}

    def cpu(self) -> dict[str, float]:
        return {name: cpu_seconds(process.pid) for name, process in self.stack.processes.items()}

    def stop(self) -> None:
        self.stack.stop()
