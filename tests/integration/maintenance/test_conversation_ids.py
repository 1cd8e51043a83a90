"""Upgrading stored conversations to ids that name their channel.

Rasa's own SQLTrackerStore writes conversations under the old ids (SQLite, the
embedded profile's store), the console has handoffs and web-chat messages for
them; after the rename Rasa finds each conversation under its new id, and the
console's rows follow.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import sqlalchemy as sa

from bot.backends.common.db import create_engine
from bot.console.models import handoffs, web_messages
from bot.console.repository import ConsoleRepository
from bot.maintenance.conversation_ids import main, run


def _conversation(channel: str) -> list:
    from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered

    return [
        ActionExecuted("action_listen", timestamp=1.0),
        UserUttered(
            "我有多少积分",
            intent={"name": "check_loyalty", "confidence": 1.0},
            input_channel=channel,
            timestamp=2.0,
        ),
        BotUttered("请发一下手机号", timestamp=3.0),
    ]


async def _store(path: Path):
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.trackers import DialogueStateTracker

    store = SQLTrackerStore(dialect="sqlite", db=str(path))
    for sender, channel in (
        ("demo-openid-001", "wechat"),
        ("web-0123456789ab", "rest"),
        ("rest:already-new", "rest"),
    ):
        await store.save(
            DialogueStateTracker.from_events(sender, _conversation(channel))
        )
    return store


async def _console(url: str) -> None:
    engine = create_engine(url)
    repository = ConsoleRepository(engine)
    await repository.create_tables()
    await repository.enqueue(
        conversation_id="demo-openid-001",
        channel="wechat",
        reason="shopper_request",
        summary={},
        customer_id=None,
    )
    await repository.add_web_message("web-0123456789ab", "您好", "alice")
    await engine.dispose()


def test_old_ids_are_renamed_by_channel_everywhere(tmp_path):
    tracker_db = tmp_path / "tracker.db"
    console_db = tmp_path / "console.db"
    store = asyncio.run(_store(tracker_db))
    asyncio.run(_console(f"sqlite+aiosqlite:///{console_db}"))
    env = {
        "RASA_TRACKER_DB": str(tracker_db),
        "CONSOLE_DATABASE_URL": f"sqlite+aiosqlite:///{console_db}",
    }

    dry = run(env, dry_run=True)
    assert dry.renamed == {
        "demo-openid-001": "wechat:demo-openid-001",
        "web-0123456789ab": "rest:web-0123456789ab",
    }
    assert asyncio.run(store.retrieve("demo-openid-001")) is not None  # untouched

    assert main([], env) == 0
    for old, new in dry.renamed.items():
        assert asyncio.run(store.retrieve(old)) is None
        tracker = asyncio.run(store.retrieve(new))
        assert tracker is not None
        assert tracker.latest_message.text == "我有多少积分"
    assert asyncio.run(store.retrieve("rest:already-new")) is not None
    console = sa.create_engine(f"sqlite:///{console_db}")
    with console.connect() as connection:
        assert connection.execute(
            sa.select(handoffs.c.conversation_id)
        ).scalars().all() == ["wechat:demo-openid-001"]
        assert connection.execute(
            sa.select(web_messages.c.conversation_id)
        ).scalars().all() == ["rest:web-0123456789ab"]
    console.dispose()

    again = run(env, dry_run=False)
    assert again.renamed == {} and again.rows == 0  # idempotent
