"""The FastAPI application: routers, limits, and the background consumers' lifecycle."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

from handoff.api import agents, handoffs
from handoff.db import Base, make_engine, make_session_factory
from handoff.delivery import Outbox
from handoff.event_consumer import EventConsumer
from handoff.rasa_client import RasaClient
from handoff.settings import Settings


def create_app(settings: Settings) -> FastAPI:
    engine = make_engine(settings.database_url)
    events_engine = make_engine(settings.events_url)
    sessions = make_session_factory(engine)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        Base.metadata.create_all(engine)
        rasa = RasaClient(settings.rasa_url, settings.rasa_token)
        app.state.rasa = rasa
        app.state.outbox = Outbox(sessions, rasa)
        stop = asyncio.Event()
        consumer = EventConsumer(events_engine, sessions)
        tasks = [
            asyncio.create_task(consumer.run(settings.poll_interval, stop)),
            asyncio.create_task(app.state.outbox.run(2.0, stop)),
        ]
        yield
        stop.set()
        await asyncio.gather(*tasks)
        await rasa.aclose()
        engine.dispose()
        events_engine.dispose()

    app = FastAPI(title="Handoff service", version="1", lifespan=lifespan)
    app.state.settings = settings
    app.state.sessions = sessions

    @app.middleware("http")
    async def limit_body(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        length = request.headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > settings.max_body_bytes):
            return JSONResponse({"detail": "request body too large"}, status_code=413)
        return await call_next(request)

    @app.get("/healthz", tags=["ops"])
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    app.include_router(agents.router)
    app.include_router(handoffs.router)
    return app
