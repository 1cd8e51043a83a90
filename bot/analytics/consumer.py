"""Copy the event broker's queue into the ``analytics_events`` table.

``python -m bot.analytics.consumer`` runs beside the Rasa servers of the
production profile. Rasa's ``PikaEventBroker`` publishes every new event of a
conversation to a fanout exchange bound to ``RABBITMQ_QUEUE``; the message body
is the event dict (``Event.as_dict()``) plus a ``sender_id`` key. Each event
becomes one row of ``analytics_events`` with the layout of Rasa's SQL tracker
store (``sender_id`` kept in its column, not in ``data``), so
:func:`bot.analytics.source.read_report` reads either table.

Settings (environment):

- ``RABBITMQ_URL`` (``amqp://127.0.0.1:5672``), ``RABBITMQ_USERNAME`` and
  ``RABBITMQ_PASSWORD`` (``guest``), ``RABBITMQ_QUEUE`` (``xiaoke_events``):
  the same variables Rasa's ``endpoints.production.yml`` reads.
- ``ANALYTICS_DB_URL``: where ``analytics_events`` lives (created if
  missing); ``postgresql://…`` or ``sqlite:///…`` (async forms such as
  ``postgresql+asyncpg://`` are accepted and read synchronously). Defaults to
  ``CONSOLE_DATABASE_URL``, the database the console reads analytics from.
- ``ANALYTICS_BATCH_SIZE`` (200) and ``ANALYTICS_BATCH_DELAY_MS`` (100): a
  batch is stored when it holds that many messages or that long after its
  first message arrived, whichever comes first. RabbitMQ may send twice the
  batch size ahead (the prefetch), so the next batch arrives while one is
  being written.

Messages are handled in delivery order. A batch becomes one multi-row insert
in one transaction, rows in delivery order, which keeps each conversation's
events in order (the report splits sessions by row order); only after the
commit are its messages acknowledged (``multiple=True`` on the last delivery
tag). Delivery is therefore at least once: a crash between commit and
acknowledgement stores that batch twice. A message that is not an event, or
whose row the database would refuse, is logged (without its content) and
acknowledged with its batch, so it is dropped without holding up the others.
While the database is down the consumer waits and retries the same batch,
acknowledging nothing. SIGTERM or SIGINT stops it after the batch in hand:
that batch is stored and acknowledged at once (it is already delivered, and
one transaction is quicker than a redelivery), unless the database is down,
in which case it stays unacknowledged; every message not acknowledged goes
back to the queue when the consumer disconnects.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import signal
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from yarl import URL

from bot.analytics.events import row_values
from bot.platform.db import create_sync_engine
from bot.platform.events import ANALYTICS_EVENTS, analytics_events_url, events_table
from bot.privacy.logs import install_log_masking

logger = logging.getLogger(__name__)

DEFAULT_AMQP_URL = "amqp://127.0.0.1:5672"
DEFAULT_QUEUE = "xiaoke_events"
DEFAULT_BATCH_SIZE = 200
DEFAULT_BATCH_DELAY = 0.1  # seconds
PREFETCH_BATCHES = 2  # the prefetch, in batches, unless consume() is told otherwise
MAX_RETRY_SECONDS = 30.0
MAX_NAME_LENGTH = 255  # the VARCHAR(255) columns of Rasa's table
_NAME_COLUMNS = ("sender_id", "type_name", "intent_name", "action_name")


class MalformedMessage(ValueError):
    """A queue message that is not a Rasa event with a ``sender_id``."""


class SettingsError(RuntimeError):
    """The environment does not say where to store the events."""


@dataclass(frozen=True)
class ConsumerSettings:
    """Where to read events from, where to store them, and in what batches."""

    amqp_url: str
    queue: str
    db_url: str
    table: str = ANALYTICS_EVENTS
    batch_size: int = DEFAULT_BATCH_SIZE
    batch_delay: float = DEFAULT_BATCH_DELAY

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> ConsumerSettings:
        """Read the settings the module docstring lists.

        Raises:
            SettingsError: No database, or a batch setting that is not a
                positive whole number.
        """
        db_url = analytics_events_url(environ)
        if not db_url:
            raise SettingsError("set ANALYTICS_DB_URL (or CONSOLE_DATABASE_URL)")
        delay_ms = _positive_int(
            environ, "ANALYTICS_BATCH_DELAY_MS", round(DEFAULT_BATCH_DELAY * 1000)
        )
        return cls(
            amqp_url=amqp_url(
                environ.get("RABBITMQ_URL") or DEFAULT_AMQP_URL,
                environ.get("RABBITMQ_USERNAME", "guest"),
                environ.get("RABBITMQ_PASSWORD", "guest"),
            ),
            queue=environ.get("RABBITMQ_QUEUE") or DEFAULT_QUEUE,
            db_url=db_url,
            batch_size=_positive_int(
                environ, "ANALYTICS_BATCH_SIZE", DEFAULT_BATCH_SIZE
            ),
            batch_delay=delay_ms / 1000,
        )


def _positive_int(environ: Mapping[str, str], name: str, default: int) -> int:
    text = environ.get(name, "").strip()
    if not text:
        return default
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise SettingsError(f"{name} must be a whole number of at least 1")
    return value


@dataclass
class ConsumeStats:
    """What a run of :func:`consume` did."""

    stored: int = 0
    malformed: int = 0
    batches: int = 0  # transactions committed


def amqp_url(url: str, username: str | None, password: str | None) -> str:
    """``url`` with the user and password added unless it carries its own.

    Rasa's broker takes them separately (``RABBITMQ_USERNAME``/``PASSWORD``)
    and so does this consumer; a path in ``url`` is the virtual host.
    """
    parsed = URL(url)
    if parsed.user or not username:
        return url
    return str(parsed.with_user(username).with_password(password or None))


def parse_message(body: bytes) -> tuple[str, dict[str, Any]]:
    """The conversation id and the event (without ``sender_id``) of a message.

    Raises:
        MalformedMessage: The body is not a JSON event with a ``sender_id``.
    """
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as error:
        raise MalformedMessage(f"not JSON ({type(error).__name__})") from None
    if not isinstance(data, dict):
        raise MalformedMessage(f"a JSON {type(data).__name__}, not an object")
    event = dict(data)
    sender_id = event.pop("sender_id", None)
    kind = event.get("event")
    if not isinstance(sender_id, str) or not sender_id:
        raise MalformedMessage("no sender_id")
    if not isinstance(kind, str) or not kind:
        raise MalformedMessage("no event type")
    if len(sender_id) > MAX_NAME_LENGTH or len(kind) > MAX_NAME_LENGTH:
        raise MalformedMessage("sender_id or event type too long")
    return sender_id, event


def message_row(body: bytes) -> dict[str, Any]:
    """The ``analytics_events`` row of a message, checked to fit the table.

    One bad row would fail its whole batch, and a row the driver cannot even
    send (a NUL character, an object as action name) would fail it on every
    retry, so such messages are refused here, before the database.

    Raises:
        MalformedMessage: The message is not an event, or its row would not fit.
    """
    row = row_values(*parse_message(body))
    for column in _NAME_COLUMNS:
        value = row[column]
        if value is None:
            continue
        if not isinstance(value, str):
            raise MalformedMessage(f"{column} is a {type(value).__name__}")
        if len(value) > MAX_NAME_LENGTH:
            raise MalformedMessage(f"{column} too long")
        if "\x00" in value:
            raise MalformedMessage(f"a NUL character in {column}")
    try:
        for column in (*_NAME_COLUMNS, "data"):
            if row[column] is not None:
                row[column].encode("utf-8")
    except UnicodeEncodeError:
        raise MalformedMessage(f"{column} is not valid Unicode") from None
    return row


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


async def _stopped_within(stop: asyncio.Event, seconds: float) -> bool:
    """Wait ``seconds``; tell whether ``stop`` was set meanwhile."""
    try:
        await asyncio.wait_for(stop.wait(), timeout=seconds)
    except asyncio.TimeoutError:
        return False
    return True


class _Worker:
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
                if await _stopped_within(self.stop, delay):
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


async def consume(
    amqp_url: str,
    queue: str,
    db_url: str,
    *,
    table: str = ANALYTICS_EVENTS,
    stop: asyncio.Event | None = None,
    prefetch: int | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    batch_delay: float = DEFAULT_BATCH_DELAY,
) -> ConsumeStats:
    """Store the queue's events in ``table`` until ``stop`` is set.

    Args:
        amqp_url: RabbitMQ, with user and password (see :func:`amqp_url`).
        queue: The queue Rasa's broker publishes to (declared durable, as
            Rasa declares it, so either side may start first).
        db_url: The analytics database (sync or async SQLAlchemy URL).
        table: The events table, created if missing.
        stop: Set it to stop; ``None`` runs until cancelled.
        prefetch: How many unacknowledged messages RabbitMQ may send ahead;
            at least ``batch_size`` (a smaller one could never fill a batch).
            ``None``: ``PREFETCH_BATCHES`` batches.
        batch_size: Store a batch when it holds this many messages.
        batch_delay: Or this many seconds after its first message arrived.

    Returns:
        How many events were stored, messages dropped and batches committed.

    Raises:
        ValueError: A batch size below 1, a negative delay or a prefetch
            smaller than the batch size.
    """
    prefetch = PREFETCH_BATCHES * batch_size if prefetch is None else prefetch
    if batch_size < 1 or batch_delay < 0 or prefetch < batch_size:
        raise ValueError(
            "need batch_size >= 1, batch_delay >= 0 and prefetch >= batch_size"
            f" (got {batch_size}, {batch_delay}, {prefetch})"
        )
    stop = asyncio.Event() if stop is None else stop
    engine = create_sync_engine(db_url)
    worker = _Worker(engine, table, stop)
    try:
        await worker.prepare()
        connection = await _connect(amqp_url, stop)
        if connection is None:
            return worker.stats
        try:
            channel = await connection.channel()
            await channel.set_qos(prefetch_count=prefetch)
            amqp_queue = await channel.declare_queue(queue, durable=True)
            # aio-pika runs each delivery's callback as a task, in delivery
            # order; the buffer hands them to one worker so rows keep that order.
            buffer: asyncio.Queue[Any] = asyncio.Queue()
            tag = await amqp_queue.consume(buffer.put)
            logger.info(
                "storing events of queue %s in %s (batches of %d or %.0f ms)",
                queue,
                table,
                batch_size,
                batch_delay * 1000,
            )
            await _drain(buffer, worker, stop, batch_size, batch_delay)
            await amqp_queue.cancel(tag)
        finally:
            await connection.close()
    finally:
        engine.dispose()
    logger.info(
        "stopped: %d events stored in %d batches, %d messages dropped",
        worker.stats.stored,
        worker.stats.batches,
        worker.stats.malformed,
    )
    return worker.stats


async def _connect(url: str, stop: asyncio.Event) -> Any:
    """A robust connection to RabbitMQ, retried until ``stop`` (then ``None``).

    Started beside RabbitMQ (one Procfile), the consumer must wait for it
    rather than exit: honcho stops every process when one exits.
    """
    import aio_pika

    delay = 1.0
    while not stop.is_set():
        try:
            return await aio_pika.connect_robust(url)
        except (OSError, aio_pika.exceptions.AMQPError) as error:
            logger.error(
                "RabbitMQ not reachable (%s); retrying in %.0f s",
                type(error).__name__,
                delay,
            )
        if await _stopped_within(stop, delay):
            break
        delay = min(delay * 2, MAX_RETRY_SECONDS)
    return None


async def _next_message(
    buffer: asyncio.Queue[Any], stopper: asyncio.Future[Any], timeout: float | None
) -> Any:
    """The next delivery, or ``None`` on stop or after ``timeout`` seconds."""
    if timeout is not None and timeout <= 0:
        return None
    getter = asyncio.ensure_future(buffer.get())
    await asyncio.wait(
        {getter, stopper}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
    )
    if getter.done():
        return getter.result()
    getter.cancel()  # an item it was woken for stays in the buffer
    return None


async def _drain(
    buffer: asyncio.Queue[Any],
    worker: _Worker,
    stop: asyncio.Event,
    batch_size: int,
    batch_delay: float,
) -> None:
    """Hand the deliveries to ``worker`` in batches until ``stop``.

    A batch starts with the next delivery and closes at ``batch_size``
    messages, ``batch_delay`` seconds after it started, or on ``stop``; the
    batch in hand is then still stored, the messages behind it are not.
    """
    loop = asyncio.get_running_loop()
    stopper = asyncio.ensure_future(stop.wait())
    try:
        while not stop.is_set():
            first = await _next_message(buffer, stopper, None)
            if first is None:
                return
            batch = [first]
            deadline = loop.time() + batch_delay
            while len(batch) < batch_size and not stop.is_set():
                try:
                    batch.append(buffer.get_nowait())
                    continue
                except asyncio.QueueEmpty:
                    pass
                message = await _next_message(buffer, stopper, deadline - loop.time())
                if message is None:
                    break
                batch.append(message)
            if not await worker.handle(batch):
                return
    finally:
        stopper.cancel()


async def _run(settings: ConsumerSettings) -> ConsumeStats:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    return await consume(
        settings.amqp_url,
        settings.queue,
        settings.db_url,
        table=settings.table,
        stop=stop,
        batch_size=settings.batch_size,
        batch_delay=settings.batch_delay,
    )


def main(
    argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None
) -> int:
    """Command line: no options; settings from the environment."""
    parser = argparse.ArgumentParser(
        prog="python -m bot.analytics.consumer",
        description=(__doc__ or "").splitlines()[0],
    )
    parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s %(message)s")
    install_log_masking()
    try:
        settings = ConsumerSettings.from_environ(
            os.environ if environ is None else environ
        )
    except SettingsError as error:
        logger.error("%s", error)
        return 2
    asyncio.run(_run(settings))
    return 0


if __name__ == "__main__":
    sys.exit(main())
