"""Analytics consumer benchmark: events/s from a full queue into PostgreSQL.

Usage (from the project root; needs RabbitMQ on 127.0.0.1:5672 as guest/guest
and the test PostgreSQL server of ``TEST_POSTGRES_URL``)::

    .venv/bin/python -m benchmarks.consumer                  # 20,000 events
    .venv/bin/python -m benchmarks.consumer --events 5000 --batch-size 1

Publishes ``--events`` events of plausible turns (user message with its parse
data, slot, action, bot message, action_listen: 8 per turn, 40 conversations
interleaved) through Rasa's own ``PikaEventBroker`` into a throwaway exchange
and queue, then runs :func:`bot.analytics.amqp.consume` on that queue into
a throwaway PostgreSQL database and times it until every row is stored. Prints
the figures and writes them to ``benchmarks/results/consumer.json``; the queue,
exchange and database are deleted afterwards. A measurement, not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import time
import uuid
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bot.analytics.amqp import consume
from bot.platform.events import ANALYTICS_EVENTS, events_table

ROOT = Path(__file__).resolve().parents[1]
RESULT = ROOT / "benchmarks" / "results" / "consumer.json"
POSTGRES_ADMIN = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
AMQP_URL = "amqp://guest:guest@127.0.0.1:5672/"
CONVERSATIONS = 40
PUBLISH_CHUNK = 1000


def turn_events(sender: str, turn: int, start: float) -> list[dict[str, Any]]:
    """The eight events of one turn as the tracker store publishes them."""
    from rasa.shared.core.events import (
        ActionExecuted,
        BotUttered,
        SlotSet,
        UserUttered,
    )

    stamp = start + turn
    parse_data = {
        "intent": {"name": "track_delivery", "confidence": 0.97},
        "entities": [{"entity": "order_id", "value": "A20261123003"}],
        "text": "我的订单A20261123003到哪了",
        "intent_ranking": [
            {"name": "track_delivery", "confidence": 0.97},
            {"name": "ask_return", "confidence": 0.02},
        ],
    }
    events = [
        UserUttered(
            "我的订单A20261123003到哪了",
            intent=parse_data["intent"],
            parse_data=parse_data,
            timestamp=stamp,
        ),
        SlotSet("order_id", "A20261123003", timestamp=stamp + 0.01),
        ActionExecuted("action_track_delivery", timestamp=stamp + 0.02),
        BotUttered(
            "您的订单已发货，预计明天送达。",
            {"template_name": "x"},
            timestamp=stamp + 0.03,
        ),
        SlotSet("delivery_status", "shipped", timestamp=stamp + 0.04),
        ActionExecuted("utter_anything_else", timestamp=stamp + 0.05),
        BotUttered("还有什么可以帮您？", timestamp=stamp + 0.06),
        ActionExecuted("action_listen", timestamp=stamp + 0.07),
    ]
    return [{**event.as_dict(), "sender_id": sender} for event in events]


def all_events(count: int) -> list[dict[str, Any]]:
    """``count`` events, turns of ``CONVERSATIONS`` conversations interleaved."""
    start = time.time()
    senders = [f"bench-{uuid.uuid4().hex[:12]}" for _ in range(CONVERSATIONS)]
    events: list[dict[str, Any]] = []
    turn = 0
    while len(events) < count:
        for sender in senders:
            events.extend(turn_events(sender, turn, start))
        turn += 1
    return events[:count]


async def _admin(statement: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(POSTGRES_ADMIN)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


async def _drop_broker(queue: str, exchange: str) -> None:
    import aio_pika

    connection = await aio_pika.connect(AMQP_URL)
    async with connection:
        channel = await connection.channel()
        await channel.queue_delete(queue)
        await channel.exchange_delete(exchange)


async def publish(queue: str, exchange: str, events: list[dict[str, Any]]) -> float:
    """Publish through Rasa's broker; the seconds it took."""
    from rasa.core.brokers.pika import PikaEventBroker
    from rasa.utils.log_utils import configure_structlog

    configure_structlog(logging.WARNING)  # else Rasa prints every event it sends
    broker = PikaEventBroker(
        "127.0.0.1", "guest", "guest", queues=[queue], exchange_name=exchange
    )
    await broker.connect()
    started = time.perf_counter()
    try:
        for first in range(0, len(events), PUBLISH_CHUNK):
            for event in events[first : first + PUBLISH_CHUNK]:
                broker.publish(event)
            # Rasa keeps its publish tasks here; wait for the chunk to be sent.
            await asyncio.gather(*list(broker._background_tasks))
    finally:
        await broker.close()
    return time.perf_counter() - started


def _count(engine: sa.engine.Engine) -> int:
    try:
        with engine.connect() as connection:
            return int(
                connection.execute(
                    sa.select(sa.func.count()).select_from(
                        events_table(ANALYTICS_EVENTS)
                    )
                ).scalar_one()
            )
    except sa.exc.SQLAlchemyError:
        return 0  # the consumer has not created the table yet


async def drain(
    queue: str, db_url: str, expected: int, options: dict[str, Any]
) -> dict[str, Any]:
    """Run the consumer until ``expected`` rows are stored; its figures."""
    engine = sa.create_engine(db_url)
    stop = asyncio.Event()
    cpu_started = time.process_time()
    started = time.perf_counter()
    consumer = asyncio.create_task(
        consume(AMQP_URL, queue, db_url, stop=stop, **options)
    )
    try:
        while (stored := await asyncio.to_thread(_count, engine)) < expected:
            if consumer.done():
                raise RuntimeError("the consumer stopped early")
            await asyncio.sleep(0.1)
        seconds = time.perf_counter() - started
        cpu = time.process_time() - cpu_started
    finally:
        stop.set()
        stats = await asyncio.wait_for(consumer, timeout=60)
        engine.dispose()
    return {
        "stored_rows": stored,
        "stats_stored": stats.stored,
        "seconds": round(seconds, 2),
        "events_per_second": round(expected / seconds, 1),
        "benchmark_process_cpu_percent": round(100 * cpu / seconds),
    }


async def run(count: int, options: dict[str, Any]) -> dict[str, Any]:
    """Publish ``count`` events, then time the consumer; the figures."""
    suffix = uuid.uuid4().hex[:10]
    queue = exchange = f"xiaoke-bench-consumer-{suffix}"
    database = f"xiaoke_bench_consumer_{suffix}"
    await _admin(f'CREATE DATABASE "{database}"')
    db_url = f"{POSTGRES_ADMIN.rsplit('/', 1)[0]}/{database}"
    try:
        events = all_events(count)
        body_bytes = sum(len(json.dumps(event)) for event in events) // len(events)
        publish_seconds = await publish(queue, exchange, events)
        figures = await drain(queue, db_url, count, options)
    finally:
        await _drop_broker(queue, exchange)
        await _admin(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    return {
        "events": count,
        "mean_message_bytes": body_bytes,
        "options": options,
        "publish_events_per_second": round(count / publish_seconds, 1),
        **figures,
        "load_average_at_end": round(os.getloadavg()[0], 2),
    }


def main() -> None:
    """Command line: the options of the module docstring."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--batch-size", type=int, help="consume(batch_size=...)")
    parser.add_argument("--batch-delay", type=float, help="seconds")
    parser.add_argument("--prefetch", type=int)
    args = parser.parse_args()
    options = {
        name: value
        for name, value in (
            ("batch_size", args.batch_size),
            ("batch_delay", args.batch_delay),
            ("prefetch", args.prefetch),
        )
        if value is not None
    }
    load_before = round(os.getloadavg()[0], 2)
    result = {
        "load_average_at_start": load_before,
        **asyncio.run(run(args.events, options)),
    }
    print(json.dumps(result, indent=2, ensure_ascii=False))
    RESULT.parent.mkdir(parents=True, exist_ok=True)
    RESULT.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
