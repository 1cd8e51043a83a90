"""Anonymise conversation text older than the retention period (PIPL).

``python -m bot.privacy.retention --days N [--dry-run]`` works on two stores:

- Rasa's SQL tracker store (the production profile; the embedded profile keeps
  trackers in memory, gone at restart): in the ``events`` table, user and bot
  events lose their text (``text``, ``parse_data.text``, entity values, bot
  ``data``) and slot values are masked. Intents, actions, timestamps and the
  events themselves stay, so analytics keep counting.
- The console's database: web-chat messages are deleted, handoff summaries are
  masked.
- The analytics' copy of the events (``ANALYTICS_DB_URL`` when
  ``ANALYTICS_EVENTS_TABLE=analytics_events``, production), like the tracker store.

The tracker store is ``RETENTION_TRACKER_DB_URL`` or built from the production
profile's ``RASA_DB_*`` variables; the console is ``CONSOLE_DATABASE_URL``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

import sqlalchemy as sa

from bot.platform.db import create_async_engine, create_sync_engine
from bot.platform.events import analytics_events_url, events_table, tracker_store_url
from bot.privacy.logs import install_log_masking
from bot.privacy.masking import mask_data

logger = logging.getLogger(__name__)

DEFAULT_RETENTION_DAYS = 180
TEXT_EVENTS = ("user", "bot", "slot")
BATCH = 500


@dataclass
class RetentionReport:
    """What a run changed (or would change with ``--dry-run``)."""

    tracker_events: int = 0
    web_messages: int = 0
    handoff_summaries: int = 0

    def __str__(self) -> str:
        return (
            f"tracker events anonymised: {self.tracker_events}, "
            f"web-chat messages deleted: {self.web_messages}, "
            f"handoff summaries masked: {self.handoff_summaries}"
        )


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


async def clean_console(
    database_url: str, cutoff: datetime, *, dry_run: bool = False
) -> tuple[int, int]:
    """Delete old web-chat messages, mask old handoff summaries; the counts."""
    from bot.console.models import handoffs, web_messages

    engine = create_async_engine(database_url)
    try:
        async with engine.begin() as connection:
            if not await connection.run_sync(
                lambda sync: sa.inspect(sync).has_table(handoffs.name)
            ):
                return 0, 0
            old_messages = web_messages.c.created_at < cutoff
            messages = int(
                await connection.scalar(
                    sa.select(sa.func.count())
                    .select_from(web_messages)
                    .where(old_messages)
                )
                or 0
            )
            rows = (
                await connection.execute(
                    sa.select(handoffs.c.id, handoffs.c.summary).where(
                        handoffs.c.created_at < cutoff
                    )
                )
            ).all()
            masked = [
                (row.id, mask_data(row.summary))
                for row in rows
                if mask_data(row.summary) != row.summary
            ]
            if not dry_run:
                await connection.execute(sa.delete(web_messages).where(old_messages))
                for handoff_id, summary in masked:
                    await connection.execute(
                        sa.update(handoffs)
                        .where(handoffs.c.id == handoff_id)
                        .values(summary=summary)
                    )
            return messages, len(masked)
    finally:
        await engine.dispose()


def run(
    days: int,
    *,
    dry_run: bool,
    environ: Mapping[str, str],
    now: datetime | None = None,
) -> RetentionReport:
    """Apply the retention period to every configured store.

    Args:
        days: Keep conversation text this many days.
        dry_run: Count only; change nothing.
        environ: Where the database URLs come from.
        now: The current time (fixed in tests).

    Returns:
        What was (or would be) changed.
    """
    moment = now or datetime.now(timezone.utc)
    cutoff = moment - timedelta(days=days)
    report = RetentionReport()
    tracker_url = tracker_store_url(environ)
    if tracker_url is None:
        logger.info("no SQL tracker store configured (in-memory): skipped")
    else:
        engine = create_sync_engine(tracker_url)
        try:
            report.tracker_events = anonymise_tracker_store(
                engine, cutoff.timestamp(), dry_run=dry_run
            )
        finally:
            engine.dispose()
    analytics_url = analytics_events_url(environ)
    if analytics_url and environ.get("ANALYTICS_EVENTS_TABLE") == "analytics_events":
        engine = create_sync_engine(analytics_url)
        try:
            report.tracker_events += anonymise_tracker_store(
                engine, cutoff.timestamp(), dry_run=dry_run, table="analytics_events"
            )
        finally:
            engine.dispose()
    console_url = environ.get("CONSOLE_DATABASE_URL")
    if console_url:
        naive_cutoff = cutoff.astimezone(timezone.utc).replace(tzinfo=None)
        report.web_messages, report.handoff_summaries = asyncio.run(
            clean_console(console_url, naive_cutoff, dry_run=dry_run)
        )
    return report


def main(
    argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None
) -> int:
    """Command line: ``--days N`` (``RETENTION_DAYS``, 180) and ``--dry-run``."""
    env = dict(os.environ if environ is None else environ)
    parser = argparse.ArgumentParser(
        prog="python -m bot.privacy.retention", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--days",
        type=int,
        default=int(env.get("RETENTION_DAYS") or DEFAULT_RETENTION_DAYS),
        help="keep conversation text this many days (RETENTION_DAYS, 180)",
    )
    parser.add_argument("--dry-run", action="store_true", help="count, change nothing")
    args = parser.parse_args(argv)
    if args.days < 1:
        parser.error("--days must be at least 1")
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    install_log_masking()
    started = time.monotonic()
    report = run(args.days, dry_run=args.dry_run, environ=env)
    prefix = "dry run, would change: " if args.dry_run else ""
    print(f"{prefix}{report} (older than {args.days} days)")
    logger.debug("retention took %.1f s", time.monotonic() - started)
    return 0


if __name__ == "__main__":
    sys.exit(main())
