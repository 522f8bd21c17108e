"""Publishes a save's new events found with one COUNT, in one transaction.

Before each save, Rasa 3.6 (`TrackerStore.stream_events`) reads the stored conversation back in
full (every event since the session started, parsed from JSON and replayed into a tracker) only to
learn how many events are stored, and publishes the ones after that count to the event broker.
With the SQL tracker store that doubled the tracker reads of every turn and of every message an
agent sends, and a long handoff chat made it grow with each message. Here the SQL store counts
the stored events with the same query its own `save` uses, so the same events are published. The
SQL event broker then wrote each event in a transaction of its own (five commits for a typical
turn); here a save's events go in one, as the same rows. And the save itself asked for the same
count again right after: it now takes the count this publishing found (one query a save fewer).
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator

from rasa.core.brokers.sql import SQLEventBroker
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import Event
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy.orm import Session


def _publish_together(broker: SQLEventBroker, sender_id: str, events: list[Event]) -> None:
    """The rows `SQLEventBroker.publish` writes one by one, in one transaction."""
    with broker.session_scope() as session:
        for event in events:
            body = {"sender_id": sender_id}
            body.update(event.as_dict())
            session.add(broker.SQLBrokerEvent(sender_id=sender_id, data=json.dumps(body)))
        session.commit()


async def _stream_events(self: SQLTrackerStore, tracker: DialogueStateTracker) -> None:
    """Publish the tracker's events that are not stored yet."""
    if self.event_broker is None:
        return
    with self.session_scope() as session:
        stored = self._event_query(session, tracker.sender_id,
                                   fetch_events_from_all_sessions=False).count()
    new_events = list(itertools.islice(tracker.events, stored, len(tracker.events)))
    if isinstance(self.event_broker, SQLEventBroker):
        _publish_together(self.event_broker, tracker.sender_id, new_events)
    else:
        await self._stream_new_events(self.event_broker, new_events, tracker.sender_id)
    # for the save that follows at once; not kept when publishing failed (that save stops)
    _counted(self)[tracker.sender_id] = stored


def _counted(store: SQLTrackerStore) -> dict[str, int]:
    """The stored events counted by the publishing step of a save in progress, by sender."""
    return store.__dict__.setdefault("_counted_for_save", {})


_original_additional_events = SQLTrackerStore._additional_events


def _additional_events(self: SQLTrackerStore, session: Session,
                       tracker: DialogueStateTracker) -> Iterator[Event]:
    """The events of the tracker after those stored, by the count its save's publishing found
    (the same query, in the same save; a conversation is saved by one turn at a time)."""
    stored = _counted(self).pop(tracker.sender_id, None)
    if stored is None:
        return _original_additional_events(self, session, tracker)
    return itertools.islice(tracker.events, stored, len(tracker.events))


def apply() -> None:
    """Replace SQLTrackerStore.stream_events and the count of its save; call before Rasa saves
    its first tracker."""
    SQLTrackerStore.stream_events = _stream_events
    SQLTrackerStore._additional_events = _additional_events
