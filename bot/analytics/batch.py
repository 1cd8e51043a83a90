"""Store batches of queue messages in one transaction each, then acknowledge them.

A batch becomes one multi-row insert in one transaction, rows in delivery
order, which keeps each conversation's events in order (the report splits
sessions by row order); only after the commit are its messages acknowledged
(``multiple=True`` on the last delivery tag). Delivery is therefore at least
once: a crash between commit and acknowledgement stores that batch twice. A
message that is not an event, or whose row the database would refuse, is
logged (without its content) and acknowledged with its batch, so it is dropped
without holding up the others. While the database is down the writer waits and
retries the same batch, acknowledging nothing.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from bot.analytics.parsing import MalformedMessage, message_row
from bot.platform.events import ANALYTICS_EVENTS, events_table

logger = logging.getLogger(__name__)

MAX_RETRY_SECONDS = 30.0


@dataclass
class ConsumeStats:
    """What a run of :func:`bot.analytics.amqp.consume` did."""

    stored: int = 0
    malformed: int = 0
    batches: int = 0  # transactions committed


def create_table(engine: sa.engine.Engine, table: str = ANALYTICS_EVENTS) -> None:
    """Create the events table (and its indexes) unless it exists."""
    events_table(table).create(engine, checkfirst=True)


def store_rows(
    engine: sa.engine.Engine, table: str, rows: Sequence[dict[str, Any]]
) -> None:
    """Insert ``rows`` in their order in one transaction (synchronous).

    SQLAlchemy's psycopg2 dialect sends a list of rows as multi-row
    ``INSERT … VALUES (…), (…)`` statements (``execute_values``, 1,000 rows
    a page), so a batch is one round trip, not one per row.
    """
    with engine.begin() as connection:
        connection.execute(sa.insert(events_table(table)), list(rows))


#: What the database (or its driver, for a NUL character) answers about a row it
#: will never take: retrying would not help.
_REFUSED = (sa.exc.DataError, sa.exc.IntegrityError, ValueError)


def store_rows_each(
    engine: sa.engine.Engine, table: str, rows: Sequence[dict[str, Any]]
) -> list[int]:
    """Insert ``rows`` in one transaction, each in a savepoint; skip refused ones.

    The slow path after :func:`store_rows` was refused: the rows the database
    takes are committed together, in their order.

    Returns:
        The positions in ``rows`` of the rows the database refused.
    """
    insert = sa.insert(events_table(table))
    refused: list[int] = []
    with engine.begin() as connection:
        for position, row in enumerate(rows):
            try:
                with connection.begin_nested():
                    connection.execute(insert, [row])
            except _REFUSED:
                refused.append(position)
    return refused


async def stopped_within(stop: asyncio.Event, seconds: float) -> bool:
    """Wait ``seconds``; tell whether ``stop`` was set meanwhile."""
    try:
        await asyncio.wait_for(stop.wait(), timeout=seconds)
    except asyncio.TimeoutError:
        return False
    return True


class BatchWriter:
    """Stores batches of messages and acknowledges each batch after its commit."""

    def __init__(
        self, engine: sa.engine.Engine, table: str, stop: asyncio.Event
    ) -> None:
        self.engine = engine
        self.table = table
        self.stop = stop
        self.stats = ConsumeStats()
        self.table_ready = False

    def _write(self, rows: list[dict[str, Any]]) -> list[int]:
        """Commit ``rows``; the positions of those the database refused."""
        if not self.table_ready:
            create_table(self.engine, self.table)
            self.table_ready = True
        try:
            store_rows(self.engine, self.table, rows)
        except _REFUSED:
            return store_rows_each(self.engine, self.table, rows)
        return []

    async def prepare(self) -> None:
        """Create the table now if the database answers (else at first event)."""
        try:
            await asyncio.to_thread(create_table, self.engine, self.table)
        except sa.exc.SQLAlchemyError as error:
            logger.error("analytics database not ready (%s)", type(error).__name__)
        else:
            self.table_ready = True

    def _dropped(self, message: Any, reason: str) -> None:
        self.stats.malformed += 1
        logger.warning(
            "dropped a message that is not an event (%s, %d bytes)",
            reason,
            len(message.body),
        )

    async def handle(self, messages: Sequence[Any]) -> bool:
        """Store and acknowledge a batch; ``False`` if stopped before that.

        Args:
            messages: Deliveries in delivery order, malformed ones included
                (they are acknowledged with the others).
        """
        stored: list[tuple[Any, dict[str, Any]]] = []
        for message in messages:
            try:
                stored.append((message, message_row(message.body)))
            except MalformedMessage as error:
                self._dropped(message, str(error))
        if stored:
            refused = await self._commit([row for _, row in stored])
            if refused is None:
                return False
            for position in refused:
                self._dropped(stored[position][0], "refused by the database")
            self.stats.stored += len(stored) - len(refused)
            self.stats.batches += 1
        await _ack_batch(messages)
        return True

    async def _commit(self, rows: list[dict[str, Any]]) -> list[int] | None:
        """Commit ``rows``, retrying while the database is down.

        Returns:
            The positions of refused rows, or ``None`` if stopped first.
        """
        delay = 1.0
        while True:
            try:
                return await asyncio.to_thread(self._write, rows)
            except sa.exc.SQLAlchemyError as error:
                # Check the table again next time: it may have been dropped.
                self.table_ready = False
                # Only the class: the message of a database error quotes rows.
                logger.error(
                    "could not store %d events (%s); retrying in %.0f s",
                    len(rows),
                    type(error).__name__,
                    delay,
                )
                if await stopped_within(self.stop, delay):
                    return None
                delay = min(delay * 2, MAX_RETRY_SECONDS)


async def _ack_batch(messages: Sequence[Any]) -> None:
    """Acknowledge every message of a batch, one ``basic.ack`` per channel.

    ``multiple=True`` on the last delivery tag covers the whole batch: the
    earlier batches are acknowledged already and later deliveries have higher
    tags. Tags count per channel, and after a robust reconnection later
    messages arrive on a new channel, hence one acknowledgement per channel.
    """
    last: dict[int, Any] = {}
    for message in messages:
        last[id(message.channel)] = message
    for message in last.values():
        try:
            await message.ack(multiple=True)
        except Exception as error:  # the channel went away: RabbitMQ redelivers
            logger.warning("could not acknowledge messages (%s)", type(error).__name__)
