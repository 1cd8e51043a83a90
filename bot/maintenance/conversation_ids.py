"""Rename conversations stored before ids named their channel (upgrade step).

``python -m bot.maintenance.conversation_ids [--dry-run]`` gives every
conversation whose id has no channel prefix (``bot.platform.conversation_ids``)
the id it would have today: ``wechat:<openid>`` when its messages came through
the WeChat channel, else ``rest:<id>`` (the web chat used to go through the
REST channel with a browser-chosen id; the new web chat issues its own ids, so
those conversations are kept under ``rest:``). It renames them in Rasa's SQL
tracker store, in the analytics copy (``analytics_events``, production) and in
the console's handoffs and web-chat messages, so history, analytics, deletion
and retention keep finding them. Run it once, with the Rasa server stopped.
The CRM's bindings need nothing: they were and are keyed by the channel's own
id (the openid). Settings as for retention: ``RETENTION_TRACKER_DB_URL`` or the
``RASA_DB_*`` / ``RASA_TRACKER_DB`` variables, ``ANALYTICS_DB_URL`` with
``ANALYTICS_EVENTS_TABLE=analytics_events``, ``CONSOLE_DATABASE_URL``.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import sqlalchemy as sa

from bot.console.models import handoffs, web_messages
from bot.platform.conversation_ids import LEGACY, REST, WECHAT, identity_of
from bot.platform.db import create_sync_engine
from bot.platform.events import analytics_events_url, events_table, tracker_store_url

logger = logging.getLogger(__name__)


@dataclass
class RenameReport:
    """What a run renamed (or would rename with ``--dry-run``)."""

    renamed: dict[str, str] = field(default_factory=dict)
    rows: int = 0

    def __str__(self) -> str:
        return f"conversations renamed: {len(self.renamed)}, rows updated: {self.rows}"


def new_id(old: str, input_channels: set[str]) -> str | None:
    """The id a stored conversation gets, or ``None`` when it has one already.

    Args:
        old: The stored conversation id.
        input_channels: The input channels its user messages came through.

    Returns:
        ``wechat:<old>`` for a WeChat conversation, ``rest:<old>`` otherwise.
    """
    if identity_of(old).channel != LEGACY:
        return None
    channel = WECHAT if input_channels == {WECHAT} else REST
    return f"{channel}:{old}"


def plan(engine: sa.engine.Engine, table: sa.Table) -> dict[str, str]:
    """Old → new id of every unprefixed conversation in an events ``table``."""
    channels: dict[str, set[str]] = {}
    query = sa.select(table.c.sender_id, table.c.data).where(
        table.c.type_name == "user"
    )
    with engine.connect() as connection:
        senders = connection.execute(sa.select(table.c.sender_id).distinct())
        for (sender,) in senders:
            channels.setdefault(sender, set())
        for sender, data in connection.execute(query):
            try:
                channel = json.loads(data or "{}").get("input_channel")
            except ValueError:
                channel = None
            if channel:
                channels[sender].add(str(channel))
    renames = {old: new_id(old, found) for old, found in channels.items()}
    return {old: new for old, new in renames.items() if new is not None}


def rename(
    engine: sa.engine.Engine, column: sa.Column, renames: Mapping[str, str]
) -> int:
    """Rename conversations in one column; the number of rows changed."""
    rows = 0
    with engine.begin() as connection:
        for old, new in renames.items():
            result = connection.execute(
                sa.update(column.table).where(column == old).values({column.name: new})
            )
            rows += result.rowcount or 0
    return rows


def run(environ: Mapping[str, str], *, dry_run: bool) -> RenameReport:
    """Rename in every configured store.

    Args:
        environ: Where the database URLs come from.
        dry_run: Count only; change nothing.

    Returns:
        The renames and the rows they touched (not counted in a dry run).
    """
    report = RenameReport()
    stores: list[tuple[str, sa.Table]] = []
    tracker_url = tracker_store_url(environ)
    if tracker_url:
        stores.append((tracker_url, events_table()))
    analytics_url = analytics_events_url(environ)
    if analytics_url and environ.get("ANALYTICS_EVENTS_TABLE") == "analytics_events":
        stores.append((analytics_url, events_table("analytics_events")))
    for url, table in stores:
        engine = create_sync_engine(url)
        try:
            if not sa.inspect(engine).has_table(table.name):
                continue
            renames = plan(engine, table)
            report.renamed.update(renames)
            if not dry_run:
                report.rows += rename(engine, table.c.sender_id, renames)
        finally:
            engine.dispose()
    console_url = environ.get("CONSOLE_DATABASE_URL")
    if console_url:
        engine = create_sync_engine(console_url)
        try:
            report.rows += _rename_console(engine, report.renamed, dry_run=dry_run)
        finally:
            engine.dispose()
    return report


def _rename_console(
    engine: sa.engine.Engine, renames: dict[str, str], *, dry_run: bool
) -> int:
    """The console's handoffs (by their channel) and web messages follow."""
    inspector = sa.inspect(engine)
    if not inspector.has_table(handoffs.name):
        return 0
    with engine.connect() as connection:
        for old, channel in connection.execute(
            sa.select(handoffs.c.conversation_id, handoffs.c.channel).distinct()
        ):
            if identity_of(old).channel == LEGACY and old not in renames:
                renames[old] = f"{WECHAT if channel == WECHAT else REST}:{old}"
    if dry_run:
        return 0
    rows = rename(engine, handoffs.c.conversation_id, renames)
    if inspector.has_table(web_messages.name):
        rows += rename(engine, web_messages.c.conversation_id, renames)
    return rows


def main(
    argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None
) -> int:
    """Command line: ``[--dry-run]``."""
    env = dict(os.environ if environ is None else environ)
    parser = argparse.ArgumentParser(
        prog="python -m bot.maintenance.conversation_ids",
        description=(__doc__ or "").splitlines()[0],
    )
    parser.add_argument("--dry-run", action="store_true", help="count, change nothing")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    report = run(env, dry_run=args.dry_run)
    print(("dry run, would rename: " if args.dry_run else "") + str(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
