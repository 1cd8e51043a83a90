"""Reports from events Rasa itself stored or published equal the generated totals.

The generated history (tests/support/event_history.py) is written through
Rasa's real ``SQLTrackerStore`` into PostgreSQL and SQLite, and published
through Rasa's real ``PikaEventBroker`` to RabbitMQ, where
``bot.analytics.consumer`` copies it into ``analytics_events`` on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from bot.analytics.amqp import consume
from bot.analytics.events import load_events
from bot.analytics.metrics import Filters, compute
from bot.analytics.source import read_report
from bot.platform.db import dispose_engines
from bot.platform.events import ANALYTICS_EVENTS
from tests.conftest import ROOT
from tests.integration.analytics.queues import (
    AMQP_URL,
    count_rows,
    publish_raw,
    queue_depth,
    wait_for_rows,
)
from tests.support.event_history import BASE_DAY, History, generate
from tests.support.services import postgres_url, throwaway_postgres_database

pytestmark = pytest.mark.services

FILTERS = (
    Filters(),
    Filters(start=BASE_DAY + timedelta(days=1), end=BASE_DAY + timedelta(days=1)),
    Filters(start=BASE_DAY, end=BASE_DAY + timedelta(days=1), channel="wechat"),
    Filters(channel="rest"),
    Filters(start=BASE_DAY + timedelta(days=2)),
)


@pytest.fixture(scope="module")
def history() -> History:
    return generate(seed=13, senders=60)


@pytest.fixture(scope="module")
def postgres_db():
    with throwaway_postgres_database("xiaoke_analytics") as url:
        yield url
        dispose_engines()  # before the database is dropped


def _trackers(history: History) -> list:
    from rasa.shared.core.events import Event
    from rasa.shared.core.trackers import DialogueStateTracker

    return [
        DialogueStateTracker.from_events(
            sender, [Event.from_parameters(dict(event)) for event in events]
        )
        for sender, events in history.events.items()
    ]


def _postgres_store(url: str, event_broker=None):
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.domain import Domain

    parts = urlsplit(url)
    return SQLTrackerStore(
        domain=Domain.empty(),
        dialect="postgresql",
        host=parts.hostname,
        port=parts.port or 5432,
        db=parts.path.lstrip("/"),
        username=parts.username,
        password=parts.password,
        event_broker=event_broker,
    )


def _sqlite_store(path: Path, event_broker=None):
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.domain import Domain

    return SQLTrackerStore(
        domain=Domain.empty(), dialect="sqlite", db=str(path), event_broker=event_broker
    )


async def _save_all(store, history: History) -> None:
    for tracker in _trackers(history):
        await store.save(tracker)


@pytest.fixture(scope="module")
def postgres_events(postgres_db, history) -> str:
    """Rasa's tracker store on PostgreSQL, holding the generated history."""
    asyncio.run(_save_all(_postgres_store(postgres_db), history))
    return postgres_db


@pytest.fixture(scope="module")
def sqlite_events(tmp_path_factory, history) -> str:
    """Rasa's tracker store on a SQLite file, holding the generated history."""
    path = tmp_path_factory.mktemp("analytics") / "rasa.db"
    asyncio.run(_save_all(_sqlite_store(path), history))
    return f"sqlite:///{path}"


@pytest.mark.parametrize("store", ["postgres_events", "sqlite_events"])
@pytest.mark.parametrize("filters", FILTERS, ids=repr)
def test_report_from_rasas_tracker_store_equals_known_totals(
    request, history, store, filters
):
    url = request.getfixturevalue(store)
    assert count_rows(url, "events") == history.event_count
    report = read_report(url, "events", filters)
    assert report == compute(history.rows, filters)
    assert report == history.expected(filters)
    assert report.conversations > 0 or filters.start is not None


def test_a_day_filter_loads_whole_conversations_of_senders_who_wrote_that_day(
    history, postgres_events
):
    day = BASE_DAY + timedelta(days=1)
    since, until = Filters(start=day, end=day).day_bounds()
    engine = sa.create_engine(postgres_events)
    try:
        rows = load_events(engine, "events", since=since, until=until)
    finally:
        engine.dispose()
    senders = {row.sender_id for row in rows}
    # Every sender with a conversation that day; others only if they wrote that
    # day (a conversation from 23:50 the day before): compute() drops those.
    assert senders >= {truth.sender_id for truth in history.truths if truth.day == day}
    for sender in senders:
        assert any(
            event["event"] == "user" and since <= event["timestamp"] < until
            for event in history.events[sender]
        )
    assert senders < set(history.events)
    for sender in senders:  # complete, in stored order, replies after midnight too
        assert [row.event for row in rows if row.sender_id == sender] == [
            json.loads(json.dumps(event)) for event in history.events[sender]
        ]


def test_async_url_and_missing_table(postgres_events, tmp_path, history):
    async_url = postgres_events.replace("postgresql://", "postgresql+asyncpg://")
    assert read_report(async_url, "events", Filters()) == history.expected()
    empty = read_report(f"sqlite:///{tmp_path / 'none.db'}", "events", Filters())
    assert empty == compute([])
    assert read_report(postgres_events, "no_such_table", Filters()) == compute([])


# --- the event broker consumer ----------------------------------------------


MALFORMED = (
    b"not json at all",
    b"[1, 2, 3]",
    json.dumps({"event": "user", "text": "13800138000"}).encode(),  # no sender_id
    json.dumps({"sender_id": "s" * 300, "event": "user"}).encode(),  # too long
)


async def test_consumer_stores_what_rasas_broker_publishes(
    history, broker_names, analytics_db, tmp_path, caplog
):
    from rasa.core.brokers.pika import PikaEventBroker

    queue, exchange = broker_names
    broker = PikaEventBroker(
        "127.0.0.1", "guest", "guest", queues=[queue], exchange_name=exchange
    )
    await broker.connect()
    stop = asyncio.Event()
    consumer = asyncio.create_task(consume(AMQP_URL, queue, analytics_db, stop=stop))
    try:
        # Malformed messages first: the events behind them must still arrive.
        await publish_raw(queue, *MALFORMED)
        # Rasa's own path: the tracker store publishes every new event.
        await _save_all(
            _sqlite_store(tmp_path / "rasa.db", event_broker=broker), history
        )
        stored = await wait_for_rows(
            analytics_db, ANALYTICS_EVENTS, history.event_count, seconds=120
        )
    finally:
        await broker.close()
        stop.set()
        stats = await asyncio.wait_for(consumer, timeout=30)
    assert stored == history.event_count
    assert stats.stored == history.event_count
    assert stats.malformed == len(MALFORMED)
    assert "13800138000" not in caplog.text  # dropped messages logged, not quoted
    for filters in FILTERS:
        report = await asyncio.to_thread(
            read_report, analytics_db, ANALYTICS_EVENTS, filters
        )
        assert report == history.expected(filters)
    # The same rows as Rasa's own tracker store, sender_id in its column only.
    rows = await asyncio.to_thread(
        load_events, sa.create_engine(analytics_db), ANALYTICS_EVENTS
    )
    assert all("sender_id" not in row.event for row in rows)
    assert rows == await asyncio.to_thread(
        load_events, sa.create_engine(f"sqlite:///{tmp_path / 'rasa.db'}"), "events"
    )
    assert await queue_depth(queue) == 0


def _drop_database(url: str) -> None:
    name = urlsplit(url).path.lstrip("/")
    admin = sa.create_engine(postgres_url(), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


async def test_consumer_keeps_messages_it_could_not_store(broker_names, analytics_db):
    """Database gone: the message stays in the queue for the next consumer."""
    queue, _ = broker_names
    event = {"sender_id": "s1", "event": "user", "timestamp": 1.0, "text": "你好"}
    stop = asyncio.Event()
    consumer = asyncio.create_task(consume(AMQP_URL, queue, analytics_db, stop=stop))
    try:
        await publish_raw(queue, json.dumps(event).encode())
        assert await wait_for_rows(analytics_db, ANALYTICS_EVENTS, 1, 30) == 1
        await asyncio.to_thread(_drop_database, analytics_db)
        await publish_raw(queue, json.dumps(event).encode())
        await asyncio.sleep(3)  # the consumer retries meanwhile
    finally:
        stop.set()
        stats = await asyncio.wait_for(consumer, timeout=30)
    assert stats.stored == 1
    assert await queue_depth(queue) == 1


def test_consumer_process_stops_cleanly_on_sigterm(broker_names, analytics_db):
    queue, _ = broker_names
    env = {
        **os.environ,
        "ANALYTICS_DB_URL": analytics_db,
        "RABBITMQ_URL": "amqp://127.0.0.1:5672",
        "RABBITMQ_USERNAME": "guest",
        "RABBITMQ_PASSWORD": "guest",
        "RABBITMQ_QUEUE": queue,
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.analytics.consumer"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        event = {"sender_id": "s1", "event": "user", "timestamp": 1.0, "text": "你好"}
        asyncio.run(publish_raw(queue, json.dumps(event).encode()))
        stored = asyncio.run(wait_for_rows(analytics_db, ANALYTICS_EVENTS, 1, 60))
        assert stored == 1
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, output
    assert "1 events stored" in output
