"""A deletion request while one store is down: the truth, then a retry finishes it.

Three stores keep a conversation: Rasa's SQL tracker store, the analytics' copy
of its events (``analytics_events``, production) and the console's tables. Each
is reached through its own :class:`~tests.support.outage.TcpOutage`, so a test
takes one PostgreSQL connection path down for real (connection refused, open
connections cut) while the others stay up. The action asks the real console
over HTTP, as in production. The embedded profile (SQLite files) is checked by
taking the tracker store's directory away.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from rasa_sdk.events import ActiveLoop, AllSlotsReset
from rasa_sdk.executor import CollectingDispatcher

from actions.clients.console import ConsoleClient
from actions.clients.console import ConsoleSettings as ClientSettings
from actions.clients.http import close_session
from actions.privacy import KEPT_LABELS, ActionDeleteMyData
from bot.console.models import metadata as console_metadata
from bot.platform.db import dispose_engines
from bot.platform.events import events_table
from tests.conftest import ROOT
from tests.integration.console.conftest import (
    API_TOKEN,
    console_settings,
    start_console,
)
from tests.integration.console.conftest import fake_rasa as fake_rasa
from tests.support.outage import TcpOutage
from tests.support.services import throwaway_postgres_database
from tests.support.trackers import load_tracker, message_kwargs, responses

pytestmark = pytest.mark.services

SHOPPER = "web-shopper-outage"
OTHER = "web-shopper-bystander"
PHONE = "13800138000"
NAME = "王芳"
TEXTS = (PHONE, NAME, "我的手机号")
STORES = ("tracker", "analytics", "console")


def _conversation() -> list:
    from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered

    return [
        ActionExecuted("action_listen"),
        UserUttered(f"我的手机号{PHONE}", intent={"name": "inform", "confidence": 1.0}),
        SlotSet("phone", PHONE),
        SlotSet("customer_id", "C100001"),
        BotUttered(f"核实成功，{NAME}您好", {"buttons": []}),
    ]


async def _save_conversations(store) -> None:
    from rasa.shared.core.trackers import DialogueStateTracker

    for sender in (SHOPPER, OTHER):
        await store.save(DialogueStateTracker.from_events(sender, _conversation()))


def _postgres_store(url: str):
    from rasa.core.tracker_store import SQLTrackerStore

    parts = urlsplit(url)
    return SQLTrackerStore(
        dialect="postgresql",
        host=parts.hostname,
        port=parts.port or 5432,
        db=parts.path.lstrip("/"),
        username=parts.username,
        password=parts.password,
    )


def _texts_in(url: str, table: str, sender: str) -> str:
    """Every stored event of ``sender`` in ``table``, as one JSON text."""
    engine = sa.create_engine(url.replace("+aiosqlite", "").replace("+asyncpg", ""))
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                sa.text(f"SELECT data FROM {table} WHERE sender_id = :s"), {"s": sender}
            ).all()
    finally:
        engine.dispose()
    return json.dumps([json.loads(row.data) for row in rows], ensure_ascii=False)


def _console_texts(url: str, conversation_id: str) -> str:
    """The console's handoff records of the conversation, as one text."""
    engine = sa.create_engine(url.replace("+aiosqlite", "").replace("+asyncpg", ""))
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                sa.text(
                    "SELECT summary, customer_id FROM console_handoffs "
                    "WHERE conversation_id = :c"
                ),
                {"c": conversation_id},
            ).all()
    finally:
        engine.dispose()
    return json.dumps([list(row) for row in rows], ensure_ascii=False, default=str)


async def _queue_handoff(console, conversation_id: str) -> None:
    response = await console.post(
        "/internal/handoffs",
        json={
            "conversation_id": conversation_id,
            "channel": "web",
            "reason": "shopper_request",
            "summary": {
                "reason_label": "顾客要求转人工",
                "intents": ["human_handoff"],
                "slots": {"phone": PHONE},
                "order_numbers": ["XK202411110001"],
                "last_message": f"{NAME}，电话{PHONE}",
            },
            "customer_id": "C100001",
        },
        headers={"Authorization": f"Bearer {API_TOKEN}"},
    )
    assert response.status == 201, await response.text()


async def _delete(console, sender: str = SHOPPER) -> CollectingDispatcher:
    """Run the action as the shopper's confirmation does; check its events."""
    url = str(console.make_url("")).rstrip("/")
    action = ActionDeleteMyData(ConsoleClient(ClientSettings(url=url, token=API_TOKEN)))
    dispatcher = CollectingDispatcher()
    tracker = load_tracker("known_shopper")
    tracker.sender_id = sender
    try:
        events = await action.run(dispatcher, tracker, {})
    finally:
        await close_session()
    assert events == [ActiveLoop(None), AllSlotsReset()]
    return dispatcher


@functools.cache
def _response_texts() -> dict[str, str]:
    from rasa.shared.core.domain import Domain

    responses = Domain.load(str(ROOT / "domain.yml")).responses
    return {name: variants[0]["text"] for name, variants in responses.items()}


def _answer(dispatcher: CollectingDispatcher) -> str:
    """The shopper's answer as Rasa renders it from the domain's response."""
    (message,) = dispatcher.messages
    template = _response_texts()[message["response"]]
    return template.format(**{k: v for k, v in message.items() if k != "response"})


# --- production: PostgreSQL ------------------------------------------------


@pytest.fixture(scope="module")
def database() -> Iterator[str]:
    with throwaway_postgres_database("xiaoke_outage") as url:
        yield url


@pytest.fixture
def outages(database) -> Iterator[dict[str, TcpOutage]]:
    parts = urlsplit(database)
    outages = {
        store: TcpOutage(parts.hostname or "127.0.0.1", parts.port or 5432)
        for store in STORES
    }
    for outage in outages.values():
        outage.up()
    yield outages
    dispose_engines()
    for outage in outages.values():
        outage.down()


@pytest.fixture
async def stores(database, outages, fake_rasa):
    """Tracker store and analytics copy filled; the console with a handoff."""
    engine = sa.create_engine(database)
    with engine.begin() as connection:
        # The console's tables with their Alembic version: the console
        # migrates them afresh at start-up.
        for table in (
            "events",
            "analytics_events",
            *console_metadata.tables,
            "alembic_version_console",
        ):
            connection.execute(sa.text(f"DROP TABLE IF EXISTS {table} CASCADE"))
    engine.dispose()
    await _save_conversations(_postgres_store(database))
    analytics = events_table("analytics_events")
    engine = sa.create_engine(database)
    with engine.begin() as connection:
        analytics.create(connection)
        connection.execute(
            sa.text("INSERT INTO analytics_events SELECT * FROM events ORDER BY id")
        )
    engine.dispose()
    settings = console_settings(
        outages["console"].url_for(database),
        fake_rasa,
        tracker_db_url=outages["tracker"].url_for(database),
        analytics_db_url=outages["analytics"].url_for(database),
        analytics_table="analytics_events",
    )
    console = await start_console(settings)
    await _queue_handoff(console, SHOPPER)
    await _queue_handoff(console, OTHER)
    yield console
    await console.close()


def _kept(database: str) -> dict[str, str]:
    """What each store still holds of the shopper's conversation."""
    return {
        "tracker": _texts_in(database, "events", SHOPPER),
        "analytics": _texts_in(database, "analytics_events", SHOPPER),
        "console": _console_texts(database, SHOPPER),
    }


def _with_personal_data(database: str) -> set[str]:
    return {
        store
        for store, text in _kept(database).items()
        if any(secret in text for secret in TEXTS)
    }


async def test_every_store_holds_the_conversation_before(stores, database):
    assert _with_personal_data(database) == set(STORES)


async def test_with_every_store_up_all_is_deleted_and_counted(stores, database):
    said = message_kwargs(await _delete(stores), "utter_data_deleted")
    assert said["messages"] == 2 and said["remembered_values"] == 2
    assert said["handoff_part"] == "、1条人工客服的记录"
    assert _with_personal_data(database) == set()
    assert PHONE in _texts_in(database, "analytics_events", OTHER)  # only the shopper's
    # Asking again changes nothing more and counts nothing twice.
    again = message_kwargs(await _delete(stores), "utter_data_deleted")
    assert (again["messages"], again["remembered_values"]) == (0, 0)
    assert again["handoff_part"] == ""


@pytest.mark.parametrize("down", STORES)
async def test_a_store_down_is_named_and_a_retry_finishes(
    stores, database, outages, down
):
    outages[down].down()
    dispatcher = await _delete(stores)
    assert responses(dispatcher) == ["utter_data_partly_deleted"]
    said = message_kwargs(dispatcher, "utter_data_partly_deleted")
    assert said["kept"] == KEPT_LABELS[down]
    deleted = said["deleted_part"]
    assert deleted.startswith("已经删除：")
    assert ("2条聊天消息的内容、2项您提供过的信息" in deleted) == (down != "tracker")
    assert (KEPT_LABELS["analytics"] in deleted) == (down != "analytics")
    assert ("1条人工客服的记录" in deleted) == (down != "console")
    assert _with_personal_data(database) == {down}  # the truth, store by store
    answer = _answer(dispatcher)
    assert f"没能删除的：{KEPT_LABELS[down]}，" in answer
    assert "再说一次“删除我的聊天记录”" in answer

    outages[down].up()
    dispatcher = await _delete(stores)
    assert responses(dispatcher) == ["utter_data_deleted"]
    said = message_kwargs(dispatcher, "utter_data_deleted")
    # Only what the first request could not reach is counted now.
    expected = (2, 2) if down == "tracker" else (0, 0)
    assert (said["messages"], said["remembered_values"]) == expected
    assert said["handoff_part"] == ("、1条人工客服的记录" if down == "console" else "")
    assert _with_personal_data(database) == set()


async def test_every_store_down_deletes_nothing_and_says_so(stores, database, outages):
    for outage in outages.values():
        outage.down()
    dispatcher = await _delete(stores)
    said = message_kwargs(dispatcher, "utter_data_partly_deleted")
    assert said["deleted_part"] == ""
    assert _answer(dispatcher).startswith(
        "抱歉亲，删除这会儿没有全部完成😥 没能删除的：聊天记录"
    )
    assert said["kept"] == "、".join(KEPT_LABELS[store] for store in STORES)
    assert _with_personal_data(database) == set(STORES)


# --- embedded profile: SQLite files ------------------------------------------


@pytest.fixture
async def embedded(tmp_path: Path, fake_rasa):
    """The embedded profile: a SQLite tracker store in its own directory."""
    from rasa.core.tracker_store import SQLTrackerStore

    store_dir = tmp_path / "store"
    store_dir.mkdir()
    tracker_db = store_dir / "tracker.db"
    await _save_conversations(SQLTrackerStore(dialect="sqlite", db=str(tracker_db)))
    console_db = f"sqlite+aiosqlite:///{tmp_path / 'console.db'}"
    console = await start_console(
        console_settings(
            console_db, fake_rasa, tracker_db_url=f"sqlite:///{tracker_db}"
        )
    )
    await _queue_handoff(console, SHOPPER)
    yield console, store_dir, console_db
    await console.close()
    dispose_engines()


async def test_embedded_tracker_file_gone_is_named_and_a_retry_finishes(embedded):
    console, store_dir, console_db = embedded
    tracker_url = f"sqlite:///{store_dir / 'tracker.db'}"
    away = store_dir.with_name("store-away")
    store_dir.rename(away)  # the volume is gone: SQLite cannot open the file
    try:
        dispatcher = await _delete(console)
    finally:
        away.rename(store_dir)
    said = message_kwargs(dispatcher, "utter_data_partly_deleted")
    assert said["kept"] == KEPT_LABELS["tracker"]
    assert said["deleted_part"] == "已经删除：1条人工客服的记录。"
    assert PHONE in _texts_in(tracker_url, "events", SHOPPER)
    assert PHONE not in _console_texts(console_db, SHOPPER)

    said = message_kwargs(await _delete(console), "utter_data_deleted")
    assert (said["messages"], said["remembered_values"]) == (2, 2)
    assert said["handoff_part"] == ""
    stored = _texts_in(tracker_url, "events", SHOPPER)
    assert not any(secret in stored for secret in TEXTS)
    assert PHONE in _texts_in(tracker_url, "events", OTHER)
