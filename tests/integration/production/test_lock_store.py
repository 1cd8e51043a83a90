"""The atomic Redis lock store under contention, against the real Redis."""

from __future__ import annotations

import asyncio
import time
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


def _counting(store, monkeypatch) -> list[str]:
    """Record the Redis commands ``store`` sends (each is one round trip)."""
    sent: list[str] = []
    real = store.red.execute_command

    def execute_command(*args, **options):
        sent.append(str(args[0]))
        return real(*args, **options)

    monkeypatch.setattr(store.red, "execute_command", execute_command)
    return sent


async def test_a_free_conversation_is_taken_and_given_back_in_two_round_trips(
    stores, monkeypatch
):
    conversation = f"c-{uuid.uuid4().hex[:6]}"
    sent = _counting(stores[0], monkeypatch)
    async with stores[0].lock(conversation) as held:
        assert not held.is_locked(held.tickets[0].number)
        assert len(sent) == 1
    assert len(sent) == 2
    assert all(command.upper().startswith("EVAL") for command in sent)
    assert stores[1].get_lock(conversation) is None


async def test_a_busy_conversation_is_read_until_its_ticket_is_served(stores):
    conversation = f"c-{uuid.uuid4().hex[:6]}"
    log: list[str] = []
    release = asyncio.Event()
    first = asyncio.create_task(_hold(stores[0], conversation, log, "a", release))
    await asyncio.sleep(0.02)
    second = asyncio.create_task(_hold(stores[1], conversation, log, "b"))
    await asyncio.sleep(0.05)
    lock = stores[2].get_lock(conversation)
    assert lock is not None and [t.number for t in lock.tickets] == [0, 1]
    assert log == ["a in"]
    release.set()
    await asyncio.wait_for(asyncio.gather(first, second), 5)
    assert log == ["a in", "a out", "b in", "b out"]
    assert stores[2].get_lock(conversation) is None


def test_expired_tickets_are_dropped_when_the_next_is_issued(stores):
    # A ticket of a crashed turn expires; the next message is served, numbered
    # after the live tickets only, as Rasa's TicketLock does.
    from rasa.core.lock import Ticket, TicketLock

    conversation = f"c-{uuid.uuid4().hex[:6]}"
    stale = TicketLock(conversation)
    stale.tickets.append(Ticket(4, time.time() - 1))
    stores[0].save_lock(stale)
    ticket = stores[1].issue_ticket(conversation)
    lock = stores[2].get_lock(conversation)
    assert lock is not None
    assert ticket == 0
    assert [t.number for t in lock.tickets] == [0]
    assert not lock.is_locked(0)


def test_the_stored_lock_is_rasas_ticket_lock_json(stores):
    # Rasa's own RedisLockStore (another deployment's version, a maintenance
    # script) reads and extends what the scripts store, and the other way round.
    from rasa.core.lock_store import RedisLockStore

    conversation = f"c-{uuid.uuid4().hex[:6]}"
    rasas = RedisLockStore(host="127.0.0.1", port=6379, db=1)
    rasas.key_prefix = stores[0].key_prefix
    mine = stores[0].issue_ticket(conversation, lock_lifetime=30)
    theirs = rasas.issue_ticket(conversation, lock_lifetime=30)
    after = stores[1].issue_ticket(conversation, lock_lifetime=30)
    assert (mine, theirs, after) == (0, 1, 2)
    lock = rasas.get_lock(conversation)
    assert lock is not None and lock.conversation_id == conversation
    assert [t.number for t in lock.tickets] == [0, 1, 2]
    assert all(time.time() + 25 < t.expires < time.time() + 31 for t in lock.tickets)
    stores[1].cleanup(conversation, 1)
    assert [t.number for t in rasas.get_lock(conversation).tickets] == [0, 2]
    stores[1].cleanup(conversation, 0)
    stores[1].cleanup(conversation, 2)
    assert rasas.get_lock(conversation) is None


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
