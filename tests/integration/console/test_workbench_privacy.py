"""A shopper's deletion request empties the workbench's notes about them."""

from __future__ import annotations

from bot.backends.common.db import create_engine
from bot.console.floor import FloorRepository
from bot.console.repository import ConsoleRepository
from bot.console.workbench import WorkbenchRepository


async def test_erasure_deletes_notes_and_the_transfer_note(database_url):
    engine = create_engine(database_url)
    try:
        repository = ConsoleRepository(engine)
        await repository.create_tables()
        workbench = WorkbenchRepository(engine)
        conversation = f"web:erase-{id(engine)}"
        mine = await repository.enqueue(
            conversation_id=conversation,
            channel="web",
            reason="complaint",
            summary={"intents": ["complain"], "last_message": "我叫王芳"},
            customer_id="C0001",
        )
        other = await repository.enqueue(
            conversation_id=f"{conversation}-other",
            channel="web",
            reason="complaint",
            summary={},
            customer_id=None,
        )
        await repository.claim(mine.id, "alice")
        await FloorRepository(engine).transfer(
            mine.id,
            from_agent="alice",
            to_agent="bob",
            to_team=None,
            note="王芳要退款",
            by="alice",
        )
        await workbench.add_note(mine.id, "alice", "顾客王芳，手机13800138000")
        await workbench.add_note(other.id, "bob", "别的会话")
        await workbench.add_tag(mine.id, "退款")
        _, emptied = await repository.erase_conversation(conversation)
        assert emptied == 1
        stored = await repository.get(mine.id)
        assert stored.transfer_note is None and stored.customer_id is None
        assert await workbench.notes(mine.id) == []
        assert [n.text for n in await workbench.notes(other.id)] == ["别的会话"]
        # the tag is a label of the outcome, not the shopper's data: it stays
        assert (await workbench.tags_of([mine.id]))[mine.id] == ["退款"]
    finally:
        await engine.dispose()
