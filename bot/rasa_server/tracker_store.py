"""Rasa's SQL tracker store, publishing to the event broker without a second load.

Rasa 3.6's ``SQLTrackerStore.save`` first calls ``stream_events``, which loads
the conversation again from the database (query, JSON, replay of every event
of the session) only to find which events are new, then counts the stored
events once more to know which rows to insert. With the event broker of the
production profile every turn therefore loaded its tracker twice, and the
second load grows with the conversation (benchmarks/README.md, "What grows").
Here the new events are found once, by the stored count as Rasa's own insert
does, inserted, committed, and then published: the broker sees exactly the
rows that were stored, in order.

It is built on ``WindowedSQLTrackerStore`` (bot/rasa_server/tracker_window.py):
``retrieve`` loads the session as a snapshot plus its last
``TRACKER_WINDOW_EVENTS`` events, and the new events are those added since
that load (by the stored count, as Rasa does, for a tracker it did not load).

Configure it in ``endpoints.production.yml``::

    tracker_store:
      type: bot.rasa_server.tracker_store.BrokeredSQLTrackerStore
      dialect: postgresql
      url: <host>
      ...  # the arguments of Rasa's ``type: sql``
"""

from __future__ import annotations

import logging

from rasa.shared.core.events import Event
from rasa.shared.core.trackers import DialogueStateTracker

from bot.rasa_server.tracker_window import WindowedSQLTrackerStore

logger = logging.getLogger(__name__)


class BrokeredSQLTrackerStore(WindowedSQLTrackerStore):
    """``WindowedSQLTrackerStore`` whose ``save`` publishes the events it inserts."""

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Insert the events not stored yet, commit, then publish them."""
        with self.session_scope() as session:
            new_events: list[Event] = list(self._additional_events(session, tracker))
            self.insert_events(session, tracker.sender_id, new_events)
            session.commit()
        if self.event_broker is not None and new_events:
            await self._stream_new_events(
                self.event_broker, new_events, tracker.sender_id
            )
        logger.debug("stored %d event(s) of %s", len(new_events), tracker.sender_id)
