"""The service's long-lived parts, made once per app and handed to endpoints as typed
dependencies (handoff/dependencies.py)."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Engine, select
from sqlalchemy.orm import sessionmaker

from handoff import bot_sessions, listeners
from handoff.assigner import Assigner
from handoff.attachments import Fetcher, Limits
from handoff.continuity import Continuity
from handoff.db import make_engine, make_session_factory
from handoff.delivery import Outbox, Outgoing
from handoff.event_consumer import EventConsumer
from handoff.event_wakeup import EventWakeup
from handoff.events import Dispatcher, Event, Kind
from handoff.hub import Hub
from handoff.inbox import InboxCollector
from handoff.lease import Lease
from handoff.metrics import Metrics
from handoff.models import Attachment, Handoff
from handoff.nlu_data import NluData
from handoff.notices import Announcer, CustomerNotices
from handoff.rabbitmq_journal import Journal, RabbitMQJournal
from handoff.rasa_client import RasaClient
from handoff.redis_hub import RedisHub
from handoff.schemas import MessageOut
from handoff.settings import Settings
from handoff.sign_in_limits import SignInLimiter
from handoff.sqlite_wakeup import SqliteWakeup
from handoff.supervisor import Supervisor
from handoff.training import ModelTraining


@dataclass
class Services:
    settings: Settings
    engine: Engine
    events_engine: Engine  # Rasa's event broker's database
    sessions: sessionmaker
    hub: Hub
    events: Dispatcher
    rasa: RasaClient
    notices: CustomerNotices
    announcer: Announcer
    assigner: Assigner
    outbox: Outbox
    attachments: Fetcher
    continuity: Continuity
    consumer: EventConsumer  # customers' messages, from Rasa's event table
    wakeup: EventWakeup | SqliteWakeup | None  # Rasa's new events: notified, or seen at once
    sign_in_limits: SignInLimiter
    inbox: InboxCollector  # what the bot did not understand, for the trainers
    nlu_data: NluData  # the files the trainers' decisions are written to
    training: ModelTraining  # new models trained, reported and promoted from the page
    metrics: Metrics  # what operators scrape at /metrics
    journal: RabbitMQJournal | None  # Rasa's events from RabbitMQ into the event table
    lease: Lease  # which replica runs the readers of Rasa's events and the retry loops
    workers: Supervisor = field(default_factory=Supervisor)  # the background loops, restarted


def make_services(settings: Settings) -> Services:
    engine = make_engine(settings.database_url)
    sessions = make_session_factory(engine)
    hub = (RedisHub(settings.redis_url, settings.redis_channel) if settings.redis_url
           else Hub())
    events = Dispatcher()
    rasa = RasaClient(settings.rasa_url, settings.rasa_jwt_secret)
    notices = CustomerNotices(rasa)
    announcer = Announcer(sessions, notices)
    assigner = Assigner(sessions, settings, events, notices)
    continuity = Continuity(sessions, rasa, notices)
    metrics = Metrics()
    for listener in (listeners.live_feed(hub), listeners.assigner_wake(assigner),
                     listeners.customer_status(announcer), continuity.hear,
                     listeners.inbox_escalations(sessions), listeners.metrics(metrics, sessions),
                     listeners.event_log):
        events.listen(listener)

    def delivered(message: Outgoing, delivered_at: float) -> None:
        shown = MessageOut(id=message.message_id, handoff_id=message.handoff_id, sender="agent",
                           text=message.text, agent_id=message.agent_id,
                           created_at=message.created_at, delivered_at=delivered_at)
        events.emit(Event(Kind.MESSAGE_DELIVERED, message.handoff_id, message.team_id,
                          message.agent_id, {"message_id": message.message_id,
                                             "message": shown.model_dump(mode="json")}))

    def undeliverable(message: Outgoing, reason: str) -> None:
        shown = MessageOut(id=message.message_id, handoff_id=message.handoff_id, sender="agent",
                           text=message.text, agent_id=message.agent_id,
                           created_at=message.created_at, delivered_at=None,
                           undeliverable_reason=reason)
        events.emit(Event(Kind.MESSAGE_UNDELIVERABLE, message.handoff_id, message.team_id,
                          message.agent_id, {"message_id": message.message_id,
                                             "message": shown.model_dump(mode="json")}))

    def fetched(attachment_id: int) -> None:
        with sessions() as session:
            handoff_id, ready = session.execute(  # not the photo's bytes
                select(Attachment.handoff_id, Attachment.data.is_not(None))
                .where(Attachment.id == attachment_id)).one()
            handoff = session.get(Handoff, handoff_id)
            events.emit(Event(Kind.ATTACHMENT_FETCHED, handoff.id, handoff.team_id,
                              handoff.agent_id, {"attachment": {
                                  "id": attachment_id, "ready": ready}}))

    events_engine = make_engine(settings.events_url)
    wakeup = (EventWakeup(events_engine) if events_engine.dialect.name == "postgresql"
              else SqliteWakeup.of(events_engine))
    consumer = EventConsumer(events_engine, sessions, wakeup=wakeup, turns=metrics.turns,
                             photo_limits=Limits.of(settings))
    metrics.watch_state(sessions, events_engine, consumer)
    journal = (RabbitMQJournal(Journal(events_engine), settings.rabbitmq_url,
                               settings.rabbitmq_queue, settings.rabbitmq_exchange)
               if settings.rabbitmq_url else None)
    if journal is not None:
        metrics.watch_journal(journal)
    lease = Lease(engine)
    metrics.watch_lease(lease)
    outbox = Outbox(sessions, rasa, delivered, undeliverable, settings.delivery_attempts)
    return Services(settings, engine, events_engine, sessions, hub, events,
                    rasa, notices, announcer, assigner, outbox,
                    Fetcher(sessions, settings, fetched), continuity,
                    consumer, wakeup,
                    SignInLimiter(settings.sign_in_account_limits,
                                  settings.sign_in_address_limits, settings.rate_limit_storage),
                    InboxCollector(events_engine, sessions, readers=[bot_sessions.record]),
                    NluData(settings.project_dir),
                    ModelTraining(settings.project_dir, settings.rasa_python,
                                  settings.report_folds, rasa), metrics, journal, lease)
