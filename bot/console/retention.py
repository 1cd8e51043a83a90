"""Anonymise conversation text older than the retention period (PIPL).

``python -m bot.console.retention --days N [--dry-run]`` works on every store
that keeps conversation text:

- Rasa's SQL tracker store: ``RETENTION_TRACKER_DB_URL``, else the production
  profile's PostgreSQL (``RASA_DB_*``), else the embedded profile's SQLite file
  (``RASA_TRACKER_DB``). In the ``events`` table, user and bot events
  lose their text (``text``, ``parse_data.text``, entity values, bot ``data``)
  and slot values are masked (``bot.privacy.anonymise``). Intents, actions,
  timestamps and the events themselves stay, so analytics keep counting.
- The analytics' copy of the events (``ANALYTICS_DB_URL`` when
  ``ANALYTICS_EVENTS_TABLE=analytics_events``, production), like the tracker store.
- The console's database (``CONSOLE_DATABASE_URL``): web-chat messages are
  deleted, handoff summaries are masked.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa

from bot.console.models import handoffs, notes, web_messages
from bot.platform.db import create_async_engine, create_sync_engine
from bot.platform.events import analytics_events_url, tracker_store_url
from bot.platform.logs import install_log_masking
from bot.platform.masking import mask_data
from bot.privacy.anonymise import anonymise_tracker_store

logger = logging.getLogger(__name__)

DEFAULT_RETENTION_DAYS = 180


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


async def clean_console(
    database_url: str, cutoff: datetime, *, dry_run: bool = False
) -> tuple[int, int]:
    """Delete old web-chat messages and notes, mask old summaries; the counts.

    Old internal notes are deleted and old transfer notes emptied too (not
    counted: the counts are of web-chat messages and handoff summaries).
    """
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
                # Internal notes and transfer notes may quote the shopper.
                await connection.execute(
                    sa.delete(notes).where(notes.c.created_at < cutoff)
                )
                await connection.execute(
                    sa.update(handoffs)
                    .where(
                        handoffs.c.created_at < cutoff,
                        handoffs.c.transfer_note.is_not(None),
                    )
                    .values(transfer_note=None)
                )
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
        prog="python -m bot.console.retention", description=__doc__.splitlines()[0]
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
