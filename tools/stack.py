"""Runs the whole system on one machine: Rasa server, action server and handoff service.

`make run` uses it in the foreground (one Ctrl-C stops all three); the end-to-end tests use the same
class, so what the tests drive is what an operator runs.
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from common.secret_scopes import scoped
from handoff.rasa_client import api_token
from rasa_runtime.channels import channels, describe
from tools.model import ROOT, model_path

RASA_PY = ROOT / ".venv-rasa" / "bin" / "python"
APP_PY = ROOT / ".venv" / "bin" / "python"
SECRET_NAMES = ("RASA_JWT_SECRET", "RASA_REST_TOKEN", "HANDOFF_ACTION_SECRET",
                "HANDOFF_JWT_SECRET", "HANDOFF_ADMIN_TOKEN", "HANDOFF_METRICS_TOKEN",
                "ACTION_SERVER_TOKEN")
# libpq options of every PostgreSQL connection (Rasa's stores and the handoff database) unless the
# operator sets PGOPTIONS: a commit returns once PostgreSQL has it, without waiting for the disk
# flush, which PostgreSQL still does within 3 × wal_writer_delay (0.6 s). A crash of any of our
# processes loses nothing; a crash of PostgreSQL itself or of the machine can lose that last
# fraction of a second (the embedded profile's SQLite WAL with synchronous=NORMAL makes the same
# trade). Why: this machine's disk held single writes for 200-700 ms and every commit waited on
# them; Rasa's tracker store then still committed on its event loop (bench/README.md, 16, 18).
# PGOPTIONS="-c synchronous_commit=on" restores a disk flush per commit.
PG_OPTIONS = "-c synchronous_commit=off"


def write_private(path: Path, text: str) -> None:
    """Write a file only its owner can read, from its first byte: a new file is made with mode
    0600 (O_EXCL: never one that someone else made) and renamed over the old one."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fresh = path.with_name(f".{path.name}.{os.getpid()}.new")
    fresh.unlink(missing_ok=True)
    descriptor = os.open(fresh, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(text)
    os.replace(fresh, path)


def load_secrets(var_dir: Path) -> dict[str, str]:
    """Secrets from the environment, else from var/secrets.env, which is made on first run."""
    path = var_dir / "secrets.env"
    stored: dict[str, str] = {}
    if path.exists():
        for line in path.read_text().splitlines():
            name, _, value = line.partition("=")
            if value:
                stored[name.strip()] = value.strip()
    missing = [name for name in SECRET_NAMES if name not in stored]
    if missing:
        stored.update({name: secrets.token_urlsafe(32) for name in missing})
        write_private(path, "".join(f"{name}={value}\n" for name, value in stored.items()))
    return {name: os.environ.get(name) or stored[name] for name in SECRET_NAMES}


@dataclass
class StackConfig:
    var_dir: Path = ROOT / "var"
    rasa_port: int = 5005
    actions_port: int = 5055
    handoff_port: int = 8000
    model: Path = field(default_factory=model_path)
    # Overrides of the embedded defaults, e.g. the PostgreSQL profile
    # (postgres_overrides in bench/load/servers.py).
    overrides: dict[str, str] = field(default_factory=dict)
    # `make run` alone: the demo page signs `?user=` (development only), and only while the
    # service listens on the loopback interface.
    demo_signs: bool = False

    @property
    def rasa_url(self) -> str:
        return f"http://127.0.0.1:{self.rasa_port}"

    @property
    def handoff_url(self) -> str:
        return f"http://127.0.0.1:{self.handoff_port}"

    def rasa_headers(self) -> dict[str, str]:
        """What the handoff service sends to Rasa's HTTP API: a short-lived JWT."""
        return {"Authorization": f"Bearer {api_token(self.environment()['RASA_JWT_SECRET'])}"}

    def rest_headers(self) -> dict[str, str]:
        """What the shop's backend sends to Rasa's REST channel."""
        return {"Authorization": f"Bearer {self.environment()['RASA_REST_TOKEN']}"}

    def environment(self) -> dict[str, str]:
        events_db = self.var_dir / "events.db"
        return {"PGOPTIONS": PG_OPTIONS} | os.environ | load_secrets(self.var_dir) | {
            "RASA_TELEMETRY_ENABLED": "false",
            "SANIC_HOST": "127.0.0.1",  # the action server is only for Rasa
            # longer than Rasa keeps an idle connection to it (rasa_runtime/fixes/http_keepalive.py)
            "SANIC_KEEP_ALIVE_TIMEOUT": "75",
            # Rasa's largest request body (Sanic's default is 100 MB): a bigger one gets 413
            "SANIC_REQUEST_MAX_SIZE": os.environ.get("SANIC_REQUEST_MAX_SIZE", "1000000"),
            "PYTHONPATH": str(ROOT),
            "PYTHONUNBUFFERED": "1",
            "RASA_URL": self.rasa_url,
            "ACTION_ENDPOINT_URL": f"http://127.0.0.1:{self.actions_port}/webhook",
            "RASA_TRACKER_DB": os.environ.get("RASA_TRACKER_DB", str(self.var_dir / "tracker.db")),
            "RASA_EVENTS_DB": os.environ.get("RASA_EVENTS_DB", str(events_db)),
            "HANDOFF_URL": self.handoff_url,
            # escalations kept while the handoff service is down (actions/escalation_outbox.py)
            "ACTIONS_OUTBOX_PATH": os.environ.get("ACTIONS_OUTBOX_PATH",
                                                  str(self.var_dir / "escalations.sqlite3")),
            "HANDOFF_PORT": str(self.handoff_port),
            "HANDOFF_HOST": (host := os.environ.get("HANDOFF_HOST", "127.0.0.1")),
            # an operator's own word wins; never set it in a deployment
            "HANDOFF_WIDGET_DEMO_SIGNS": os.environ.get(
                "HANDOFF_WIDGET_DEMO_SIGNS", str(self.demo_signs and _loopback(host)).lower()),
            "HANDOFF_DATABASE_URL": os.environ.get(
                "HANDOFF_DATABASE_URL", f"sqlite:///{self.var_dir / 'handoff.db'}"),
            "HANDOFF_EVENTS_URL": os.environ.get("HANDOFF_EVENTS_URL", f"sqlite:///{events_db}"),
            "RASA_ENDPOINTS": os.environ.get("RASA_ENDPOINTS", "endpoints.yml"),
            # the pages that may open the widget's sockets: the demo page, on both names
            "WIDGET_ORIGINS": os.environ.get("WIDGET_ORIGINS", ",".join(self.local_origins())),
        } | self.overrides

    def local_origins(self) -> list[str]:
        """The handoff service (the widget's demo page) and Rasa, as 127.0.0.1 and localhost."""
        return [f"http://{host}:{port}" for port in (self.handoff_port, self.rasa_port)
                for host in ("127.0.0.1", "localhost")]

    def commands(self) -> dict[str, list[str]]:
        return {
            "handoff": [str(APP_PY), "-m", "handoff"],
            "actions": [str(RASA_PY), "-m", "actions.server", "--port", str(self.actions_port)],
            "rasa": [str(RASA_PY), "-m", "rasa_runtime", "--model", str(self.model),
                     "--port", str(self.rasa_port),
                     "--interface", os.environ.get("RASA_INTERFACE", "127.0.0.1")],
        }

    def process_environment(self, name: str) -> dict[str, str]:
        """What one process's environment adds to the stack's (a replica's own port, say)."""
        return {}

    def environment_of(self, name: str) -> dict[str, str]:
        """One process's whole environment: the stack's, its own additions, and of the secrets
        only those its tier needs ("rasa-2" is a "rasa")."""
        tier = name.rpartition("-")[0] if name[-1:].isdigit() else name
        return scoped(self.environment() | self.process_environment(name), tier)

    def prepare(self) -> None:
        """Whatever must exist before the processes start (the embedded profile: nothing)."""

    def readiness(self) -> dict[str, str]:
        return {
            "handoff": f"{self.handoff_url}/healthz",
            "actions": f"http://127.0.0.1:{self.actions_port}/health",
            "rasa": f"{self.rasa_url}/",
        }


def _loopback(host: str) -> bool:
    """Whether an address to listen on is reachable from this machine only."""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def _is_up(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def _pump(stream: IO[bytes], sinks: list[Callable[[bytes], None]]) -> None:
    for line in iter(stream.readline, b""):
        for sink in sinks:
            sink(line)


class Stack:
    """The three processes, each in its own process group, logging to var/logs/<name>.log."""

    def __init__(self, config: StackConfig, echo: bool = False) -> None:
        self.config = config
        self.echo = echo
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self.log_dir = config.var_dir / "logs"

    def start(self, names: tuple[str, ...] | None = None) -> None:
        """Start the named processes, by default all of the configuration's."""
        if not self.config.model.exists():
            raise FileNotFoundError(f"no model at {self.config.model}; run `make train` first")
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.config.prepare()
        commands = self.config.commands()
        for name in names or tuple(commands):
            self._start_one(name, commands[name], self.config.environment_of(name))

    def _start_one(self, name: str, command: list[str], env: dict[str, str]) -> None:
        log = (self.log_dir / f"{name}.log").open("ab")
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, start_new_session=True)
        sinks: list[Callable[[bytes], None]] = [lambda line: (log.write(line), log.flush())]
        if self.echo:
            prefix = f"[{name}] ".encode()
            sinks.append(lambda line: (sys.stdout.buffer.write(prefix + line),
                                       sys.stdout.buffer.flush()))
        threading.Thread(target=_pump, args=(process.stdout, sinks), daemon=True).start()
        self.processes[name] = process

    def wait_ready(self, timeout: float = 300.0) -> None:
        """Block until every started process answers its health URL."""
        deadline = time.monotonic() + timeout
        pending = {name: url for name, url in self.config.readiness().items()
                   if name in self.processes}
        while pending:
            for name in list(pending):
                if self.processes[name].poll() is not None:
                    raise RuntimeError(f"{name} exited; see {self.log_dir / (name + '.log')}")
                if _is_up(pending[name]):
                    del pending[name]
            if pending and time.monotonic() > deadline:
                raise TimeoutError(f"not ready after {timeout:.0f} s: {', '.join(pending)}")
            time.sleep(0.5)

    def kill(self, name: str) -> None:
        """SIGKILL one process group, as a crash would: no shutdown code runs."""
        process = self.processes.pop(name)
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()

    def stop(self, names: tuple[str, ...] | None = None, timeout: float = 15.0) -> None:
        """SIGTERM each process group, then SIGKILL what is left after `timeout`."""
        targets = {n: p for n, p in self.processes.items() if names is None or n in names}
        for process in targets.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for process in targets.values():
            try:
                process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        for name in targets:
            del self.processes[name]


def serve(stack: Stack, ready: str) -> int:
    """Start the stack, print `ready` once every process answers, and run until Ctrl-C, SIGTERM
    or a process exits; then stop everything."""
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    try:
        stack.start()
        print("starting; Rasa loads its model in about a minute ...", flush=True)
        stack.wait_ready()
        print(f"\n{ready}\n", flush=True)
        while not stopping.is_set():
            for name, process in stack.processes.items():
                if process.poll() is not None:
                    print(f"{name} exited with {process.returncode}; stopping", file=sys.stderr)
                    stopping.set()
            stopping.wait(1.0)
    except KeyboardInterrupt:
        pass
    finally:
        print("stopping ...", flush=True)
        stack.stop()
    return 0


def ready_line(config: StackConfig) -> str:
    return (f"ready: Rasa {config.rasa_url} ({describe(channels(config.environment()))}), "
            f"handoff service {config.handoff_url} (API docs at /docs). Secrets: "
            f"{config.var_dir}/secrets.env (HANDOFF_ADMIN_TOKEN makes the first admin account: "
            f"POST /api/v1/auth/bootstrap, README \"Trying it by hand\"). Ctrl-C stops "
            f"everything.")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rasa-port", type=int, default=5005)
    parser.add_argument("--actions-port", type=int, default=5055)
    parser.add_argument("--handoff-port", type=int, default=8000)
    args = parser.parse_args()
    config = StackConfig(rasa_port=args.rasa_port, actions_port=args.actions_port,
                         handoff_port=args.handoff_port, demo_signs=True)
    return serve(Stack(config, echo=True), ready_line(config))


if __name__ == "__main__":
    sys.exit(main())
