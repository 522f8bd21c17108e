"""The FastAPI application: routes, limits, error mapping, and the background workers' lifecycle."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Coroutine
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request, status
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from handoff import canned
from handoff.api import (
    admin,
    agents,
    auth,
    bot,
    console,
    handoffs,
    health,
    inbox,
    live,
    metrics,
    pages,
    reports,
    teams,
    training,
    widget,
)
from handoff.event_consumer import Batch
from handoff.events import Event, Kind, about
from handoff.lease import Worker, while_held
from handoff.migrate import upgrade
from handoff.models import Handoff
from handoff.moves import Answered
from handoff.queue import HandoffConflict
from handoff.redis_hub import RedisHub
from handoff.request_metrics import RequestMetrics
from handoff.security import HashingBusy
from handoff.security_headers import SecurityHeaders
from handoff.services import Services, make_services
from handoff.settings import Settings
from handoff.supervisor import Work

logger = logging.getLogger(__name__)

# The API's routers, in the order they are mounted (the pages last: they hold the static files).
ROUTES = (health, metrics, auth, agents, teams, admin, bot, handoffs, console, inbox, training,
          reports, live, widget)


def moved_event(services: Services, answered: Answered) -> Event:
    """HANDOFF_MOVED (the chat now lives on the new channel) or MOVE_DECLINED."""
    with services.sessions() as session:
        handoff = session.get(Handoff, answered.handoff_id)
        return about(Kind.HANDOFF_MOVED if answered.accepted else Kind.MOVE_DECLINED, handoff,
                     conversation_id=answered.conversation_id,
                     from_conversation_id=answered.from_conversation_id)


def seed_canned(services: Services) -> None:
    """The canned responses of HANDOFF_CANNED_RESPONSES, into an empty table (a first start)."""
    try:
        with services.sessions() as session:
            canned.seed(session, services.settings.canned_responses)
    except (OSError, canned.CannedResponsesInvalid) as error:
        logger.error("canned responses not seeded: %s", error)
    except IntegrityError:  # another replica, starting at the same moment, seeded them
        logger.info("canned responses seeded by another replica")


def _workers(services: Services, stop: asyncio.Event) -> list[asyncio.Task[None]]:
    """The event consumer (customers' messages), the outbox (agents' messages), the assigner,
    the fetcher of customers' photos and the trainers' inbox (all but the assigner on one
    replica at a time: handoff/lease.py), plus on PostgreSQL the listener for Rasa's event
    table's notifications, with Redis the other replicas' live events, and with RabbitMQ the
    writer of Rasa's events into that table. Each is restarted when it fails
    (handoff/supervisor.py)."""
    settings = services.settings

    async def customer_wrote(batch: Batch) -> None:
        for item in batch.recorded:
            services.events.emit(item.event())
        for answered in batch.moved:
            services.events.emit(await asyncio.to_thread(moved_event, services, answered))

    lease = services.lease  # one replica at a time reads Rasa's events and retries

    def held(work: Worker) -> Coroutine[Any, Any, None]:
        return while_held(lease, stop, work)

    workers: dict[str, Work] = {
        "lease": lambda: lease.run(stop),
        "event_consumer": lambda: held(lambda lost: services.consumer.run(
            settings.poll_interval, lost, customer_wrote, settings.notified_poll_interval)),
        "outbox": lambda: held(lambda lost: services.outbox.run(2.0, lost)),
        "assigner": lambda: services.assigner.run(stop),
        "photo_fetcher": lambda: held(lambda lost: services.attachments.run(1.0, lost)),
        "inbox": lambda: held(lambda lost: services.inbox.run(settings.inbox_poll_interval,
                                                              lost)),
    }
    if (wakeup := services.wakeup) is not None:
        workers["event_wakeup"] = lambda: wakeup.run(stop)
    if isinstance(hub := services.hub, RedisHub):  # the other replicas' live events
        workers["redis_hub"] = lambda: hub.run(stop)
    if (journal := services.journal) is not None:  # Rasa's events, from RabbitMQ
        workers["rabbitmq_journal"] = lambda: journal.run(stop)
    return [services.workers.start(name, work, stop) for name, work in workers.items()]


def create_app(settings: Settings) -> FastAPI:
    services = make_services(settings)
    services.metrics.watch_workers(services.workers)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await asyncio.to_thread(upgrade, settings.database_url)
        await asyncio.to_thread(seed_canned, services)
        loop = asyncio.get_running_loop()
        services.hub.bind(loop)
        services.announcer.bind(loop)
        services.continuity.bind(loop)
        stop = asyncio.Event()
        tasks = _workers(services, stop)
        yield
        stop.set()
        services.assigner.wake.set()
        await asyncio.gather(*tasks)
        if isinstance(services.hub, RedisHub):
            await services.hub.aclose()
        await services.training.aclose()
        await services.rasa.aclose()
        await services.attachments.aclose()
        services.engine.dispose()
        services.events_engine.dispose()

    app = FastAPI(
        title="Handoff service",
        version="1",
        description="The human tier behind the Rasa bot: queue, routing, agents, live chat.",
        lifespan=lifespan,
        # FastAPI's own limit counts the bytes as they arrive, so a chunked request without a
        # Content-Length is held to it too (413)
        max_body_size=settings.max_body_bytes,
    )
    app.state.services = services
    app.add_middleware(RequestMetrics, metrics=services.metrics)
    app.add_middleware(SecurityHeaders, socket_url=settings.widget_socket_url)
    # the client's address behind HANDOFF_TRUSTED_PROXIES only (uvicorn's own is off: __main__)
    app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxy_list)

    @app.exception_handler(HandoffConflict)
    async def conflict(request: Request, error: HandoffConflict) -> JSONResponse:
        """A handoff not in a state that allows the operation (claimed already, resolved...)."""
        return JSONResponse({"detail": str(error)}, status_code=status.HTTP_409_CONFLICT)

    @app.exception_handler(HashingBusy)
    async def hashing_busy(request: Request, error: HashingBusy) -> JSONResponse:
        """A flood of sign-ins: the ones beyond what the process hashes at once come back."""
        return JSONResponse({"detail": "too many sign-ins at once; try again"},
                            status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
                            headers={"Retry-After": "1"})

    for module in ROUTES:
        app.include_router(module.routes)
    pages.mount(app)
    return app
