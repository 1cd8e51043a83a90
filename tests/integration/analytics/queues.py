"""RabbitMQ and database helpers for the event-broker consumer tests."""

from __future__ import annotations

import asyncio
import time

import sqlalchemy as sa

from bot.platform.events import events_table

RABBITMQ = ("127.0.0.1", 5672)
AMQP_URL = "amqp://guest:guest@127.0.0.1:5672/"


async def delete_broker_objects(queue: str, exchange: str) -> None:
    import aio_pika

    connection = await aio_pika.connect(AMQP_URL)
    async with connection:
        channel = await connection.channel()
        await channel.queue_delete(queue)
        await channel.exchange_delete(exchange)


async def publish_raw(queue: str, *bodies: bytes) -> None:
    import aio_pika

    connection = await aio_pika.connect(AMQP_URL)
    async with connection:
        channel = await connection.channel()
        # As Rasa's broker does, so a message sent before the consumer runs waits.
        await channel.declare_queue(queue, durable=True)
        for body in bodies:
            await channel.default_exchange.publish(
                aio_pika.Message(body), routing_key=queue
            )


def count_rows(url: str, table: str) -> int:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            return int(
                connection.execute(
                    sa.select(sa.func.count()).select_from(events_table(table))
                ).scalar_one()
            )
    finally:
        engine.dispose()


async def wait_for_rows(url: str, table: str, expected: int, seconds: float) -> int:
    deadline = time.monotonic() + seconds
    count = -1
    while time.monotonic() < deadline:
        try:
            count = await asyncio.to_thread(count_rows, url, table)
        except sa.exc.SQLAlchemyError:
            count = -1  # the table is not created yet
        if count >= expected:
            return count
        await asyncio.sleep(0.2)
    return count


async def queue_depth(queue: str) -> int:
    """Messages ready in ``queue`` (not those delivered and unacknowledged)."""
    import aio_pika

    connection = await aio_pika.connect(AMQP_URL)
    async with connection:
        channel = await connection.channel()
        declared = await channel.declare_queue(queue, passive=True)
        return int(declared.declaration_result.message_count or 0)
