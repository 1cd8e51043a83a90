"""Read the event broker's RabbitMQ queue and hand its deliveries on in batches.

Rasa's ``PikaEventBroker`` publishes every new event of a conversation to a
fanout exchange bound to ``RABBITMQ_QUEUE``. Messages are handled in delivery
order, in batches a :class:`~bot.analytics.batch.BatchWriter` stores and
acknowledges. When ``stop`` is set (the command line sets it on SIGTERM or
SIGINT) the batch in hand is still stored and acknowledged at once (it is
already delivered, and one transaction is quicker than a redelivery), unless the
database is down, in which case it stays unacknowledged; every message not
acknowledged goes back to the queue when the consumer disconnects.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from bot.analytics.batch import (
    MAX_RETRY_SECONDS,
    BatchWriter,
    ConsumeStats,
    stopped_within,
)
from bot.analytics.consumer_settings import DEFAULT_BATCH_DELAY, DEFAULT_BATCH_SIZE
from bot.platform.db import create_sync_engine
from bot.platform.events import ANALYTICS_EVENTS

logger = logging.getLogger(__name__)

PREFETCH_BATCHES = 2  # the prefetch, in batches, unless consume() is told otherwise


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
        amqp_url: RabbitMQ, with user and password (see
            :func:`bot.analytics.consumer_settings.amqp_url`).
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
    worker = BatchWriter(engine, table, stop)
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
        if await stopped_within(stop, delay):
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
    worker: BatchWriter,
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
