"""Take the conversation text out of Rasa's events (PIPL), keeping what analytics count.

The rules say what in an event is personal (``anonymise_event`` for the
retention period, ``erase_event`` for a shopper's deletion request); the two
table functions apply them to an events table (``bot.platform.events``: Rasa's
tracker store or the analytics' copy of it), row by row. Retention
(``bot.console.retention``) and deletion requests (``bot.console.erasure``)
decide when and where.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from bot.platform.events import events_table
from bot.platform.masking import mask_data

TEXT_EVENTS = ("user", "bot", "slot")
BATCH = 500

#: What a bot event's metadata keeps: which response, which model, which agent.
BOT_METADATA_KEPT = frozenset(
    {"utter_action", "template", "model_id", "assistant_id", "agent"}
)

#: Slots that hold no personal data and that the analytics count.
NON_PERSONAL_SLOTS = frozenset(
    {"flow_outcome", "satisfaction", "handoff_reason", "requested_slot"}
)


def anonymise_event(data: dict[str, Any]) -> dict[str, Any] | None:
    """The event without its conversation text, or ``None`` if nothing to remove.

    Args:
        data: One event as Rasa stores it (the ``data`` column, parsed).
    """
    kind = data.get("event")
    result = dict(data)
    if kind in ("user", "bot"):
        result["text"] = None
    if kind == "user" and isinstance(data.get("parse_data"), dict):
        parse_data = dict(data["parse_data"])
        parse_data["text"] = None
        parse_data["entities"] = [
            {key: value for key, value in entity.items() if key != "value"}
            for entity in parse_data.get("entities") or []
            if isinstance(entity, dict)
        ]
        parse_data.pop("response_selector", None)
        result["parse_data"] = parse_data
    if kind == "bot" and data.get("data"):
        result["data"] = {}
    if kind == "bot" and isinstance(data.get("metadata"), dict):
        # Rasa keeps a response's variables (points, names, addresses) here.
        result["metadata"] = {
            key: value
            for key, value in data["metadata"].items()
            if key in BOT_METADATA_KEPT
        }
    if kind == "slot":
        result["value"] = mask_data(data.get("value"))
    return None if result == data else result


def erase_event(data: dict[str, Any]) -> dict[str, Any] | None:
    """Like ``anonymise_event``, but remembered values go entirely.

    A deletion request removes every slot value except the few that describe
    the service, not the shopper (``NON_PERSONAL_SLOTS``).
    """
    result = anonymise_event(data) or dict(data)
    if data.get("event") == "slot" and data.get("name") not in NON_PERSONAL_SLOTS:
        result["value"] = None
    return None if result == data else result


def anonymise_tracker_store(
    engine: sa.engine.Engine,
    cutoff: float,
    *,
    dry_run: bool = False,
    table: str = "events",
) -> int:
    """Anonymise events older than ``cutoff`` (a Unix time); how many changed.

    ``table`` is ``events`` (Rasa's tracker store) or ``analytics_events`` (the
    event-broker copy, same layout); a missing table has nothing to change.
    """
    events = events_table(table)
    if not sa.inspect(engine).has_table(table):
        return 0
    changed = _anonymise(engine, events.c.timestamp < cutoff, events, dry_run=dry_run)
    return sum(changed.values())


@dataclass(frozen=True)
class ErasedEvents:
    """What a deletion request emptied in one events table.

    Attributes:
        messages: Shopper and bot messages that lost their text.
        slots: Remembered values (phone number, order, ...) masked.
    """

    messages: int = 0
    slots: int = 0

    def __add__(self, other: ErasedEvents) -> ErasedEvents:
        return ErasedEvents(self.messages + other.messages, self.slots + other.slots)


def erase_conversation(
    engine: sa.engine.Engine, sender_id: str, table: str = "events"
) -> ErasedEvents:
    """Anonymise every event of ``sender_id`` (a shopper's deletion request).

    Rows are kept and only emptied: Rasa's ``SQLTrackerStore.save`` appends
    the events beyond the stored count, so deleting rows while the
    conversation goes on would make it store the old events again.

    Args:
        engine: The database of the events table.
        sender_id: The conversation.
        table: ``events`` (Rasa's tracker store) or ``analytics_events`` (the
            copy the event-broker consumer keeps); same layout. A missing table
            holds nothing to erase.

    Returns:
        What lost its text.
    """
    events = events_table(table)
    if not sa.inspect(engine).has_table(table):
        return ErasedEvents()
    changed = _anonymise(
        engine, events.c.sender_id == sender_id, events, change=erase_event
    )
    return ErasedEvents(
        messages=changed["user"] + changed["bot"], slots=changed["slot"]
    )


def _anonymise(
    engine: sa.engine.Engine,
    where: Any,
    events: sa.Table,
    *,
    dry_run: bool = False,
    change: Callable[[dict[str, Any]], dict[str, Any] | None] = anonymise_event,
) -> Counter[str]:
    changed: Counter[str] = Counter()
    last_id = 0
    while True:
        with engine.begin() as connection:
            rows = connection.execute(
                sa.select(events.c.id, events.c.type_name, events.c.data)
                .where(
                    events.c.id > last_id,
                    where,
                    events.c.type_name.in_(TEXT_EVENTS),
                )
                .order_by(events.c.id)
                .limit(BATCH)
            ).all()
            for row in rows:
                try:
                    data = json.loads(row.data)
                except (TypeError, ValueError):
                    continue
                new = change(data) if isinstance(data, dict) else None
                if new is None:
                    continue
                changed[row.type_name] += 1
                if not dry_run:
                    connection.execute(
                        sa.update(events)
                        .where(events.c.id == row.id)
                        .values(data=json.dumps(new, ensure_ascii=False))
                    )
        if len(rows) < BATCH:
            return changed
        last_id = rows[-1].id
