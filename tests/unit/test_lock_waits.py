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
    async with store.lock("c1", wait_time_in_seconds=1):  # ignored
        pass
    assert pauses == [0.01, 0.02, 0.04, 0.08, 0.1, 0.1, 0.1]


async def test_a_lock_that_expires_while_waiting_fails_and_leaves_nothing():
    store = PromptInMemoryLockStore()
    store.issue_ticket("c1")  # held elsewhere
    waiting = asyncio.create_task(_hold(store, "c1", [], "waiter"))
    await asyncio.sleep(0.02)
    assert store._releases()  # the waiter waits for a release
    store.delete_lock("c1")  # expired and removed meanwhile
    with pytest.raises(LockError):
        await asyncio.wait_for(waiting, LIVENESS)
    assert store._releases() == {}


async def test_a_message_cancelled_as_the_turn_before_it_ends_does_not_run():
    # Cancelled (the shopper's request went away) in the very step the
    # conversation is released: it must not take its turn.
    store = PromptInMemoryLockStore()
    log: list[str] = []
    async with store.lock("c1"):
        waiting = asyncio.create_task(_hold(store, "c1", log, "cancelled"))
        await asyncio.sleep(0.02)
    waiting.cancel()  # same step as the release: no await in between
    await asyncio.gather(waiting, return_exceptions=True)
    assert waiting.cancelled()
    assert log == []
    assert store.get_lock("c1") is None


def test_installed_it_is_rasas_default_lock_store_and_keeps_one_worker(monkeypatch):
    import rasa.core.agent
    import rasa.core.lock_store
    from rasa.core.agent import Agent
    from rasa.core.utils import number_of_sanic_workers, read_endpoints_from_path

    for module in (rasa.core.agent, rasa.core.lock_store):  # restored afterwards
        monkeypatch.setattr(module, "InMemoryLockStore", module.InMemoryLockStore)
    lock_waits.install_prompt_lock_waits()
    assert isinstance(Agent._create_lock_store(None), PromptInMemoryLockStore)
    made = LockStore.create(EndpointConfig(type="in_memory"))
    assert isinstance(made, PromptInMemoryLockStore)
    # The embedded endpoints name no lock store: Rasa keeps one Sanic worker,
    # as per-process locks cannot order a conversation across workers.
    monkeypatch.setenv("SANIC_WORKERS", "2")
    for name in ("ACTION_ENDPOINT_URL", "ACTION_SERVER_TOKEN", "RASA_TRACKER_DB"):
        monkeypatch.setenv(name, "x")
    endpoints = read_endpoints_from_path("endpoints.yml")
    assert number_of_sanic_workers(endpoints.lock_store) == 1
    assert number_of_sanic_workers(made) == 1
