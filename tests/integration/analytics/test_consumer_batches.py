"""The event-broker consumer stores in batches and acknowledges only what it stored.

Real RabbitMQ and a throwaway PostgreSQL database, as in test_sources.py. The
messages are published before the consumer starts where the batches' sizes
matter, so RabbitMQ hands them over as fast as the prefetch allows.
"""

from __future__ import annotations

import asyncio
import json
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from bot.analytics.amqp import consume
from bot.analytics.consumer_settings import ConsumerSettings, SettingsError
from bot.platform.events import ANALYTICS_EVENTS, events_table
from tests.integration.analytics.queues import (
    AMQP_URL,
    count_rows,
    publish_raw,
    queue_depth,
    wait_for_rows,
)
from tests.support.services import postgres_url

BATCH = 50


def _body(position: int, text: str | None = None) -> bytes:
    event = {
        "sender_id": f"s{position % 3}",  # three conversations, interleaved
        "event": "user",
        "timestamp": 1_700_000_000.0 + position,
        "text": text or f"m{position:03d}",
    }
    return json.dumps(event).encode()


def _stored_texts(url: str) -> list[str]:
    """The ``text`` of every stored event, in the order the rows were inserted."""
    events = events_table(ANALYTICS_EVENTS)
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(sa.select(events.c.data).order_by(events.c.id))
            return [json.loads(data)["text"] for (data,) in rows]
    finally:
        engine.dispose()


def _execute(url: str, *statements: str) -> None:
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            for statement in statements:
                connection.execute(sa.text(statement))
    finally:
        engine.dispose()


def _create_table(url: str) -> None:
    engine = sa.create_engine(url)
    try:
        events_table(ANALYTICS_EVENTS).create(engine)
    finally:
        engine.dispose()


@pytest.mark.services
async def test_full_and_partial_batches_are_stored_in_order_and_acknowledged(
    broker_names, analytics_db
):
    queue, _ = broker_names
    await publish_raw(queue, *(_body(i) for i in range(130)))
    stop = asyncio.Event()
    consumer = asyncio.create_task(
        consume(
            AMQP_URL, queue, analytics_db, stop=stop, batch_size=BATCH, batch_delay=1.0
        )
    )
    try:
        # 50 + 50 + 30: the last batch never fills, the delay flushes it.
        assert await wait_for_rows(analytics_db, ANALYTICS_EVENTS, 130, 20) == 130
        # A few messages while the consumer idles: a partial batch again.
        await publish_raw(queue, *(_body(i) for i in range(130, 137)))
        assert await wait_for_rows(analytics_db, ANALYTICS_EVENTS, 137, 20) == 137
    finally:
        stop.set()
        stats = await asyncio.wait_for(consumer, timeout=30)
    assert (stats.stored, stats.malformed, stats.batches) == (137, 0, 4)
    texts = await asyncio.to_thread(_stored_texts, analytics_db)
    assert texts == [f"m{i:03d}" for i in range(137)]
    assert await queue_depth(queue) == 0  # all acknowledged: none came back


BAD_IN_THE_MIDDLE = (
    json.dumps({"event": "user", "text": "13800138000"}).encode(),  # no sender_id
    # Rows psycopg2 cannot send: they crashed the consumer or were retried forever.
    json.dumps(
        {"sender_id": "a\x00b", "event": "user", "text": "13800138000"}
    ).encode(),
    json.dumps({"sender_id": "s1", "event": "action", "name": {"x": 1}}).encode(),
    json.dumps({"sender_id": "s1", "event": "user", "text": "\ud800"}).encode(),
)


@pytest.mark.services
async def test_malformed_messages_in_the_middle_of_a_batch_are_dropped_alone(
    broker_names, analytics_db, caplog
):
    queue, _ = broker_names
    bodies = [
        *(_body(i) for i in range(20)),
        *BAD_IN_THE_MIDDLE,
        *(_body(i) for i in range(20, 40)),
    ]
    await publish_raw(queue, *bodies)
    stop = asyncio.Event()
    consumer = asyncio.create_task(
        consume(
            AMQP_URL, queue, analytics_db, stop=stop, batch_size=BATCH, batch_delay=1.0
        )
    )
    try:
        assert await wait_for_rows(analytics_db, ANALYTICS_EVENTS, 40, 20) == 40
    finally:
        stop.set()
        stats = await asyncio.wait_for(consumer, timeout=30)
    assert (stats.stored, stats.malformed, stats.batches) == (40, 4, 1)
    texts = await asyncio.to_thread(_stored_texts, analytics_db)
    assert texts == [f"m{i:03d}" for i in range(40)]
    assert "13800138000" not in caplog.text  # logged without their content
    assert await queue_depth(queue) == 0


@pytest.mark.services
async def test_a_row_the_database_refuses_is_dropped_and_the_rest_committed(
    broker_names, analytics_db, caplog
):
    queue, _ = broker_names
    await asyncio.to_thread(_create_table, analytics_db)
    await asyncio.to_thread(
        _execute,
        analytics_db,
        f"ALTER TABLE {ANALYTICS_EVENTS} ADD CONSTRAINT no_m007 CHECK (data NOT LIKE"
        " '%m007%')",
    )
    await publish_raw(queue, *(_body(i) for i in range(12)))
    stop = asyncio.Event()
    consumer = asyncio.create_task(
        consume(
            AMQP_URL, queue, analytics_db, stop=stop, batch_size=BATCH, batch_delay=0.5
        )
    )
    try:
        assert await wait_for_rows(analytics_db, ANALYTICS_EVENTS, 11, 20) == 11
    finally:
        stop.set()
        stats = await asyncio.wait_for(consumer, timeout=30)
    assert (stats.stored, stats.malformed, stats.batches) == (11, 1, 1)
    texts = await asyncio.to_thread(_stored_texts, analytics_db)
    assert texts == [f"m{i:03d}" for i in range(12) if i != 7]
    assert "refused by the database" in caplog.text
    assert await queue_depth(queue) == 0


FAIL_ON_BOOM = """
CREATE FUNCTION fail_on_boom() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.data LIKE '%boom%' THEN
        RAISE EXCEPTION 'the database fails';
    END IF;
    RETURN NEW;
END $$
"""


@pytest.mark.services
async def test_a_batch_the_database_fails_is_not_acknowledged_then_stored_once(
    broker_names, analytics_db
):
    """The second batch fails at its 25th row: none of it is kept or acknowledged."""
    queue, _ = broker_names
    await asyncio.to_thread(_create_table, analytics_db)
    await asyncio.to_thread(
        _execute,
        analytics_db,
        FAIL_ON_BOOM,
        f"CREATE TRIGGER fail_on_boom BEFORE INSERT ON {ANALYTICS_EVENTS}"
        " FOR EACH ROW EXECUTE FUNCTION fail_on_boom()",
    )
    expected = [f"m{i:03d}" if i != 74 else "boom" for i in range(130)]
    await publish_raw(queue, *(_body(i, text) for i, text in enumerate(expected)))

    def run() -> tuple[asyncio.Event, asyncio.Task]:
        stop = asyncio.Event()
        return stop, asyncio.create_task(
            consume(
                AMQP_URL,
                queue,
                analytics_db,
                stop=stop,
                batch_size=BATCH,
                batch_delay=0.2,
            )
        )

    stop, consumer = run()
    try:
        assert await wait_for_rows(analytics_db, ANALYTICS_EVENTS, 50, 20) == 50
        await asyncio.sleep(2.5)  # the second batch is retried meanwhile
        assert await asyncio.to_thread(count_rows, analytics_db, ANALYTICS_EVENTS) == 50
    finally:
        stop.set()  # while the database still fails: the batch is left unacked
        stats = await asyncio.wait_for(consumer, timeout=30)
    assert (stats.stored, stats.batches) == (50, 1)
    assert await queue_depth(queue) == 80  # the failed batch and those behind it

    stop, consumer = run()
    try:
        await asyncio.sleep(1.5)
        assert await asyncio.to_thread(count_rows, analytics_db, ANALYTICS_EVENTS) == 50
        await asyncio.to_thread(
            _execute, analytics_db, f"DROP TRIGGER fail_on_boom ON {ANALYTICS_EVENTS}"
        )
        assert await wait_for_rows(analytics_db, ANALYTICS_EVENTS, 130, 30) == 130
    finally:
        stop.set()
        stats = await asyncio.wait_for(consumer, timeout=30)
    assert (stats.stored, stats.batches) == (80, 2)
    assert await asyncio.to_thread(_stored_texts, analytics_db) == expected
    assert await queue_depth(queue) == 0


def _allow_connections(url: str, allow: bool) -> None:
    name = urlsplit(url).path.lstrip("/")
    statements = [f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS {str(allow).lower()}']
    if not allow:
        statements.append(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            f" WHERE datname = '{name}'"
        )
    _execute(postgres_url(), *statements)


@pytest.mark.services
async def test_batches_wait_for_a_database_that_is_down_then_are_stored_once(
    broker_names, analytics_db
):
    queue, _ = broker_names
    await asyncio.to_thread(_create_table, analytics_db)
    await asyncio.to_thread(_allow_connections, analytics_db, False)
    await publish_raw(queue, *(_body(i) for i in range(130)))
    stop = asyncio.Event()
    consumer = asyncio.create_task(
        consume(
            AMQP_URL, queue, analytics_db, stop=stop, batch_size=BATCH, batch_delay=0.2
        )
    )
    try:
        await asyncio.sleep(2.5)  # the first batch is retried meanwhile
        await asyncio.to_thread(_allow_connections, analytics_db, True)
        assert await wait_for_rows(analytics_db, ANALYTICS_EVENTS, 130, 30) == 130
    finally:
        stop.set()
        stats = await asyncio.wait_for(consumer, timeout=30)
    assert (stats.stored, stats.batches) == (130, 3)
    texts = await asyncio.to_thread(_stored_texts, analytics_db)
    assert texts == [f"m{i:03d}" for i in range(130)]
    assert await queue_depth(queue) == 0


# --- settings, no services -------------------------------------------------------


def test_batch_settings_come_from_the_environment():
    base = {"ANALYTICS_DB_URL": "sqlite:///x.db"}
    default = ConsumerSettings.from_environ(base)
    assert (default.batch_size, default.batch_delay) == (200, 0.1)
    settings = ConsumerSettings.from_environ(
        {**base, "ANALYTICS_BATCH_SIZE": "500", "ANALYTICS_BATCH_DELAY_MS": "250"}
    )
    assert (settings.batch_size, settings.batch_delay) == (500, 0.25)
    for name, value in (
        ("ANALYTICS_BATCH_SIZE", "0"),
        ("ANALYTICS_BATCH_DELAY_MS", "x"),
    ):
        with pytest.raises(SettingsError, match=name):
            ConsumerSettings.from_environ({**base, name: value})


async def test_a_prefetch_smaller_than_the_batch_is_refused():
    with pytest.raises(ValueError, match="prefetch"):
        await consume(AMQP_URL, "q", "sqlite://", prefetch=10, batch_size=50)
