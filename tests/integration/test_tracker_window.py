"""The windowed SQL tracker store: a compacted tracker behaves as the full one.

On SQLite (the embedded profile) and PostgreSQL (the production profile's
brokered store): a long conversation with slots set early, a form active and a
paused state, loaded as snapshot + window, has the full tracker's slots, active
loop, paused state and latest message and gets the same predictions from the
trained model; a save after a compacted load stores (and publishes) exactly the
new events.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from tests.support.services import throwaway_postgres_database
from tests.support.trackers import RecordingBroker

pytestmark = pytest.mark.model

WINDOW = 40
SENDER = "shopper-window"


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    with throwaway_postgres_database("xiaoke_window") as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'tracker.db'}"
    request.applymarker(pytest.mark.services)
    url = request.getfixturevalue("postgres_url")
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.execute(sa.text("DROP TABLE IF EXISTS events"))
    engine.dispose()
    return url


def _store(backend: str, agent, window: int = WINDOW, broker=None):
    from bot.rasa_server.tracker_store import BrokeredSQLTrackerStore
    from bot.rasa_server.tracker_window import WindowedSQLTrackerStore

    kind = BrokeredSQLTrackerStore if broker is not None else WindowedSQLTrackerStore
    return kind(
        domain=agent.domain, host=backend, window_events=window, event_broker=broker
    )


class Conversation:
    """Events of a conversation, stamped one millisecond apart."""

    def __init__(self, start: float | None = None) -> None:
        self.events: list[Any] = []
        self.clock = start if start is not None else time.time()

    def add(self, *events: Any) -> Conversation:
        for event in events:
            event.timestamp = self.clock
            self.clock += 1e-3
            self.events.append(event)
        return self

    def user(self, intent: str, text: str = "", **entities: str) -> Conversation:
        from rasa.shared.core.events import UserUttered

        return self.add(
            UserUttered(
                text or intent,
                intent={"name": intent, "confidence": 1.0},
                entities=[{"entity": k, "value": v} for k, v in entities.items()],
            )
        )

    def act(self, *names: str) -> Conversation:
        from rasa.shared.core.events import ActionExecuted

        return self.add(*(ActionExecuted(name) for name in names))

    def slot(self, **values: Any) -> Conversation:
        from rasa.shared.core.events import SlotSet

        return self.add(*(SlotSet(k, v) for k, v in values.items()))

    def faq_in_return_form(self) -> Conversation:
        """A side question in the form: it rejects, the rule answers, it goes on."""
        from rasa.shared.core.events import ActionExecutionRejected, BotUttered

        self.user("faq", "运费怎么算").add(ActionExecutionRejected("return_form"))
        self.act("utter_faq")
        self.add(BotUttered("运费说明", metadata={"utter_action": "utter_faq"}))
        self.act("return_form")
        return self.slot(requested_slot="item").act("action_listen")


def long_conversation(turns: int) -> Conversation:
    """Slots set early, the return form started, then ``turns`` FAQ turns in it."""
    from rasa.shared.core.events import ActiveLoop, BotUttered, SessionStarted

    talk = Conversation()
    talk.act("action_session_start").add(SessionStarted()).act("action_listen")
    talk.user("greet", "你好").act("utter_greet").add(BotUttered("您好"))
    talk.act("action_listen")
    talk.user("check_loyalty", "查积分").act("loyalty_form")
    talk.add(ActiveLoop("loyalty_form")).slot(requested_slot="customer_id")
    talk.act("action_listen").user("inform", "13800000000", phone="13800000000")
    talk.act("loyalty_form").slot(customer_id="C0001", requested_slot=None)
    talk.add(ActiveLoop(None)).act("action_check_loyalty").act("action_listen")
    talk.user("request_return", "我要退货").act("return_form")
    talk.add(ActiveLoop("return_form")).slot(requested_slot="order_id")
    talk.act("action_listen").user(
        "inform", "XK202612010001", order_id="XK202612010001"
    )
    talk.act("return_form").slot(order_id="XK202612010001", requested_slot="item")
    talk.act("action_listen")
    for _ in range(turns):
        talk.faq_in_return_form()
    return talk


async def _stored(store, conversation: Conversation) -> None:
    from rasa.shared.core.trackers import DialogueStateTracker

    tracker = DialogueStateTracker.from_events(
        SENDER, conversation.events, store.domain.slots
    )
    await store.save(tracker)


def _rows(backend: str) -> list[dict]:
    engine = sa.create_engine(backend)
    with engine.connect() as connection:
        rows = connection.execute(
            sa.text("SELECT data FROM events WHERE sender_id = :s ORDER BY id"),
            {"s": SENDER},
        ).all()
    engine.dispose()
    return [json.loads(row.data) for row in rows]


def _state(tracker) -> dict[str, Any]:
    return {
        "slots": tracker.current_slot_values(),
        "active_loop": tracker.active_loop_name,
        "paused": tracker.is_paused(),
        "latest_message": tracker.latest_message.as_dict(),
        "latest_action": tracker.latest_action,
    }


def _predictions(agent, tracker, last_user: tuple[str, dict]) -> list[tuple]:
    """Best action, policy and confidence for the next two actions after a message."""
    from rasa.shared.core.events import ActionExecuted, UserUttered

    intent, entities = last_user
    tracker = tracker.copy()
    tracker.update(
        UserUttered(
            intent,
            intent={"name": intent, "confidence": 1.0},
            entities=[{"entity": k, "value": v} for k, v in entities.items()],
        )
    )
    seen = []
    for _ in range(3):
        prediction = agent.processor._predict_next_with_tracker(tracker)
        scores = prediction.probabilities
        best = agent.domain.action_names_or_texts[scores.index(max(scores))]
        seen.append((best, prediction.policy_name, round(prediction.max_confidence, 5)))
        if best == "action_listen":
            break
        tracker.update(ActionExecuted(best))
    return seen


async def test_a_compacted_tracker_has_the_full_trackers_state(agent, backend):
    store = _store(backend, agent)
    talk = long_conversation(turns=60)
    await _stored(store, talk)

    compacted = await store.retrieve(SENDER)
    full = await _store(backend, agent, window=0).retrieve(SENDER)

    assert len(full.events) == len(talk.events) - 1  # action_session_start: older
    assert len(compacted.events) < len(full.events) / 3
    assert _state(compacted) == _state(full)
    assert compacted.active_loop == full.active_loop
    assert compacted.slots["customer_id"].value == "C0001"
    assert compacted.slots["order_id"].value == "XK202612010001"
    assert compacted.get_last_event_for(
        type(full.latest_message)
    ).timestamp == pytest.approx(full.latest_message.timestamp)


@pytest.mark.parametrize(
    "last_user",
    [
        ("faq", {}),
        ("deny", {}),
        ("greet", {}),
        ("inform", {"item": "蓝色外套"}),
        ("human_handoff", {}),
        ("track_delivery", {}),
    ],
)
async def test_a_compacted_tracker_gets_the_full_trackers_predictions(
    agent, backend, last_user
):
    store = _store(backend, agent)
    await _stored(store, long_conversation(turns=60))

    compacted = await store.retrieve(SENDER)
    full = await _store(backend, agent, window=0).retrieve(SENDER)

    assert len(compacted.events) < len(full.events) / 4
    assert _predictions(agent, compacted, last_user) == _predictions(
        agent, full, last_user
    )


async def test_the_handoff_summary_is_the_full_trackers(agent, backend):
    from rasa.shared.core.trackers import EventVerbosity
    from rasa_sdk import Tracker

    from actions.handoff import build_summary

    store = _store(backend, agent)
    talk = long_conversation(turns=60)
    talk.user("human_handoff", "转人工，XK202612010001 的退货")
    await _stored(store, talk)

    compacted = await store.retrieve(SENDER)
    full = await _store(backend, agent, window=0).retrieve(SENDER)

    def summary(tracker):
        state = tracker.current_state(EventVerbosity.ALL)
        return build_summary(Tracker.from_dict(state), "shopper_request")

    assert len(compacted.events) < len(full.events) / 3
    assert summary(compacted) == summary(full)
    assert summary(full)["order_numbers"] == ["XK202612010001"]
    assert len(summary(full)["intents"]) == 10


async def test_the_paused_state_survives_the_window(agent, backend):
    from rasa.shared.core.events import BotUttered, ConversationPaused

    store = _store(backend, agent)
    talk = long_conversation(turns=5)
    talk.user("human_handoff", "转人工").act("action_handoff")
    talk.add(ConversationPaused()).act("action_listen")
    for _ in range(40):  # the shopper talks to the agent: user events only
        talk.user("inform", "还在吗").add(BotUttered("在的")).act("action_listen")
    await _stored(store, talk)

    compacted = await store.retrieve(SENDER)
    full = await _store(backend, agent, window=0).retrieve(SENDER)

    assert compacted.is_paused() and full.is_paused()
    assert len(compacted.events) < len(full.events) / 2
    assert _state(compacted) == _state(full)


async def test_a_save_after_a_compacted_load_stores_exactly_the_new_events(
    agent, backend
):
    from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered

    broker = RecordingBroker()
    store = _store(backend, agent, broker=broker)
    await _stored(store, long_conversation(turns=60))
    stored_before = _rows(backend)
    broker.published.clear()

    tracker = await store.retrieve(SENDER)
    new = [
        UserUttered("最后一个问题", intent={"name": "faq", "confidence": 1.0}),
        ActionExecuted("utter_faq"),
        BotUttered("回答"),
        ActionExecuted("action_listen"),
    ]
    for event in new[:2]:
        tracker.update(event)
    await store.save(tracker)
    for event in new[2:]:
        tracker.update(event)
    await store.save(tracker)
    await store.save(tracker)  # nothing new: nothing stored, nothing published

    stored_after = _rows(backend)
    assert stored_after[: len(stored_before)] == stored_before
    added = stored_after[len(stored_before) :]
    assert added == [event.as_dict() for event in new]
    assert [
        {k: v for k, v in event.items() if k != "sender_id"}
        for event in broker.published
    ] == added

    full = await store.retrieve_full_tracker(SENDER)
    assert [event.as_dict() for event in full.events] == stored_after
    again = await _store(backend, agent, window=0).retrieve(SENDER)
    assert _state(await store.retrieve(SENDER)) == _state(again)


async def test_an_expired_session_starts_a_new_one_with_the_slots(
    agent, backend, monkeypatch
):
    from rasa.core.channels.channel import CollectingOutputChannel

    store = _store(backend, agent)
    talk = long_conversation(turns=60)
    for event in talk.events:
        event.timestamp -= 7200  # the last message two hours ago
    await _stored(store, talk)
    before = await _store(backend, agent, window=0).retrieve(SENDER)
    monkeypatch.setattr(agent.processor, "tracker_store", store)

    tracker = await agent.processor.fetch_tracker_and_update_session(
        SENDER, CollectingOutputChannel()
    )
    await agent.processor.save_tracker(tracker)

    rows = _rows(backend)
    added = [(row["event"], row.get("name")) for row in rows[len(talk.events) :]]
    assert added[:2] == [("action", "action_session_start"), ("session_started", None)]
    assert added[-1] == ("action", "action_listen")
    assert {event for event, _ in added[2:-1]} == {"slot"}
    new_session = await store.retrieve(SENDER)
    assert new_session.events[0].type_name == "session_started"
    assert len(new_session.events) == len(added) - 1  # action_session_start: older
    # Carried over: Rasa copies the session's slot events (fewer when compacted).
    assert new_session.current_slot_values() == before.current_slot_values()
    assert new_session.slots["customer_id"].value == "C0001"
    assert new_session.active_loop_name is None
    full = await store.retrieve_full_tracker(SENDER)
    assert len(full.events) == len(rows)


def test_the_embedded_endpoints_load_the_windowed_store(tmp_path, monkeypatch):
    from rasa.core.tracker_store import TrackerStore
    from rasa.core.utils import read_endpoints_from_path
    from rasa.shared.core.domain import Domain

    from bot.rasa_server.tracker_window import WindowedSQLTrackerStore
    from tests.conftest import ROOT

    monkeypatch.setenv("ACTION_ENDPOINT_URL", "http://127.0.0.1:5055/webhook")
    monkeypatch.setenv("ACTION_SERVER_TOKEN", "test-action-server-token")
    monkeypatch.setenv("RASA_TRACKER_DB", str(tmp_path / "tracker.db"))
    monkeypatch.delenv("TRACKER_WINDOW_EVENTS", raising=False)
    endpoints = read_endpoints_from_path(ROOT / "endpoints.yml")

    store = TrackerStore.create(endpoints.tracker_store, Domain.empty())

    # Rasa wraps it; an import error would silently give an InMemoryTrackerStore.
    inner = getattr(store, "_tracker_store", store)
    inner = getattr(inner, "_tracker_store", inner)
    assert isinstance(inner, WindowedSQLTrackerStore)
    assert inner.window_events == 50


def test_sqlite_store_writes_ahead_without_full_sync(tmp_path, agent):
    """The embedded store's commits append to SQLite's log (no fsync per turn)."""
    url = f"sqlite:///{tmp_path / 'wal.db'}"
    store = _store(url, agent)
    with store.engine.connect() as connection:
        journal = connection.exec_driver_sql("PRAGMA journal_mode").scalar()
        synchronous = connection.exec_driver_sql("PRAGMA synchronous").scalar()
    assert (journal, synchronous) == ("wal", 1)  # 1 = NORMAL (2 = FULL, the default)


def _statements(store) -> list[str]:
    """Record the SQL statements ``store`` sends from now on."""
    sent: list[str] = []

    @sa.event.listens_for(store.engine, "before_cursor_execute")
    def _record(_connection, _cursor, statement, *_args) -> None:
        sent.append(statement)

    return sent


async def test_a_session_the_window_holds_is_loaded_in_one_statement(agent, backend):
    # The session's start, its rows and their data come in one query; the older
    # session before it is not loaded (from SessionStarted on, as Rasa loads).
    from rasa.shared.core.events import SessionStarted

    talk = long_conversation(turns=2)
    talk.act("action_session_start").add(SessionStarted()).act("action_listen")
    talk.user("greet", "又来了").act("utter_greet").act("action_listen")
    store = _store(backend, agent)
    await _stored(store, talk)
    sent = _statements(store)
    tracker = await store.retrieve(SENDER)
    selects = [s for s in sent if s.lstrip().upper().startswith("SELECT")]
    assert len(selects) == 1
    assert [e.as_dict() for e in tracker.events] == [
        e.as_dict() for e in talk.events[-5:]
    ]


async def test_a_longer_session_fetches_only_the_older_rows_it_keeps(agent, backend):
    store = _store(backend, agent)
    await _stored(store, long_conversation(turns=60))
    sent = _statements(store)
    windowed = await store.retrieve(SENDER)
    selects = [s for s in sent if s.lstrip().upper().startswith("SELECT")]
    assert len(selects) == 2
    whole = await _store(backend, agent, window=0).retrieve(SENDER)
    assert _state(windowed) == _state(whole)
    assert len(windowed.events) < len(whole.events)
