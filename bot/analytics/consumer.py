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

A message is acknowledged only after its row is committed, so delivery is at
least once: a crash between commit and acknowledgement stores that event
twice. Events are stored one at a time in delivery order, which keeps each
conversation's events in order (the report splits sessions by row order).
A message that is not an event is logged (without its content) and dropped;
while the database is down the consumer waits and retries the same message.
SIGTERM or SIGINT stops it after the message in hand; unacknowledged
messages go back to the queue.
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

from bot.analytics.db import sync_url
from bot.analytics.events import ANALYTICS_EVENTS, events_table, row_values
from bot.privacy.logs import install_log_masking

logger = logging.getLogger(__name__)

DEFAULT_AMQP_URL = "amqp://127.0.0.1:5672"
DEFAULT_QUEUE = "xiaoke_events"
DEFAULT_PREFETCH = 100
MAX_RETRY_SECONDS = 30.0
MAX_NAME_LENGTH = 255  # sender_id and type_name are VARCHAR(255) in Rasa's table


class MalformedMessage(ValueError):
    """A queue message that is not a Rasa event with a ``sender_id``."""


class SettingsError(RuntimeError):
    """The environment does not say where to store the events."""


@dataclass(frozen=True)
class ConsumerSettings:
    """Where to read events from and where to store them."""

    amqp_url: str
    queue: str
    db_url: str
    table: str = ANALYTICS_EVENTS

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> ConsumerSettings:
        """Read the settings the module docstring lists."""
        db_url = environ.get("ANALYTICS_DB_URL") or environ.get("CONSOLE_DATABASE_URL")
        if not db_url:
            raise SettingsError("set ANALYTICS_DB_URL (or CONSOLE_DATABASE_URL)")
        return cls(
            amqp_url=amqp_url(
                environ.get("RABBITMQ_URL") or DEFAULT_AMQP_URL,
                environ.get("RABBITMQ_USERNAME", "guest"),
                environ.get("RABBITMQ_PASSWORD", "guest"),
            ),
            queue=environ.get("RABBITMQ_QUEUE") or DEFAULT_QUEUE,
            db_url=db_url,
        )


@dataclass
class ConsumeStats:
    """What a run of :func:`consume` did."""

    stored: int = 0
    malformed: int = 0


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


def create_table(engine: sa.engine.Engine, table: str = ANALYTICS_EVENTS) -> None:
    """Create the events table (and its indexes) unless it exists."""
    events_table(table).create(engine, checkfirst=True)


def store_event(
    engine: sa.engine.Engine, table: str, sender_id: str, event: dict[str, Any]
) -> None:
    """Insert one event and commit (synchronous; run in a thread)."""
    with engine.begin() as connection:
        connection.execute(
            sa.insert(events_table(table)), [row_values(sender_id, event)]
        )


async def _stopped_within(stop: asyncio.Event, seconds: float) -> bool:
    """Wait ``seconds``; tell whether ``stop`` was set meanwhile."""
    try:
        await asyncio.wait_for(stop.wait(), timeout=seconds)
    except asyncio.TimeoutError:
        return False
    return True


class _Worker:
    """Stores messages one by one and acknowledges each after its commit."""

    def __init__(
        self, engine: sa.engine.Engine, table: str, stop: asyncio.Event
    ) -> None:
        self.engine = engine
        self.table = table
        self.stop = stop
        self.stats = ConsumeStats()
        self.table_ready = False

    def _store(self, sender_id: str, event: dict[str, Any]) -> None:
        if not self.table_ready:
            create_table(self.engine, self.table)
            self.table_ready = True
        store_event(self.engine, self.table, sender_id, event)

    async def prepare(self) -> None:
        """Create the table now if the database answers (else at first event)."""
        try:
            await asyncio.to_thread(create_table, self.engine, self.table)
        except sa.exc.SQLAlchemyError as error:
            logger.error("analytics database not ready (%s)", type(error).__name__)
        else:
            self.table_ready = True

    async def _drop(self, message: Any, reason: str) -> None:
        self.stats.malformed += 1
        logger.warning(
            "dropped a message that is not an event (%s, %d bytes)",
            reason,
            len(message.body),
        )
        await self._ack(message)

    @staticmethod
    async def _ack(message: Any) -> None:
        try:
            await message.ack()
        except Exception as error:  # the channel went away: RabbitMQ redelivers
            logger.warning("could not acknowledge a message (%s)", type(error).__name__)

    async def handle(self, message: Any) -> bool:
        """Store and acknowledge ``message``; ``False`` if stopped before that."""
        try:
            sender_id, event = parse_message(message.body)
        except MalformedMessage as error:
            await self._drop(message, str(error))
            return True
        delay = 1.0
        while True:
            try:
                await asyncio.to_thread(self._store, sender_id, event)
            except (sa.exc.DataError, sa.exc.IntegrityError) as error:
                # The database refuses this row (e.g. a NUL character in a
                # text): retrying would never succeed.
                await self._drop(
                    message, f"refused by the database: {type(error).__name__}"
                )
                return True
            except sa.exc.SQLAlchemyError as error:
                # Check the table again next time: it may have been dropped.
                self.table_ready = False
                # Only the class: the message of a database error quotes the row.
                logger.error(
                    "could not store an event (%s); retrying in %.0f s",
                    type(error).__name__,
                    delay,
                )
                if await _stopped_within(self.stop, delay):
                    return False
                delay = min(delay * 2, MAX_RETRY_SECONDS)
                continue
            await self._ack(message)
            self.stats.stored += 1
            return True


async def consume(
    amqp_url: str,
    queue: str,
    db_url: str,
    *,
    table: str = ANALYTICS_EVENTS,
    stop: asyncio.Event | None = None,
    prefetch: int = DEFAULT_PREFETCH,
) -> ConsumeStats:
    """Store the queue's events in ``table`` until ``stop`` is set.

    Args:
        amqp_url: RabbitMQ, with user and password (see :func:`amqp_url`).
        queue: The queue Rasa's broker publishes to (declared durable, as
            Rasa declares it, so either side may start first).
        db_url: The analytics database (sync or async SQLAlchemy URL).
        table: The events table, created if missing.
        stop: Set it to stop; ``None`` runs until cancelled.
        prefetch: How many unacknowledged messages RabbitMQ may send ahead.

    Returns:
        How many events were stored and how many messages were dropped.
    """
    stop = asyncio.Event() if stop is None else stop
    engine = sa.create_engine(sync_url(db_url), pool_pre_ping=True, future=True)
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
            logger.info("storing events of queue %s in %s", queue, table)
            await _drain(buffer, worker, stop)
            await amqp_queue.cancel(tag)
        finally:
            await connection.close()
    finally:
        engine.dispose()
    logger.info(
        "stopped: %d events stored, %d messages dropped",
        worker.stats.stored,
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


async def _drain(
    buffer: asyncio.Queue[Any], worker: _Worker, stop: asyncio.Event
) -> None:
    stopper = asyncio.ensure_future(stop.wait())
    try:
        while True:
            getter = asyncio.ensure_future(buffer.get())
            done, _ = await asyncio.wait(
                {getter, stopper}, return_when=asyncio.FIRST_COMPLETED
            )
            if getter not in done:
                getter.cancel()
                return
            if not await worker.handle(getter.result()):
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
