"""The FastAPI application: routers, limits, and the background workers' lifecycle."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from common.protocol import STATUS_INTENT
from handoff.api import agents, bot, console, handoffs, live, pages, teams, widget
from handoff.db import make_engine, make_session_factory
from handoff.delivery import Outbox, Outgoing
from handoff.event_consumer import EventConsumer, Recorded
from handoff.event_wakeup import EventWakeup
from handoff.hub import Hub
from handoff.migrate import upgrade
from handoff.models import Handoff
from handoff.notices import CustomerNotices
from handoff.rasa_client import RasaClient
from handoff.router import Notice, Router, notice_for
from handoff.settings import Settings


def create_app(settings: Settings) -> FastAPI:
    engine = make_engine(settings.database_url)
    events_engine = make_engine(settings.events_url)
    sessions = make_session_factory(engine)
    hub = Hub()

    def delivered(message: Outgoing) -> None:
        hub.publish("message.delivered", team_id=message.team_id, agent_id=message.agent_id,
                    handoff_id=message.handoff_id, message_id=message.message_id)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await asyncio.to_thread(upgrade, settings.database_url)
        hub.bind(asyncio.get_running_loop())
        rasa = RasaClient(settings.rasa_url, settings.rasa_token)
        notices = CustomerNotices(rasa)
        router = Router(sessions, settings, hub, notices)
        app.state.rasa, app.state.router = rasa, router
        app.state.outbox = Outbox(sessions, rasa, delivered)

        def announce(recorded: list[Recorded]) -> list[Notice]:
            """Agents see each message live; status questions get their answer prepared."""
            asked = []
            with sessions() as session:
                for item in recorded:
                    handoff = session.get(Handoff, item.handoff_id)
                    hub.publish("message.created", team_id=handoff.team_id,
                                agent_id=handoff.agent_id, handoff_id=handoff.id,
                                message_id=item.message_id, sender="customer")
                    if item.intent == STATUS_INTENT:
                        asked.append(notice_for(session, handoff))
            return asked

        async def customer_wrote(recorded: list[Recorded]) -> None:
            """"Where is my request?" during a handoff is answered by the service itself."""
            for notice in await asyncio.to_thread(announce, recorded):
                await notices.send(notice.conversation_id, notice.language, notice.response,
                                   status=notice.status, **notice.values)

        stop = asyncio.Event()
        postgres = events_engine.dialect.name == "postgresql"
        wakeup = EventWakeup(events_engine) if postgres else None
        consumer = EventConsumer(events_engine, sessions, wakeup=wakeup)
        tasks = [
            asyncio.create_task(consumer.run(settings.poll_interval, stop, customer_wrote,
                                             settings.notified_poll_interval)),
            asyncio.create_task(app.state.outbox.run(2.0, stop)),
            asyncio.create_task(router.run(stop)),
        ]
        if wakeup is not None:
            tasks.append(asyncio.create_task(wakeup.run(stop)))
        yield
        stop.set()
        router.wake.set()
        await asyncio.gather(*tasks)
        await rasa.aclose()
        engine.dispose()
        events_engine.dispose()

    app = FastAPI(
        title="Handoff service",
        version="1",
        description="The human tier behind the Rasa bot: queue, routing, agents, live chat.",
        lifespan=lifespan,
        # FastAPI's own limit counts the bytes as they arrive, so a chunked request without a
        # Content-Length is held to it too (413)
        max_body_size=settings.max_body_bytes,
    )
    app.state.settings = settings
    app.state.sessions = sessions
    app.state.hub = hub

    @app.get("/healthz", tags=["ops"])
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    for module in (agents, teams, bot, handoffs, console, live, widget):
        app.include_router(module.router)
    pages.mount(app)
    return app
