"""The deletion request: the action asks the console, over HTTP, to empty the
conversation in Rasa's real SQL tracker store (PostgreSQL) and its own tables."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from rasa_sdk.events import ActiveLoop, AllSlotsReset
from rasa_sdk.executor import CollectingDispatcher

from actions.clients.console import ConsoleClient
from actions.clients.console import ConsoleSettings as ClientSettings
from actions.clients.http import close_session
from actions.privacy import ActionDeleteMyData
from tests.integration.console.conftest import (
    API_TOKEN,
    console_settings,
    queue_handoff,
    start_console,
)
from tests.integration.console.conftest import fake_rasa as fake_rasa
from tests.integration.console.conftest import sqlite_url as sqlite_url
from tests.support.services import throwaway_postgres_database
from tests.support.trackers import (
    load_tracker,
    message_kwargs,
    responses,
    stored_events,
)

pytestmark = pytest.mark.services

SHOPPER = "web-shopper-0001"
OTHER = "web-shopper-0002"
PHONE = "13800138000"


@pytest.fixture(scope="module")
def tracker_db():
    with throwaway_postgres_database("xiaoke_erasure") as url:
        yield url


def _conversation(text: str) -> list:
    from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered

    return [
        ActionExecuted("action_listen"),
        UserUttered(
            text,
            intent={"name": "inform", "confidence": 1.0},
            entities=[{"entity": "phone", "value": PHONE, "start": 0, "end": 11}],
        ),
        SlotSet("phone", PHONE),
        SlotSet("customer_id", "C100001"),
        BotUttered("核实成功，王芳您好", {"buttons": []}),
    ]


def _store(url: str):
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


def _stored(url: str, sender: str) -> str:
    return json.dumps(stored_events(url, sender), ensure_ascii=False)


@pytest.fixture
async def store(tracker_db):
    from rasa.shared.core.trackers import DialogueStateTracker

    store = _store(tracker_db)
    engine = sa.create_engine(tracker_db)
    with engine.begin() as connection:
        connection.execute(sa.text("DELETE FROM events"))
    engine.dispose()
    for sender in (SHOPPER, OTHER):
        await store.save(
            DialogueStateTracker.from_events(sender, _conversation(f"{PHONE} 我的手机"))
        )
    return store


@pytest.fixture
async def console(fake_rasa, sqlite_url, tracker_db):
    client = await start_console(
        console_settings(sqlite_url, fake_rasa, tracker_db_url=tracker_db)
    )
    yield client
    await client.close()


def _action(console) -> ActionDeleteMyData:
    url = str(console.make_url("")).rstrip("/")
    return ActionDeleteMyData(ConsoleClient(ClientSettings(url=url, token=API_TOKEN)))


async def _delete(console, sender: str = SHOPPER):
    dispatcher = CollectingDispatcher()
    tracker = load_tracker("known_shopper")
    tracker.sender_id = sender
    try:
        events = await _action(console).run(dispatcher, tracker, {})
    finally:
        await close_session()
    return dispatcher, events


async def test_confirmed_deletion_empties_the_conversation_and_says_what(
    store, console, tracker_db
):
    await queue_handoff(console, SHOPPER)
    dispatcher, events = await _delete(console)
    assert events == [ActiveLoop(None), AllSlotsReset()]
    assert responses(dispatcher) == ["utter_data_deleted"]
    said = message_kwargs(dispatcher, "utter_data_deleted")
    assert said["messages"] == 2  # the shopper's message and the bot's
    assert said["remembered_values"] == 2  # phone, customer id
    assert said["handoff_part"] == "、1条人工客服的记录"
    shopper = _stored(tracker_db, SHOPPER)
    assert PHONE not in shopper and "王芳" not in shopper and "C100001" not in shopper
    assert '"name": "inform"' in shopper  # analytics still count the turn
    assert PHONE in _stored(tracker_db, OTHER)  # nobody else's data


async def test_the_conversation_continues_after_deletion(store, console, tracker_db):
    from rasa.shared.core.events import UserUttered

    await _delete(console)
    tracker = await store.retrieve(SHOPPER)
    assert tracker is not None
    tracker.update(UserUttered("还有一个问题", intent={"name": "greet"}))
    await store.save(tracker)
    stored = _stored(tracker_db, SHOPPER)
    assert "还有一个问题" in stored
    assert PHONE not in stored  # the emptied events were not stored again


async def test_handoff_record_keeps_no_personal_data(store, console):
    from bot.console.keys import SERVICE

    await queue_handoff(console, SHOPPER)
    await _delete(console)
    repository = console.server.app[SERVICE].repository
    waiting = await repository.waiting()
    mine = [h for h in waiting if h.conversation_id == SHOPPER]
    assert mine and all(h.customer_id is None for h in mine)
    assert all(h.summary["slots"] == {} and h.summary["erased"] for h in mine)


async def test_console_down_changes_nothing_and_says_so(store, tracker_db):
    action = ActionDeleteMyData(
        ConsoleClient(ClientSettings(url="http://127.0.0.1:9", token=API_TOKEN))
    )
    dispatcher = CollectingDispatcher()
    try:
        events = await action.run(dispatcher, load_tracker("known_shopper"), {})
    finally:
        await close_session()
    assert events == []
    assert responses(dispatcher) == ["utter_delete_data_failed"]
    assert PHONE in _stored(tracker_db, SHOPPER)


async def test_erase_needs_the_internal_token(store, console, tracker_db):
    response = await console.post(
        "/internal/privacy/erase", json={"conversation_id": SHOPPER}
    )
    assert response.status == 401
    assert PHONE in _stored(tracker_db, SHOPPER)


async def test_erase_rejects_a_bad_body(console):
    for body in ({}, {"conversation_id": ""}, {"conversation_id": 5}, ["x"]):
        response = await console.post(
            "/internal/privacy/erase",
            json=body,
            headers={"Authorization": f"Bearer {API_TOKEN}"},
        )
        assert response.status == 400, body


async def test_without_a_conversation_store_the_request_fails_cleanly(
    fake_rasa, sqlite_url
):
    client = await start_console(console_settings(sqlite_url, fake_rasa))
    try:
        dispatcher, events = await _delete(client)
    finally:
        await client.close()
    assert events == []
    assert responses(dispatcher) == ["utter_delete_data_unavailable"]


async def test_an_async_store_url_works_too(store, fake_rasa, sqlite_url, tracker_db):
    async_url = tracker_db.replace("postgresql://", "postgresql+asyncpg://", 1)
    client = await start_console(
        console_settings(sqlite_url, fake_rasa, tracker_db_url=async_url)
    )
    try:
        dispatcher, _ = await _delete(client)
    finally:
        await client.close()
    assert responses(dispatcher) == ["utter_data_deleted"]
    assert PHONE not in _stored(tracker_db, SHOPPER)
