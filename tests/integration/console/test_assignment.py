"""Routing to teams, presence and auto-assignment, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import event

from bot.backends.common.db import create_engine
from bot.console.assignment import Dispatcher
from bot.console.config import ConsoleSettings
from bot.console.floor import FloorRepository
from bot.console.repository import ConsoleRepository, utcnow
from tests.support.services import throwaway_postgres_database


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database of its own (presence and teams are global state)."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'console.db'}"
        return
    with throwaway_postgres_database("xiaoke_console_assign") as url:
        yield url


@pytest.fixture
def postgres_fresh_url() -> Iterator[str]:
    """An empty PostgreSQL database of its own (the race needs real concurrency)."""
    with throwaway_postgres_database("xiaoke_console_race") as url:
        yield url


@pytest.fixture
async def floor(fresh_url):
    engine = create_engine(fresh_url)
    repository = ConsoleRepository(engine)
    await repository.create_tables()
    yield repository, FloorRepository(engine)
    await engine.dispose()


def settings(**extra) -> ConsoleSettings:
    return ConsoleSettings(secret_key=b"k" * 32, api_token="t", **extra)


async def team_ids(floor: FloorRepository) -> dict[str, int]:
    return {team.name: team.id for team in await floor.teams()}


async def put_in_team(floor: FloorRepository, team_name: str, *agents: str) -> None:
    team = next(t for t in await floor.teams() if t.name == team_name)
    await floor.save_team(
        team.id, team.name, team.reasons, team.intents, team.is_default, agents
    )


async def enqueue(repository, dispatcher, number: int, reason: str, intents=()):
    return await repository.enqueue(
        conversation_id=f"web:shopper-{number}",
        channel="web",
        reason=reason,
        summary={"intents": list(intents)},
        customer_id=None,
        team_id=await dispatcher.team_for(reason, {"intents": list(intents)}),
    )


async def test_default_teams_route_by_reason_then_intent(floor):
    _, floor = floor
    dispatcher = Dispatcher(settings(), floor)
    teams = await team_ids(floor)
    assert set(teams) == {"售前", "售后", "投诉"}
    assert await dispatcher.team_for("complaint", {"intents": []}) == teams["投诉"]
    # the reason wins over what was asked before
    complaint = {"intents": ["request_return"]}
    assert await dispatcher.team_for("complaint", complaint) == teams["投诉"]
    returns = {"intents": ["greet", "request_return"]}
    assert await dispatcher.team_for("shopper_request", returns) == teams["售后"]
    warranty = {"intents": ["check_warranty"]}
    assert await dispatcher.team_for("shopper_request", warranty) == teams["售后"]
    assert await dispatcher.team_for("presales_question", {}) == teams["售前"]
    # the latest intent decides between two rules
    both = {"intents": ["complain", "ask_product"]}
    assert await dispatcher.team_for("shopper_request", both) == teams["售前"]
    # nothing matches: the default team
    assert await dispatcher.team_for("repeated_fallback", {}) == teams["售后"]


async def test_a_new_handoff_goes_to_the_least_busy_online_agent_of_its_team(floor):
    repository, floor = floor
    dispatcher = Dispatcher(settings(max_chats=5), floor)
    await put_in_team(floor, "投诉", "alice", "bob")
    await put_in_team(floor, "售后", "carol")
    for agent in ("alice", "bob", "carol"):
        await floor.set_presence(agent, "online")
    first = await enqueue(repository, dispatcher, 1, "complaint")
    assert await dispatcher.assign_waiting() == [(first.id, "alice")]
    second = await enqueue(repository, dispatcher, 2, "complaint")
    # alice has one, bob none: bob
    assert await dispatcher.assign_waiting() == [(second.id, "bob")]
    returns = await enqueue(repository, dispatcher, 3, "x", ["request_return"])
    assert await dispatcher.assign_waiting() == [(returns.id, "carol")]
    assert (await repository.get(returns.id)).status == "claimed"


async def test_busy_away_and_silent_agents_get_nothing_and_it_waits(floor):
    repository, floor = floor
    dispatcher = Dispatcher(settings(heartbeat_timeout=60), floor)
    await put_in_team(floor, "投诉", "alice", "bob")
    await floor.set_presence("alice", "busy")
    await floor.set_presence("bob", "online", now=utcnow() - timedelta(minutes=5))
    handoff = await enqueue(repository, dispatcher, 1, "complaint")
    assert await dispatcher.assign_waiting() == []
    assert (await repository.get(handoff.id)).status == "waiting"
    # bob's page sends a heartbeat again: he gets it
    await floor.heartbeat("bob", active=True)
    assert await dispatcher.assign_waiting() == [(handoff.id, "bob")]


async def test_sweep_sets_idle_agents_away(floor):
    repository, floor = floor
    dispatcher = Dispatcher(settings(heartbeat_timeout=60, away_after=300), floor)
    await put_in_team(floor, "投诉", "alice")
    await floor.set_presence("alice", "online", now=utcnow() - timedelta(minutes=10))
    await floor.heartbeat("alice", active=False)  # page open, nobody typing
    await enqueue(repository, dispatcher, 1, "complaint")
    assert await dispatcher.sweep() == []
    assert (await floor.presence("alice")).status == "away"


async def test_at_the_cap_it_waits_until_a_slot_frees(floor):
    repository, floor = floor
    dispatcher = Dispatcher(settings(max_chats=2), floor)
    await put_in_team(floor, "投诉", "alice")
    await floor.set_presence("alice", "online")
    handoffs = [await enqueue(repository, dispatcher, n, "complaint") for n in range(3)]
    made = await dispatcher.assign_waiting()
    assert made == [(handoffs[0].id, "alice"), (handoffs[1].id, "alice")]
    assert (await repository.get(handoffs[2].id)).status == "waiting"
    await repository.finish(handoffs[0].id, "alice", "closed")
    assert await dispatcher.assign_waiting() == [(handoffs[2].id, "alice")]


async def test_an_agent_coming_online_gets_what_waits(floor):
    repository, floor = floor
    dispatcher = Dispatcher(settings(), floor)
    await put_in_team(floor, "售前", "dave")
    handoff = await enqueue(repository, dispatcher, 1, "presales_question")
    assert await dispatcher.assign_waiting() == []
    await dispatcher.set_status("dave", "online")
    assert (await repository.get(handoff.id)).agent == "dave"


async def test_transfer_to_a_team_waits_there_with_the_note(floor):
    repository, floor = floor
    dispatcher = Dispatcher(settings(), floor)
    teams = await team_ids(floor)
    await put_in_team(floor, "投诉", "alice")
    await floor.set_presence("alice", "online")
    handoff = await enqueue(repository, dispatcher, 1, "complaint")
    await dispatcher.assign_waiting()
    moved = await floor.transfer(
        handoff.id,
        from_agent="bob",
        to_agent=None,
        to_team=teams["售后"],
        note="x",
        by="bob",
    )
    assert not moved  # bob does not hold it
    assert await floor.transfer(
        handoff.id,
        from_agent="alice",
        to_agent=None,
        to_team=teams["售后"],
        note="顾客要退货，订单已核实",
        by="alice",
    )
    stored = await repository.get(handoff.id)
    assert (stored.status, stored.agent, stored.team_id) == (
        "waiting",
        None,
        teams["售后"],
    )
    assert stored.transfer_note == "顾客要退货，订单已核实"
    assert stored.transferred_by == "alice"


class _StaggeredFloor(FloorRepository):
    """A floor whose dispatcher starts its pass ``rotate`` conversations in.

    Console processes see the queue at different moments, so their passes do
    not all begin with the same conversation: different conversations are
    offered to the same agent at the same time, which is what the agent's
    row lock is there for.
    """

    def __init__(self, engine, rotate: int) -> None:
        super().__init__(engine)
        self.rotate = rotate

    async def unassigned(self):
        found = await super().unassigned()
        cut = self.rotate % len(found) if found else 0
        return found[cut:] + found[:cut]


def _hold_before_commit(conn, cursor, statement, parameters, context, many) -> None:
    """Keep an assignment's transaction open a moment after its UPDATE.

    Widens the gap between a conversation changing and the change being
    visible to other transactions: without the lock, another process counting
    the agent's conversations in that gap misses this one.
    """
    if statement.lstrip().upper().startswith("UPDATE CONSOLE_HANDOFFS"):
        time.sleep(0.02)  # this thread's own loop: the other processes go on


def _dispatcher_process(url: str, rotate: int, start: threading.Barrier) -> list:
    """One console process's dispatcher: its own engine, loop and thread."""

    async def main() -> list:
        engine = create_engine(url)
        event.listen(engine.sync_engine, "after_cursor_execute", _hold_before_commit)
        try:
            dispatcher = Dispatcher(
                settings(max_chats=5), _StaggeredFloor(engine, rotate)
            )
            await engine.dispose()  # connect after the barrier, all at once
            start.wait(timeout=60)
            return await dispatcher.assign_waiting()
        finally:
            await engine.dispose()

    return asyncio.run(main())


async def test_two_dispatchers_assign_each_handoff_once_within_caps(postgres_fresh_url):
    """Six console processes' dispatchers race over 60 handoffs on PostgreSQL.

    Each runs in a thread with its own event loop and engine (as separate
    processes would), starts at the same moment (a barrier) and at a
    different place in the queue. Without the agent's row lock in
    ``FloorRepository.try_assign`` agents end up over their cap (checked by
    deleting ``.with_for_update()``: this test then fails).
    """
    url = postgres_fresh_url
    engine = create_engine(url)
    try:
        repository = ConsoleRepository(engine)
        await repository.create_tables()
        floor = FloorRepository(engine)
        agents = [f"agent{n}" for n in range(4)]
        await put_in_team(floor, "投诉", *agents)
        for agent in agents:
            await floor.set_presence(agent, "online")
        dispatcher = Dispatcher(settings(max_chats=5), floor)
        for n in range(60):
            await enqueue(repository, dispatcher, n, "complaint")
        processes = 6
        start = threading.Barrier(processes)
        results = await asyncio.gather(
            *(
                asyncio.to_thread(_dispatcher_process, url, n * 10, start)
                for n in range(processes)
            )
        )
        made = [pair for result in results for pair in result]
        assigned_ids = [handoff_id for handoff_id, _ in made]
        counts = await floor.open_counts()
        assert counts == {agent: 5 for agent in agents}  # 4 agents x cap 5
        assert len(assigned_ids) == len(set(assigned_ids)) == 20
        for handoff_id, agent in made:
            stored = await repository.get(handoff_id)
            assert (stored.status, stored.agent) == ("claimed", agent)
        assert len(await floor.unassigned()) == 40
    finally:
        await engine.dispose()


async def test_two_dispatchers_on_sqlite_assign_each_handoff_once(tmp_path):
    """SQLite writes one at a time; two engines' passes still never double up."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'console.db'}"
    engines = [create_engine(url) for _ in range(2)]
    try:
        repository = ConsoleRepository(engines[0])
        await repository.create_tables()
        floors = [FloorRepository(engine) for engine in engines]
        agents = [f"agent{n}" for n in range(4)]
        await put_in_team(floors[0], "投诉", *agents)
        for agent in agents:
            await floors[0].set_presence(agent, "online")
        dispatchers = [Dispatcher(settings(max_chats=5), f) for f in floors]
        for n in range(30):
            await enqueue(repository, dispatchers[0], n, "complaint")
        extra = [Dispatcher(settings(max_chats=5), f) for f in floors]
        results = await asyncio.gather(
            *(d.assign_waiting() for d in dispatchers + extra)
        )
        assigned_ids = [handoff_id for result in results for handoff_id, _ in result]
        assert len(assigned_ids) == len(set(assigned_ids)) == 20
        assert await floors[0].open_counts() == {agent: 5 for agent in agents}
    finally:
        for engine in engines:
            await engine.dispose()


async def test_many_assignments_to_one_agent_at_once_respect_the_cap(fresh_url):
    """Twelve different handoffs offered to one agent at once, cap 2."""
    engines = [create_engine(fresh_url) for _ in range(3)]
    try:
        repository = ConsoleRepository(engines[0])
        await repository.create_tables()
        floors = [FloorRepository(engine) for engine in engines]
        await floors[0].set_presence("alice", "online")
        dispatcher = Dispatcher(settings(), floors[0])
        ids = [
            (await enqueue(repository, dispatcher, n, "complaint")).id
            for n in range(12)
        ]
        results = await asyncio.gather(
            *(
                floors[n % 3].try_assign(handoff_id, "alice", cap=2)
                for n, handoff_id in enumerate(ids)
            )
        )
        assert results.count(True) == 2
        assert await floors[0].open_counts() == {"alice": 2}
    finally:
        for engine in engines:
            await engine.dispose()


async def test_the_wait_estimate_counts_the_teams_agents_online(floor):
    from bot.console.service import ConsoleService

    repository, floor = floor
    config = settings(max_chats=1, minutes_per_conversation=6)
    service = ConsoleService(
        config, repository, rasa=None, dispatcher=Dispatcher(config, floor)
    )
    await put_in_team(floor, "投诉", "alice", "bob")

    async def ticket(number: int):
        return await service.request_handoff(
            conversation_id=f"web:wait-{number}",
            channel="web",
            reason="complaint",
            summary={},
            customer_id=None,
        )

    await floor.set_presence("alice", "online")
    first = await ticket(1)
    assert first.handoff.team_id is not None
    assert (await repository.get(first.handoff.id)).agent == "alice"
    alone = await ticket(2)  # alice is at the cap; nobody else online
    assert (alone.position, alone.estimated_wait_minutes) == (0, 6)
    await floor.set_presence("bob", "online")  # bob takes the waiting one
    await service.dispatcher.assign_waiting()
    shared = await ticket(3)
    assert (shared.position, shared.estimated_wait_minutes) == (0, 3)
