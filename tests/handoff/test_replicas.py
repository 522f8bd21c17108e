"""Several replicas of the service on one PostgreSQL database: one at a time holds the workers'
lease and hands it on when it goes; an agent's messages reach the customer once, whichever
replicas send them; database migrations run once when replicas start together."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine

from handoff import canned
from handoff.app import create_app, seed_canned
from handoff.lease import Lease, while_held
from handoff.migrate import upgrade
from handoff.models import CannedResponse
from handoff.services import make_services
from handoff.settings import Settings
from tests.handoff.support import (
    RasaApi,
    RasaEvents,
    admin_headers,
    escalate,
    make_agent,
    postgres_database,
    wait_for,
)


@pytest.fixture
def database_url() -> Iterator[str]:
    """Replicas share a database: PostgreSQL only (SQLite is one machine's, one replica's)."""
    url, drop = postgres_database()
    yield url
    drop()


def test_one_replica_at_a_time_holds_the_lease_and_the_next_takes_it(database_url: str) -> None:
    engine = create_engine(database_url)
    ran: list[str] = []

    async def scenario() -> None:
        first, second = Lease(engine), Lease(engine)
        stop_first, stop_second = asyncio.Event(), asyncio.Event()

        async def work(name: str, lost: asyncio.Event) -> None:
            ran.append(f"{name} starts")
            await lost.wait()
            ran.append(f"{name} stops")

        tasks = [asyncio.create_task(first.run(stop_first)),
                 asyncio.create_task(while_held(first, stop_first,
                                                lambda lost: work("first", lost)))]
        while not first.held:
            await asyncio.sleep(0.05)
        tasks += [asyncio.create_task(second.run(stop_second)),
                  asyncio.create_task(while_held(second, stop_second,
                                                 lambda lost: work("second", lost)))]
        await asyncio.sleep(2.5)  # the second asked at least twice
        assert (first.held, second.held) == (True, False)
        stop_first.set()  # the first replica goes away
        began = time.monotonic()
        while not second.held:
            assert time.monotonic() - began < 5, "the lease was not taken over"
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.2)
        stop_second.set()
        await asyncio.gather(*tasks)

    asyncio.run(scenario())
    engine.dispose()
    assert ran == ["first starts", "first stops", "second starts", "second stops"]


def test_replicas_migrating_together_leave_one_schema(database_url: str) -> None:
    pool = ThreadPoolExecutor(max_workers=3)
    try:  # without turns they collide, or wait on each other for good
        for done in [pool.submit(upgrade, database_url) for _ in range(3)]:
            done.result(timeout=60)
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


def test_an_agent_message_reaches_the_customer_once_whichever_replicas_send_it(
        settings: Settings, rasa: RasaApi) -> None:
    """Both replicas deliver the same handoff's undelivered messages at the same moment (the
    one the agent wrote through, and the lease holder's retries): each arrives once, in order."""
    settings = settings.model_copy(update={"rasa_url": f"http://127.0.0.1:{rasa.server_port}"})
    RasaEvents(settings.events_url)
    with TestClient(create_app(settings)) as first, TestClient(create_app(settings)) as second:
        ticket = escalate(first, "conv-1")
        sara = make_agent(first)
        assert first.post(f"/api/v1/handoffs/{ticket['id']}/claim", headers=sara).is_success
        rasa.failing = True  # Rasa restarting: the messages wait in the outbox
        texts = [f"پیام {n}" for n in range(20)]
        for n, text in enumerate(texts):
            replica = first if n % 2 else second
            sent = replica.post(f"/api/v1/handoffs/{ticket['id']}/messages",
                                json={"text": text}, headers=sara)
            assert sent.status_code == 201, sent.text
        rasa.failing = False

        with ThreadPoolExecutor(max_workers=4) as pool:  # each on its replica's own loop
            for done in [pool.submit(client.portal.call,
                                     client.app.state.services.outbox.flush, ticket["id"])
                         for client in (first, second, first, second)]:
                done.result()
    delivered = [body["text"] for body in rasa.received if body.get("event") == "bot"]
    assert delivered == texts


def test_both_replicas_are_ready_though_one_reads_rasas_events(
        settings: Settings, rasa: RasaApi) -> None:
    """The replica without the lease reads no events, and is ready all the same."""
    settings = settings.model_copy(update={"rasa_url": f"http://127.0.0.1:{rasa.server_port}"})
    RasaEvents(settings.events_url)
    with TestClient(create_app(settings)) as first, TestClient(create_app(settings)) as second:
        replicas = (first, second)
        wait_for(lambda: any(c.app.state.services.lease.held for c in replicas))
        held = [c.app.state.services.lease.held for c in replicas]
        assert sorted(held) == [False, True]
        for client in replicas:
            checks = wait_for(lambda client=client: (
                lambda r: r.json()["checks"] if r.json()["checks"]["event_consumer"]["ok"]
                else None)(client.get("/readyz")))
            assert checks["event_consumer"]["ok"] is True
        idle = replicas[held.index(False)].get("/readyz").json()["checks"]["event_consumer"]
        assert idle["detail"] == "another replica reads Rasa's events"


def test_a_handoff_filed_late_on_the_replica_not_reading_events_gets_the_messages(
        settings: Settings) -> None:
    """The customer wrote while the service was down; the late filing reaches the replica that
    does not read Rasa's events, which records them itself, up to where the reader is."""
    events = RasaEvents(settings.events_url)
    with TestClient(create_app(settings)) as first, TestClient(create_app(settings)) as second:
        replicas = (first, second)
        wait_for(lambda: any(c.app.state.services.consumer.running for c in replicas))
        reader = next(c for c in replicas if c.app.state.services.consumer.running)
        other = second if reader is first else first
        asked = time.time()
        for text in ("سفارشم ۵۸۲۳۱ است", "are you there? 🙂"):
            events.user("conv-late", text)
        # read past, and the offset saved with them: there was no handoff to record them for
        wait_for(lambda: reader.app.state.services.consumer.position == 2)
        ticket = escalate(other, "conv-late", reference="LATE42", escalated_at=asked)
        sara = make_agent(other)
        events.user("conv-late", "after the filing")  # the reader's, as usual

        def texts() -> list[str]:
            detail = other.get(f"/api/v1/handoffs/{ticket['id']}", headers=sara).json()
            return [m["text"] for m in detail["messages"] if m["sender"] == "customer"]

        wait_for(lambda: texts() == ["سفارشم ۵۸۲۳۱ است", "are you there? 🙂",
                                     "after the filing"])


def test_agents_taking_the_next_chat_through_both_replicas_never_share_one(
        settings: Settings) -> None:
    """20 waiting chats, 10 agents (capacity 3) each asking for their next chats at once, half
    through one replica and half through the other: every chat goes to one agent, once."""
    RasaEvents(settings.events_url)
    with TestClient(create_app(settings)) as first, TestClient(create_app(settings)) as second:
        tickets = [escalate(first, f"conv-{n}") for n in range(20)]
        agents = [(replica, make_agent(first, f"agent{n}@example.com"))
                  for n, replica in enumerate([first, second] * 5)]

        def take(replica: TestClient, headers: dict[str, str]) -> list[int]:
            taken = []
            for _ in range(3):
                response = replica.post("/api/v1/handoffs/next", headers=headers)
                assert response.status_code == 200, response.text
                if response.json() is not None:
                    taken.append(response.json()["id"])
            return taken

        with ThreadPoolExecutor(max_workers=len(agents)) as pool:
            taken = [pool.submit(take, *agent) for agent in agents]
            claims = [handoff_id for done in taken for handoff_id in done.result()]
    assert sorted(claims) == sorted(ticket["id"] for ticket in tickets)


def test_replicas_starting_at_the_same_moment_all_start_and_seed_once(
        settings: Settings) -> None:
    """Each migrates (in turn) and seeds the canned responses into an empty table, once."""
    RasaEvents(settings.events_url)
    clients = [TestClient(create_app(settings)) for _ in range(3)]
    with ThreadPoolExecutor(max_workers=3) as pool:
        started = [pool.submit(client.__enter__) for client in clients]
        try:
            for done in started:
                done.result(timeout=60)
            keys = [r["key"] for r in clients[0].get(
                "/api/v1/admin/canned-responses", headers=admin_headers(clients[0])).json()]
            assert len(keys) == len(set(keys)) > 0
        finally:
            for client, done in zip(clients, started, strict=True):
                if done.done() and done.exception() is None:
                    client.__exit__(None, None, None)


def test_a_replica_seeding_beside_another_starts_all_the_same(settings: Settings) -> None:
    """Two replicas both find the canned responses' table empty; the second one's rows collide
    with the first one's: that is no error (it stopped a replica's start once)."""
    upgrade(settings.database_url)
    services = make_services(settings)
    entries = canned.read_file(settings.canned_responses)
    with services.sessions() as first:  # the other replica, between its count and its commit
        first.add_all(CannedResponse(key=e.key, texts=e.texts) for e in entries)
        first.flush()
        with ThreadPoolExecutor(max_workers=1) as pool:
            second = pool.submit(seed_canned, services)
            time.sleep(0.5)  # the second counts none and waits on the first's rows
            first.commit()
            second.result(timeout=30)  # no IntegrityError
    with services.sessions() as session:
        assert len(canned.all_responses(session)) == len(entries)
