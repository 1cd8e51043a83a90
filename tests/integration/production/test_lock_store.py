"""The atomic Redis lock store under contention, against the real Redis."""

from __future__ import annotations

import asyncio
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from rasa.utils.endpoints import EndpointConfig

from bot.rasa_server.lock_store import AtomicRedisLockStore
from tests.support.services import require_service

pytestmark = pytest.mark.services


@pytest.fixture
def stores():
    require_service("Redis", "127.0.0.1", 6379)
    prefix = f"locktest{uuid.uuid4().hex[:8]}"
    config = EndpointConfig(
        url="127.0.0.1", port=6379, db=1, key_prefix=prefix, type="unused"
    )
    # one store (one connection) per simulated server process
    made = [AtomicRedisLockStore(endpoint_config=config) for _ in range(8)]
    yield made
    made[0].red.delete(*made[0].red.keys(f"{prefix}*") or ["-"])


def test_concurrent_tickets_are_unique_across_processes(stores):
    conversation = f"c-{uuid.uuid4().hex[:6]}"
    with ThreadPoolExecutor(max_workers=len(stores)) as pool:
        tickets = list(
            pool.map(
                lambda index: stores[index % len(stores)].issue_ticket(conversation),
                range(200),
            )
        )
    assert sorted(tickets) == list(range(min(tickets), min(tickets) + 200))
    lock = stores[0].get_lock(conversation)
    assert lock is not None
    assert len(lock.tickets) == 200


def test_cleanup_never_drops_a_ticket_issued_meanwhile(stores):
    conversation = f"c-{uuid.uuid4().hex[:6]}"
    first = stores[0].issue_ticket(conversation)
    # someone is already waiting, so cleaning up the first ticket keeps the lock
    second = stores[1].issue_ticket(conversation)

    with ThreadPoolExecutor(max_workers=4) as pool:
        waiting = pool.submit(
            lambda: [
                stores[i % len(stores)].issue_ticket(conversation) for i in range(50)
            ]
        )
        stores[2].cleanup(conversation, first)
        issued = waiting.result()
    lock = stores[0].get_lock(conversation)
    assert lock is not None
    remaining = [ticket.number for ticket in lock.tickets]
    assert remaining == sorted({second, *issued})
    assert first not in remaining


def test_cleanup_of_the_last_ticket_removes_the_lock(stores):
    conversation = f"c-{uuid.uuid4().hex[:6]}"
    only = stores[0].issue_ticket(conversation)
    stores[1].cleanup(conversation, only)
    assert stores[0].get_lock(conversation) is None


def test_built_from_the_endpoints_file(tmp_path):
    require_service("Redis", "127.0.0.1", 6379)
    from rasa.core.lock_store import LockStore
    from rasa.core.utils import read_endpoints_from_path

    endpoints = tmp_path / "endpoints.yml"
    endpoints.write_text(
        "lock_store:\n  type: bot.rasa_server.lock_store.AtomicRedisLockStore\n"
        "  url: 127.0.0.1\n  port: 6379\n  db: 1\n  key_prefix: lockcfg\n"
    )
    store = LockStore.create(read_endpoints_from_path(str(endpoints)).lock_store)
    assert isinstance(store, AtomicRedisLockStore)
    assert store.key_prefix.startswith("lockcfg:")


async def _hold(store, conversation, log, name, release=None):
    async with store.lock(conversation):
        log.append(f"{name} in")
        if release is not None:
            await release.wait()
        log.append(f"{name} out")


async def test_messages_in_a_row_across_processes_one_at_a_time_in_order(
    stores, monkeypatch
):
    # Sanic workers (one store each) get a shopper's messages sent in a row: each
    # waits for the one before it (woken in its process, polled across them).
    conversation = f"c-{uuid.uuid4().hex[:6]}"
    pauses: list[float] = []
    for store in stores[:2]:
        real = store._released

        async def released(conversation_id, pause, real=real):
            pauses.append(pause)
            await real(conversation_id, pause)

        monkeypatch.setattr(store, "_released", released)
    log: list[str] = []
    release = asyncio.Event()
    tasks = [asyncio.create_task(_hold(stores[0], conversation, log, "m0", release))]
    for index in range(1, 4):
        await asyncio.sleep(0.005)
        store = stores[index % 2]
        tasks.append(asyncio.create_task(_hold(store, conversation, log, f"m{index}")))
    await asyncio.sleep(0.05)
    assert log == ["m0 in"]
    release.set()
    await asyncio.wait_for(asyncio.gather(*tasks), 5)
    assert log == [f"m{i} {step}" for i in range(4) for step in ("in", "out")]
    assert stores[0].get_lock(conversation) is None
    # The turn before ran in the other process: the waiters looked again after
    # 10 ms, doubling to 100 ms at most (not Rasa's one-second sleeps).
    assert pauses and pauses[0] == 0.01
    assert set(pauses) <= {0.01, 0.02, 0.04, 0.08, 0.1}
