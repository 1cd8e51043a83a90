"""The production tracker store: what is stored is published, without a second load."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from profiles import launch
from tests.conftest import ROOT
from tests.support.services import throwaway_postgres_database
from tests.support.trackers import RecordingBroker, stored_events

pytestmark = pytest.mark.services


@pytest.fixture(scope="module")
def database():
    with throwaway_postgres_database("xiaoke_trackers") as url:
        yield url


def _store(database: str, monkeypatch, broker=None):
    from rasa.core.tracker_store import TrackerStore
    from rasa.core.utils import read_endpoints_from_path
    from rasa.shared.core.domain import Domain

    parts = urlsplit(database)
    for key, value in launch.read_env_file(launch.DEFAULTS).items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("ACTION_ENDPOINT_URL", "http://127.0.0.1:5055/webhook")
    monkeypatch.setenv("ACTION_SERVER_TOKEN", "test-action-server-token")
    monkeypatch.setenv("RASA_DB_HOST", parts.hostname or "127.0.0.1")
    monkeypatch.setenv("RASA_DB_PORT", str(parts.port or 5432))
    monkeypatch.setenv("RASA_DB_NAME", parts.path.lstrip("/"))
    endpoints = read_endpoints_from_path(ROOT / "endpoints.production.yml")
    return TrackerStore.create(endpoints.tracker_store, Domain.empty(), broker)


def _turn(text: str) -> list:
    from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered

    return [
        UserUttered(text, intent={"name": "greet", "confidence": 1.0}),
        ActionExecuted("utter_greet"),
        BotUttered("您好，我是小客"),
        ActionExecuted("action_listen"),
    ]


def test_the_production_endpoints_load_this_store(database, monkeypatch):
    from bot.rasa_server.tracker_store import BrokeredSQLTrackerStore

    store = _store(database, monkeypatch)
    # Rasa wraps it; an import error would silently give an InMemoryTrackerStore.
    inner = getattr(store, "_tracker_store", store)
    inner = getattr(inner, "_tracker_store", inner)
    assert isinstance(inner, BrokeredSQLTrackerStore)


async def test_stored_events_are_published_once_in_order(database, monkeypatch):
    from rasa.shared.core.trackers import DialogueStateTracker

    from bot.rasa_server.tracker_store import BrokeredSQLTrackerStore

    broker = RecordingBroker()
    store = _store(database, monkeypatch, broker)

    async def no_second_load(*args, **kwargs):
        raise AssertionError("save loaded the tracker again")

    monkeypatch.setattr(BrokeredSQLTrackerStore, "retrieve", no_second_load)
    tracker = DialogueStateTracker.from_events("shopper-1", _turn("你好"))
    await store.save(tracker)
    for event in _turn("在吗"):
        tracker.update(event)
    await store.save(tracker)
    await store.save(tracker)  # nothing new: nothing stored, nothing published

    stored = stored_events(database, "shopper-1")
    assert len(stored) == 8
    assert [event["sender_id"] for event in broker.published] == ["shopper-1"] * 8
    published = [
        {k: v for k, v in event.items() if k != "sender_id"}
        for event in broker.published
    ]
    assert published == stored
    texts = [e.get("text") for e in published if e["event"] == "user"]
    assert texts == ["你好", "在吗"]
