"""Read conversation events from a table laid out like Rasa's SQL tracker store."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from bot.platform.events import events_table

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class EventRow:
    """One stored event of one conversation."""

    sender_id: str
    timestamp: float  # Unix seconds
    event: dict[str, Any]  # the Rasa event dict (the ``data`` column, parsed)


def row_values(sender_id: str, event: dict[str, Any]) -> dict[str, Any]:
    """The column values Rasa's ``SQLTrackerStore.save`` writes for ``event``.

    Args:
        sender_id: The conversation.
        event: The event dict (``Event.as_dict()``), without ``sender_id``.
    """
    parse_data = event.get("parse_data")
    intent = parse_data.get("intent") if isinstance(parse_data, dict) else None
    timestamp = event.get("timestamp")
    return {
        "sender_id": sender_id,
        "type_name": str(event.get("event")),
        "timestamp": float(timestamp) if isinstance(timestamp, (int, float)) else None,
        "intent_name": intent.get("name") if isinstance(intent, dict) else None,
        "action_name": event.get("name"),
        "data": json.dumps(event, ensure_ascii=False),
    }


def _row(sender_id: str, timestamp: float | None, data: str | None) -> EventRow | None:
    try:
        event = json.loads(data) if data else None
    except ValueError:
        event = None
    if not isinstance(event, dict):
        logger.warning("skipped an unreadable event of conversation %s", sender_id)
        return None
    if timestamp is None:
        stamp = event.get("timestamp")
        timestamp = float(stamp) if isinstance(stamp, (int, float)) else 0.0
    return EventRow(sender_id=sender_id, timestamp=float(timestamp), event=event)


def load_events(
    engine: sa.engine.Engine,
    table: str,
    *,
    since: float | None = None,
    until: float | None = None,
) -> list[EventRow]:
    """Every event of the conversations that had a user message in a time range.

    A sender is read whole when one of its ``user`` events has
    ``since <= timestamp < until`` (either bound may be ``None``): a session
    whose first user message is in range then comes with the session start
    before it and the agent's replies after ``until``. The exact day filter
    is :func:`bot.analytics.metrics.compute`'s job.

    Args:
        engine: A synchronous engine on the database.
        table: The events table (``events`` or ``analytics_events``).
        since: Unix seconds, inclusive.
        until: Unix seconds, exclusive.

    Returns:
        The events ordered by sender_id, then id (the order they were stored).
    """
    events = events_table(table)
    query = sa.select(events.c.sender_id, events.c.timestamp, events.c.data)
    if since is not None or until is not None:
        senders = sa.select(events.c.sender_id).where(events.c.type_name == "user")
        if since is not None:
            senders = senders.where(events.c.timestamp >= since)
        if until is not None:
            senders = senders.where(events.c.timestamp < until)
        query = query.where(events.c.sender_id.in_(senders.distinct()))
    query = query.order_by(events.c.sender_id, events.c.id)
    with engine.connect() as connection:
        result = connection.execute(query)
        rows = (_row(row.sender_id, row.timestamp, row.data) for row in result)
        return [row for row in rows if row is not None]
