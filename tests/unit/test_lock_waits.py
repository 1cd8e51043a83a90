"""Messages of one busy conversation: woken when it is free, in arrival order."""

from __future__ import annotations

import asyncio

import pytest
from rasa.core.lock_store import LockError, LockStore
from rasa.utils.endpoints import EndpointConfig

from bot.rasa_server import lock_waits
from bot.rasa_server.lock_waits import PromptInMemoryLockStore

# Long enough that a waiter only gets the lock in time by being woken.
NEVER = 60.0
LIVENESS = 5.0


async def _hold(
    store: LockStore,
    conversation: str,
    log: list[str],
    name: str,
    release: asyncio.Event | None = None,
) -> None:
    async with store.lock(conversation):
        log.append(f"{name} in")
        if release is not None:
            await release.wait()
        log.append(f"{name} out")


async def test_a_waiting_message_is_woken_when_the_turn_ends(monkeypatch):
    monkeypatch.setattr(lock_waits, "FIRST_PAUSE", NEVER)
    monkeypatch.setattr(lock_waits, "LONGEST_PAUSE", NEVER)
    store = PromptInMemoryLockStore()
    log: list[str] = []
    release = asyncio.Event()
    first = asyncio.create_task(_hold(store, "c1", log, "first", release))
    await asyncio.sleep(0)
    second = asyncio.create_task(_hold(store, "c1", log, "second"))
    await asyncio.sleep(0.05)
    assert log == ["first in"]  # the second waits while the first holds it
    release.set()
    # With pauses of a minute, only the wake-up gets the second in.
    await asyncio.wait_for(asyncio.gather(first, second), LIVENESS)
    assert log == ["first in", "first out", "second in", "second out"]
    assert store._releases() == {}  # nothing left behind
    assert store.get_lock("c1") is None


async def test_messages_are_handled_in_the_order_they_arrived():
    store = PromptInMemoryLockStore()
    log: list[str] = []
    release = asyncio.Event()
    tasks = [asyncio.create_task(_hold(store, "c1", log, "m0", release))]
    for index in range(1, 5):
        await asyncio.sleep(0)
        tasks.append(asyncio.create_task(_hold(store, "c1", log, f"m{index}")))
    await asyncio.sleep(0.02)
    release.set()
    await asyncio.wait_for(asyncio.gather(*tasks), LIVENESS)
    assert log == [f"m{i} {step}" for i in range(5) for step in ("in", "out")]


async def test_other_conversations_do_not_wait():
    store = PromptInMemoryLockStore()
    log: list[str] = []
    release = asyncio.Event()
    busy = asyncio.create_task(_hold(store, "c1", log, "c1", release))
    await asyncio.sleep(0)
    await asyncio.wait_for(_hold(store, "c2", log, "c2"), LIVENESS)
    assert log == ["c1 in", "c2 in", "c2 out"]
    release.set()
    await busy


async def test_without_a_wake_up_it_looks_again_after_10_ms_doubling_to_100(
    monkeypatch,
):
    # A turn in another process holds the conversation: nothing here wakes the
    # waiter, so it polls; record the pauses it asks for.
    store = PromptInMemoryLockStore()
    ticket = store.issue_ticket("c1")  # held "elsewhere"
    pauses: list[float] = []

    async def released(conversation_id: str, pause: float) -> None:
        pauses.append(pause)
        if len(pauses) == 7:
            store.cleanup("c1", ticket)  # the other process finishes

    monkeypatch.setattr(store, "_released", released)
    async with store.lock("c1", wait_time_in_seconds=1):  # Rasa's default
        pass
    assert pauses == [0.01, 0.02, 0.04, 0.08, 0.1, 0.1, 0.1]


async def test_a_lock_that_expires_while_waiting_fails_and_leaves_nothing(
    monkeypatch,
):
    store = PromptInMemoryLockStore()
    store.issue_ticket("c1")

    async def released(conversation_id: str, pause: float) -> None:
        store.delete_lock(conversation_id)  # expired and removed meanwhile

    monkeypatch.setattr(store, "_released", released)
    with pytest.raises(LockError):
        async with store.lock("c1"):
            pytest.fail("the lock was gone")
    assert store._releases() == {}


def test_built_by_rasa_from_the_endpoints_file_entry():
    store = LockStore.create(
        EndpointConfig(type="bot.rasa_server.lock_waits.PromptInMemoryLockStore")
    )
    assert isinstance(store, PromptInMemoryLockStore)
