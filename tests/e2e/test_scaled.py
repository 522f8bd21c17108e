"""The scale-out profile (tools/scaled.py) end to end: two replicas of Rasa, of the action server
and of the handoff service behind HAProxy, on the machine's PostgreSQL, Redis and RabbitMQ.

Customers and agents go through the balancer's public front (socket.io to Rasa, the rest to the
service), which spreads them over both replicas of each tier (HAProxy's own counts show it).
Then one replica of every tier is killed with SIGKILL in the middle of 20 live handoffs, and
afterwards every message has arrived once on both sides, no handoff was assigned twice, and
every customer still gets their agent's replies. Last, RabbitMQ itself is restarted while
customers write, and nothing they wrote is lost.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import socket
import subprocess
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import create_engine, text

from tests.e2e.clients import Agent, Customer, eventually
from tests.e2e.fixtures import _free_port
from tools.scaled import ScaledConfig
from tools.stack import Stack

pytestmark = pytest.mark.e2e

ASK = {"en": "I want to talk to a human", "fa": "می‌خواهم با یک انسان صحبت کنم",
       "ar": "أريد التحدث مع إنسان", "he": "אני רוצה לדבר עם נציג"}
POSTGRES = os.environ.get("HANDOFF_TEST_POSTGRES_URL",
                          "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def reachable() -> str | None:
    """Why the profile cannot run here, or None."""
    if shutil.which("haproxy") is None and not Path("/usr/sbin/haproxy").exists():
        return "HAProxy is not installed (`make haproxy`)"
    try:
        create_engine(POSTGRES).connect().close()
    except Exception as error:
        return f"PostgreSQL not reachable at {POSTGRES}: {error}"
    for port, name in ((6379, "Redis"), (5672, "RabbitMQ")):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=2).close()
        except OSError as error:
            return f"{name} not reachable at 127.0.0.1:{port}: {error}"
    return None


@pytest.fixture(scope="module")
def scaled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    if (missing := reachable()) is not None:
        pytest.skip(missing)
    config = ScaledConfig(
        var_dir=Path(tmp_path_factory.mktemp("scaled")), rasa_port=_free_port(),
        actions_port=_free_port(), handoff_port=_free_port(), stats_port=_free_port(),
        postgres_url=POSTGRES.rsplit("/", 1)[0], prefix=f"e2e{uuid.uuid4().hex[:8]}",
        replica_ports={tier: (_free_port(), _free_port())
                       for tier in ("rasa", "actions", "handoff")})
    config.overrides = {"HANDOFF_ASSIGN_TIMEOUT_SECONDS": "3600"}
    stack = Stack(config)
    stack.start()
    try:
        stack.wait_ready(timeout=600)
        yield stack
    finally:
        stack.stop()
        config.discard()


def sessions_served(config: ScaledConfig) -> Counter[str]:
    """HAProxy's count of the sessions each replica has served."""
    page = requests.get(f"http://127.0.0.1:{config.stats_port}/;csv", timeout=5).text
    rows = csv.DictReader(io.StringIO(page.lstrip("# ")))
    return Counter({row["svname"]: int(row["stot"]) for row in rows
                    if row["svname"] not in ("FRONTEND", "BACKEND")})


@dataclass
class Chat:
    """One customer with their handoff, and what each side has received."""

    customer: Customer
    language: str
    agent: Agent | None = None
    handoff_id: int | None = None
    heard: list[str] = field(default_factory=list)  # what the customer got, every text

    def ask_for_a_person(self) -> None:
        self.customer.connect()
        self.customer.say(ASK[self.language])
        assert self.customer.status()["reference"]  # the escalation reached the service

    def listen(self, seconds: float = 0.3) -> None:
        self.customer.collect(self.heard, seconds)

    def reconnect(self, rasa_url: str) -> None:
        """What the widget does when its socket drops: the same conversation, a new socket."""
        again = Customer(rasa_url)
        again.session_id = self.customer.session_id
        again.connect()
        self.customer = again


def agent_texts(agent: Agent, handoff_id: int, sender: str) -> list[str]:
    response = agent.call("GET", f"/handoffs/{handoff_id}/messages")
    response.raise_for_status()
    return [m["text"] for m in response.json() if m["sender"] == sender]


def lease_holder(stack: Stack) -> str:
    config: ScaledConfig = stack.config  # type: ignore[assignment]
    token = config.environment()["HANDOFF_METRICS_TOKEN"]
    for replica in (1, 2):
        name = f"handoff-{replica}"
        if name not in stack.processes:
            continue
        page = requests.get(f"http://127.0.0.1:{config.port('handoff', replica)}/metrics",
                            headers={"Authorization": f"Bearer {token}"}, timeout=5).text
        for family in text_string_to_metric_families(page):
            if family.name == "handoff_workers_lease_held" and family.samples[0].value == 1:
                return name
    raise AssertionError("no replica holds the workers' lease")


@pytest.fixture
def agents(scaled: Stack) -> Iterator[dict[str, Agent]]:
    """An online agent per language, offline again after the test: a chat left to an agent
    who stopped working would go back to the queue and be assigned again."""
    made = make_agents(scaled)
    yield made
    for agent in made.values():
        agent.set_presence("offline")


def make_agents(stack: Stack) -> dict[str, Agent]:
    config = stack.config
    token = config.environment()["HANDOFF_ADMIN_TOKEN"]
    agents = {}
    for language in ASK:
        agent = Agent.create(config.handoff_url, token, f"Agent{uuid.uuid4().hex[:6]}",
                             capacity=10, languages=[language])
        agent.set_presence("online")
        agents[language] = agent
    return agents


def assigned(chat: Chat, agents: dict[str, Agent]) -> bool:
    agent = agents[chat.language]
    found = agent.find(chat.customer.session_id)
    if found is None or found["status"] != "assigned":
        return False
    chat.agent, chat.handoff_id = agent, found["id"]
    return True


def open_chats(chats: list[Chat], agents: dict[str, Agent], timeout: float = 90) -> None:
    """Each customer asks for a person, and their language's agent gets the chat."""
    for chat in chats:
        chat.ask_for_a_person()
    for chat in chats:
        eventually(lambda chat=chat: assigned(chat, agents), timeout=timeout)


def exchange(chats: list[Chat], phase: str) -> None:
    """Each agent writes to each of their customers, and each customer writes back."""
    for chat in chats:
        sent = chat.agent.call("POST", f"/handoffs/{chat.handoff_id}/messages",
                               json={"text": f"{phase}: agent to {chat.customer.session_id}"})
        assert sent.status_code == 201, sent.text
        chat.customer.say(f"{phase}: customer {chat.customer.session_id}")
    for chat in chats:
        wanted = f"{phase}: agent to {chat.customer.session_id}"
        eventually(lambda chat=chat, wanted=wanted: chat.listen(0.1) or wanted in chat.heard,
                   timeout=60)
        said = f"{phase}: customer {chat.customer.session_id}"
        eventually(lambda chat=chat, said=said: said in agent_texts(
            chat.agent, chat.handoff_id, "customer"), timeout=60)


def test_the_handoff_loop_runs_through_the_balancer_on_both_replicas(
        scaled: Stack, agents: dict[str, Agent]) -> None:
    config: ScaledConfig = scaled.config  # type: ignore[assignment]
    chats = [Chat(Customer(config.handoff_url), language) for language in ASK]
    # socket.io's polling transport: a request per message, kept on one replica by the cookie
    chats.append(Chat(Customer(config.handoff_url, transports=("polling",)), "en"))
    open_chats(chats, agents)
    exchange(chats, "loop")
    served = sessions_served(config)
    for server in ("rasa1", "rasa2", "handoff1", "handoff2", "actions1", "actions2"):
        assert served[server] > 0, (server, served)
    for chat in chats:
        chat.customer.disconnect()


def test_kill_9_of_a_replica_of_every_tier_mid_chat_loses_and_doubles_nothing(
        scaled: Stack, agents: dict[str, Agent]) -> None:
    config: ScaledConfig = scaled.config  # type: ignore[assignment]
    chats = [Chat(Customer(config.handoff_url), language) for language in ASK for _ in range(5)]
    open_chats(chats, agents)
    exchange(chats, "before")

    holder = lease_holder(scaled)
    for name in ("rasa-1", "actions-1", holder):
        scaled.kill(name)
    # Customers whose socket was on the dead Rasa reconnect, as the widget does.
    time.sleep(3)
    dropped = [chat for chat in chats if not chat.customer.sio.connected]
    assert 0 < len(dropped) < len(chats)  # the balancer had spread them over both
    for chat in dropped:
        chat.listen(0.05)
        chat.reconnect(config.handoff_url)
    late = [Chat(Customer(config.handoff_url), language) for language in ("fa", "ar")]
    open_chats(late, agents)  # new requests after the fault are routed too
    exchange(chats + late, "after")

    for chat in chats + late:
        chat.listen(1.0 if chat is chats[-1] else 0.1)
    for chat in chats:
        mine = [t for t in chat.heard if t.endswith(f"to {chat.customer.session_id}")]
        assert Counter(mine) == Counter([f"before: agent to {chat.customer.session_id}",
                                         f"after: agent to {chat.customer.session_id}"])
        assert agent_texts(chat.agent, chat.handoff_id, "customer") == [
            f"before: customer {chat.customer.session_id}",
            f"after: customer {chat.customer.session_id}"]
    handoffs = create_engine(f"{config.postgres_url}/{config.databases()['handoff']}")
    with handoffs.connect() as connection:
        assignments = connection.execute(text(
            "SELECT handoff_id, COUNT(*) FROM audit_events WHERE to_status = 'assigned' "
            "GROUP BY handoff_id")).all()
    handoffs.dispose()
    ids = {chat.handoff_id for chat in chats + late}
    assert {handoff_id: count for handoff_id, count in assignments if handoff_id in ids} == {
        handoff_id: 1 for handoff_id in ids}


def test_a_restart_of_rabbitmq_loses_nothing_customers_wrote(
        scaled: Stack, agents: dict[str, Agent]) -> None:
    if shutil.which("rabbitmqctl") is None:
        pytest.skip("rabbitmqctl not found: this test restarts the machine's RabbitMQ")
    config: ScaledConfig = scaled.config  # type: ignore[assignment]
    chats = [Chat(Customer(config.handoff_url), language) for language in ("en", "he")]
    open_chats(chats, agents)
    subprocess.run(["rabbitmqctl", "stop_app"], check=True, capture_output=True, timeout=120)
    try:
        for chat in chats:
            chat.customer.say(f"while the broker was down: {chat.customer.session_id}")
    finally:
        subprocess.run(["rabbitmqctl", "start_app"], check=True, capture_output=True,
                       timeout=120)
    for chat in chats:
        said = f"while the broker was down: {chat.customer.session_id}"
        eventually(lambda chat=chat, said=said: said in agent_texts(
            chat.agent, chat.handoff_id, "customer"), timeout=120)
    exchange(chats, "after the broker")
