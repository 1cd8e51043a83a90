"""Retention against a real PostgreSQL tracker store written by Rasa itself."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from bot.console.retention import main, run
from bot.privacy.anonymise import anonymise_event, erase_conversation
from tests.support.services import throwaway_postgres_database
from tests.support.trackers import stored_events

pytestmark = pytest.mark.services

NOW = datetime(2026, 6, 1, tzinfo=timezone.utc)
OLD = (NOW - timedelta(days=200)).timestamp()
RECENT = (NOW - timedelta(days=10)).timestamp()
SECRET = "我的手机13800138000"


@pytest.fixture(scope="module")
def tracker_db():
    with throwaway_postgres_database("xiaoke_retention") as url:
        yield url


def _events(timestamp: float) -> list:
    from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered

    return [
        ActionExecuted("action_listen", timestamp=timestamp),
        UserUttered(
            SECRET,
            intent={"name": "inform", "confidence": 1.0},
            entities=[
                {"entity": "phone", "value": "13800138000", "start": 4, "end": 15}
            ],
            timestamp=timestamp,
        ),
        SlotSet("phone", "13800138000", timestamp=timestamp),
        BotUttered("好的，收货人王芳，已核实", {"buttons": []}, timestamp=timestamp),
    ]


@pytest.fixture
async def tracker_store(tracker_db):
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.trackers import DialogueStateTracker

    parts = urlsplit(tracker_db)
    store = SQLTrackerStore(
        dialect="postgresql",
        host=parts.hostname,
        port=parts.port or 5432,
        db=parts.path.lstrip("/"),
        username=parts.username,
        password=parts.password,
    )
    engine = sa.create_engine(tracker_db)
    with engine.begin() as connection:
        connection.execute(sa.text("DELETE FROM events"))
    await store.save(DialogueStateTracker.from_events("old-shopper", _events(OLD)))
    await store.save(DialogueStateTracker.from_events("new-shopper", _events(RECENT)))
    yield tracker_db
    engine.dispose()


def _texts(events: list[dict]) -> str:
    return json.dumps(events, ensure_ascii=False)


async def test_old_conversation_text_is_removed_and_recent_kept(tracker_store):
    report = run(
        180, dry_run=False, environ={"RETENTION_TRACKER_DB_URL": tracker_store}, now=NOW
    )
    assert report.tracker_events == 3  # user, slot, bot
    old = stored_events(tracker_store, "old-shopper")
    assert "13800138000" not in _texts(old) and "王芳" not in _texts(old)
    user = next(event for event in old if event["event"] == "user")
    assert user["text"] is None and user["parse_data"]["text"] is None
    assert user["parse_data"]["intent"]["name"] == "inform"  # analytics keep it
    assert user["parse_data"]["entities"] == [
        {"entity": "phone", "start": 4, "end": 15}
    ]
    slot = next(event for event in old if event["event"] == "slot")
    assert slot["value"] == "138****8000"
    assert len(old) == 4  # events stay, only their text goes
    assert SECRET in _texts(stored_events(tracker_store, "new-shopper"))


async def test_dry_run_counts_but_changes_nothing(tracker_store):
    before = stored_events(tracker_store, "old-shopper")
    report = run(
        180, dry_run=True, environ={"RETENTION_TRACKER_DB_URL": tracker_store}, now=NOW
    )
    assert report.tracker_events == 3
    assert stored_events(tracker_store, "old-shopper") == before


async def test_a_second_run_changes_nothing_more(tracker_store):
    environ = {"RETENTION_TRACKER_DB_URL": tracker_store}
    run(180, dry_run=False, environ=environ, now=NOW)
    assert run(180, dry_run=False, environ=environ, now=NOW).tracker_events == 0


async def test_rasa_still_loads_the_anonymised_tracker(tracker_store):
    from rasa.core.tracker_store import SQLTrackerStore

    run(
        180, dry_run=False, environ={"RETENTION_TRACKER_DB_URL": tracker_store}, now=NOW
    )
    parts = urlsplit(tracker_store)
    store = SQLTrackerStore(
        dialect="postgresql",
        host=parts.hostname,
        port=parts.port or 5432,
        db=parts.path.lstrip("/"),
        username=parts.username,
        password=parts.password,
    )
    tracker = await store.retrieve_full_tracker("old-shopper")
    assert tracker is not None
    assert [e.as_dict()["event"] for e in tracker.events][-3:] == [
        "user",
        "slot",
        "bot",
    ]


async def test_console_messages_and_summaries_follow_the_period(
    tracker_store, tmp_path: Path
):
    from bot.backends.common.db import create_engine
    from bot.console.models import handoffs, notes, web_messages
    from bot.console.repository import ConsoleRepository
    from bot.console.workbench import WorkbenchRepository

    console_url = f"sqlite+aiosqlite:///{tmp_path / 'console.db'}"
    engine = create_engine(console_url)
    repository = ConsoleRepository(engine)
    await repository.create_tables()
    old = (NOW - timedelta(days=200)).replace(tzinfo=None)
    await repository.enqueue(
        conversation_id="old-shopper",
        channel="web",
        reason="shopper_request",
        summary={"last_message": SECRET},
        customer_id=None,
        now=old,
    )
    await repository.add_web_message("old-shopper", "王芳您好", "alice")
    workbench = WorkbenchRepository(engine)
    await workbench.add_note(1, "alice", "顾客王芳，手机13800138000")
    async with engine.begin() as connection:
        await connection.execute(sa.update(web_messages).values(created_at=old))
        await connection.execute(sa.update(notes).values(created_at=old))
        await connection.execute(sa.update(handoffs).values(transfer_note="王芳"))
    await repository.add_web_message("new-shopper", "您好", "alice")
    await workbench.add_note(2, "bob", "新备注")
    await engine.dispose()

    env = {
        "RETENTION_TRACKER_DB_URL": tracker_store,
        "CONSOLE_DATABASE_URL": console_url,
    }
    # The command runs its own event loop, as it does from the shell.
    report = await asyncio.to_thread(run, 180, dry_run=False, environ=env, now=NOW)
    assert (report.web_messages, report.handoff_summaries) == (1, 1)

    engine = create_engine(console_url)
    repository = ConsoleRepository(engine)
    assert await repository.web_messages_after("old-shopper", 0) == []
    assert len(await repository.web_messages_after("new-shopper", 0)) == 1
    handoff = await repository.get(1)
    workbench = WorkbenchRepository(engine)
    old_notes, new_notes = await workbench.notes(1), await workbench.notes(2)
    await engine.dispose()
    assert handoff is not None
    assert handoff.summary == {"last_message": "我的手机138****8000"}
    assert handoff.transfer_note is None
    assert old_notes == []
    assert [note.text for note in new_notes] == ["新备注"]


def test_the_command_reads_days_from_the_environment(tracker_store, capsys):
    assert (
        main(
            ["--dry-run"],
            {"RETENTION_TRACKER_DB_URL": tracker_store, "RETENTION_DAYS": "100000"},
        )
        == 0
    )
    assert "tracker events anonymised: 0" in capsys.readouterr().out


def test_python_dash_m_runs_the_command(tracker_store):
    done = subprocess.run(
        [sys.executable, "-m", "bot.console.retention", "--days", "1"],
        env={"RETENTION_TRACKER_DB_URL": tracker_store, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    # Both fixture conversations are months old by the real clock.
    assert "tracker events anonymised: 6" in done.stdout
    for sender in ("old-shopper", "new-shopper"):
        assert SECRET not in _texts(stored_events(tracker_store, sender))


def test_bot_response_variables_are_removed():
    event = {
        "event": "bot",
        "text": "王芳您好，您有8799积分",
        "metadata": {"utter_action": "utter_loyalty_summary", "points": 8799,
                     "name": "王芳", "agent": "alice"},
    }  # fmt: skip
    anonymised = anonymise_event(event)
    assert anonymised is not None
    assert anonymised["text"] is None
    assert anonymised["metadata"] == {
        "utter_action": "utter_loyalty_summary",
        "agent": "alice",
    }


def test_anonymise_event_leaves_actions_alone():
    assert anonymise_event({"event": "action", "name": "action_listen"}) is None


def test_erasing_one_conversation_keeps_the_others(tracker_store):
    engine = sa.create_engine(tracker_store)
    try:
        erased = erase_conversation(engine, "new-shopper")
        assert erased.messages + erased.slots == 3
    finally:
        engine.dispose()
    assert SECRET not in _texts(stored_events(tracker_store, "new-shopper"))
    assert SECRET in _texts(stored_events(tracker_store, "old-shopper"))


async def test_embedded_sqlite_conversation_store(tmp_path):
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.trackers import DialogueStateTracker

    path = tmp_path / "tracker.db"
    store = SQLTrackerStore(dialect="sqlite", db=str(path))
    await store.save(DialogueStateTracker.from_events("old-shopper", _events(OLD)))
    await store.save(DialogueStateTracker.from_events("new-shopper", _events(RECENT)))
    report = run(180, dry_run=False, environ={"RASA_TRACKER_DB": str(path)}, now=NOW)
    assert report.tracker_events == 3
    url = f"sqlite:///{path}"
    assert SECRET not in _texts(stored_events(url, "old-shopper"))
    assert SECRET in _texts(stored_events(url, "new-shopper"))
