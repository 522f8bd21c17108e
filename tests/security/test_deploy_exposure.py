"""The deployment files publish only the public paths, and nothing starts on a default password.

An attacker on the internet reaches what compose publishes and what the Ingress routes. The
balancer test runs the real HAProxy with deploy/haproxy.cfg and compose's balancer variables,
in front of stand-ins that say which tier answered, and asks every published port for Rasa's
HTTP API, the action server and the stats page.
"""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest
import requests
import yaml

from tools.model import ROOT

DEPLOY = ROOT / "deploy"
HELM = DEPLOY / "helm" / "handoff-desk"
SECRET_WORDS = re.compile(r"PASSWORD|PASS$|SECRET|TOKEN")
REQUIRED = re.compile(r"^\$\{([A-Z][A-Z0-9_]*):\?[^}]*\}$")
REFERENCE = re.compile(r"\$\{([A-Z][A-Z0-9_]*)([^}]*)\}")


def compose() -> dict:
    return yaml.safe_load((DEPLOY / "docker-compose.scaled.yml").read_text(encoding="utf-8"))


def environments() -> Iterator[tuple[str, str, str]]:
    """(service, variable, value) of every service's environment."""
    for name, service in compose()["services"].items():
        for variable, value in (service.get("environment") or {}).items():
            yield name, variable, str(value)


def test_only_the_balancer_publishes_a_port_and_only_its_public_front() -> None:
    services = compose()["services"]
    published = {name: service["ports"] for name, service in services.items()
                 if service.get("ports")}
    assert list(published) == ["balancer"], published
    balancer = services["balancer"]["environment"]
    assert [str(port).rsplit(":", 1)[1] for port in published["balancer"]] == \
        [str(balancer["HANDOFF_PORT"])]
    assert balancer.get("STATS_HOST") == "127.0.0.1"


def test_every_password_and_secret_is_a_required_variable() -> None:
    for service, variable, value in environments():
        if SECRET_WORDS.search(variable):
            assert REQUIRED.match(value), (service, variable, value)
        for name, rest in REFERENCE.findall(value):  # inside URLs too
            if SECRET_WORDS.search(name):
                assert rest.startswith(":?"), (service, variable, value)
        if "://" in value and "@" in value:  # a URL's password is a required variable
            password = value.split("://", 1)[1].split("@", 1)[0].partition(":")[2]
            assert REQUIRED.match(password), (service, variable, value)
    text = (DEPLOY / "docker-compose.scaled.yml").read_text(encoding="utf-8")
    assert "guest" not in text
    assert not re.search(r"\$\{[A-Z_]*(PASSWORD|SECRET|TOKEN)[A-Z_]*:-", text)


def test_redis_asks_for_a_password_and_every_redis_url_carries_it() -> None:
    services = compose()["services"]
    assert "--requirepass" in services["redis"]["command"]
    urls = [(service, variable, value) for service, variable, value in environments()
            if value.startswith("redis://")]
    assert urls
    for service, variable, value in urls:
        assert re.match(r"^redis://:\$\{REDIS_PASSWORD:\?[^}]*\}@", value), (service, variable)
    assert REQUIRED.match(str(services["rasa-1"]["environment"]["RASA_REDIS_PASSWORD"]))


def test_rasas_api_answers_no_page_and_compose_passes_no_cors() -> None:
    from rasa_runtime.__main__ import rasa_argv

    assert "--cors" not in rasa_argv("m.tar.gz", "5005", "127.0.0.1", "s" * 32, "e.yml", "c.yml")
    for service in compose()["services"].values():
        assert "--cors" not in [str(part) for part in service.get("command") or []]


def test_the_helm_chart_requires_its_secrets_and_keeps_rasas_api_inside() -> None:
    values = yaml.safe_load((HELM / "values.yaml").read_text(encoding="utf-8"))
    assert not values["secretName"]  # no default: `required` names it
    templates = {path.name: path.read_text(encoding="utf-8")
                 for path in (HELM / "templates").glob("*")}
    assert "required" in templates["_helpers.tpl"]
    for name, text in templates.items():
        assert ".Values.secretName" not in text or name == "_helpers.tpl", name
        assert "LoadBalancer" not in text and "NodePort" not in text, name
        for url in re.findall(r"redis://[^\"\s]*", text):
            assert url.startswith("redis://:$(") and ")@" in url, (name, url)
    ingress = templates["ingress.yaml"]
    routed = dict(re.findall(r"- path: (\S+)\n.*\n.*name: \{\{ \.Release\.Name \}\}-(\w+)",
                             ingress))
    assert routed == {"/socket.io": "rasa", "/webhooks": "rasa", "/": "handoff"}


def test_the_helm_chart_keeps_the_trainers_project_on_a_shared_claim() -> None:
    values = yaml.safe_load((HELM / "values.yaml").read_text(encoding="utf-8"))
    mount = values["project"]["mountPath"]
    claim = yaml.safe_load((HELM / "templates" / "project.yaml").read_text(encoding="utf-8")
                           .replace("{{ .Release.Name }}", "r").split("{{- with")[0])
    assert claim["kind"] == "PersistentVolumeClaim"
    assert claim["spec"]["accessModes"] == ["ReadWriteMany"]
    for tier in ("handoff", "rasa"):
        text = (HELM / "templates" / f"{tier}.yaml").read_text(encoding="utf-8")
        assert "claimName: {{ .Release.Name }}-project" in text, tier
        assert "mountPath: {{ .Values.project.mountPath }}" in text, tier
    config = (HELM / "templates" / "config.yaml").read_text(encoding="utf-8")
    assert config.count("HANDOFF_PROJECT_DIR: {{ .Values.project.mountPath | quote }}") == 2
    assert mount.startswith("/")


class Tier(BaseHTTPRequestHandler):
    """A stand-in replica: answers every request with its tier's name."""

    tier = "?"
    forwarded_for: ClassVar[list[str | None]] = []  # each request's X-Forwarded-For

    def do_GET(self) -> None:
        Tier.forwarded_for.append(self.headers.get("X-Forwarded-For"))
        body = self.tier.encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_PUT = do_POST = do_GET

    def log_message(self, *args: object) -> None:
        pass


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def front(tmp_path: Path) -> Iterator[list[int]]:
    """HAProxy with deploy/haproxy.cfg and compose's balancer variables (each port a free one
    here), before stand-ins of the tiers; yields the ports compose publishes."""
    haproxy = shutil.which("haproxy") or shutil.which("haproxy", path="/usr/sbin")
    if haproxy is None:
        pytest.skip("HAProxy is not installed (`make haproxy`)")
    servers = []
    environment = {str(k): str(v) for k, v in compose()["services"]["balancer"]
                   ["environment"].items()}
    ports = {value: str(free_port()) for name, value in environment.items()
             if name.endswith("_PORT")}
    for name, value in list(environment.items()):
        if name.endswith("_PORT"):
            environment[name] = ports[value]
        elif re.match(r"^[A-Z]+_\d$", name):  # a replica: a stand-in of its tier
            server = ThreadingHTTPServer(("127.0.0.1", 0), type(name, (Tier,), {
                "tier": name.split("_")[0].lower()}))
            threading.Thread(target=server.serve_forever, daemon=True).start()
            servers.append(server)
            environment[name] = f"127.0.0.1:{server.server_address[1]}"
        elif name.endswith("_HOST"):
            environment[name] = "127.0.0.1"
    process = subprocess.Popen([haproxy, "-f", str(DEPLOY / "haproxy.cfg")], env=environment,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    published = [int(ports[str(port).rsplit(":", 1)[1]])
                 for port in compose()["services"]["balancer"]["ports"]]
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", published[0]), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        yield published
    finally:
        process.terminate()
        process.wait(10)
        for server in servers:
            server.shutdown()


def test_the_public_front_passes_only_socketio_and_webhooks_to_rasa(front: list[int]) -> None:
    attacks = [("GET", "/conversations/victim/tracker"), ("PUT", "/model"), ("GET", "/status"),
               ("GET", "/"), ("POST", "/webhook"), ("GET", "/health"),
               ("GET", "/webhooks/rest/webhook/../../status"), ("GET", "/;csv")]
    for port in front:
        answers = {path: requests.request(method, f"http://127.0.0.1:{port}{path}", timeout=5)
                   for method, path in attacks}
        for path, answer in answers.items():
            assert answer.text not in ("rasa", "actions"), (port, path, answer.text)
            assert "Statistics Report" not in answer.text, (port, path)
    public = front[0]
    for path in ("/socket.io/?EIO=4&transport=polling", "/webhooks/telegram/webhook"):
        assert requests.post(f"http://127.0.0.1:{public}{path}", timeout=5).text == "rasa", path
    assert requests.get(f"http://127.0.0.1:{public}/console", timeout=5).text == "handoff"


def test_the_public_front_tells_the_service_the_clients_address_and_no_forged_one(
        front: list[int]) -> None:
    """The service's sign-in limits read X-Forwarded-For from the balancer: a client's own
    header must not reach it."""
    Tier.forwarded_for.clear()
    answer = requests.get(f"http://127.0.0.1:{front[0]}/console", timeout=5,
                          headers={"X-Forwarded-For": "203.0.113.9"})
    assert answer.text == "handoff"
    assert Tier.forwarded_for == ["127.0.0.1"]
