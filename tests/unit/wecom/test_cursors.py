"""The sync_msg cursor outlives the process: SQLite file or Redis."""

from __future__ import annotations

import uuid

import pytest

from bot.wecom.cursors import RedisCursorStore, SqliteCursorStore, create_cursor_store
from tests.support.services import require_service


async def test_sqlite_cursor_survives_a_new_store(tmp_path):
    first = SqliteCursorStore(tmp_path / "wecom")
    assert await first.get("wk1") == ""
    await first.put("wk1", "4gw7MepFLfgF2VC5npN")
    await first.put("wk1", "4gw7MepFLfgF2VC5npO")
    await first.put("wk2", "other")
    again = SqliteCursorStore(tmp_path / "wecom")
    assert await again.get("wk1") == "4gw7MepFLfgF2VC5npO"
    assert await again.get("wk2") == "other"


@pytest.mark.services
async def test_redis_cursor_is_shared_by_two_stores():
    require_service("Redis", "127.0.0.1", 6379)
    prefix = f"xiaoke:test:{uuid.uuid4().hex}:"
    one = RedisCursorStore("redis://127.0.0.1:6379/0", prefix)
    two = RedisCursorStore("redis://127.0.0.1:6379/0", prefix)
    try:
        await one.put("wk1", "cursor-9")
        assert await two.get("wk1") == "cursor-9"
        assert await two.get("wk2") == ""
    finally:
        await one.close()
        await two.close()


def test_redis_is_chosen_when_configured(tmp_path):
    assert isinstance(
        create_cursor_store("redis://127.0.0.1:6379/0", tmp_path), RedisCursorStore
    )
    assert isinstance(create_cursor_store(None, tmp_path), SqliteCursorStore)
