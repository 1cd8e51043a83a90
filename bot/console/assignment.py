"""Auto-assignment: route each handoff to a team, give it to the least busy agent."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator
from datetime import datetime, timedelta

from bot.console.config import ConsoleSettings
from bot.console.floor import FloorRepository
from bot.console.models import AWAY, PRESENCE_STATES
from bot.console.repository import Handoff, utcnow
from bot.console.routing import Team, route, summary_intents
from bot.console.sweeps import sweep_until

logger = logging.getLogger(__name__)

#: Chinese names of the presence states (header, supervisor page).
PRESENCE_LABELS = {"online": "在线", "busy": "忙碌", "away": "离开"}


class Dispatcher:
    """Routes handoffs to teams and assigns waiting ones to online agents.

    Every console process runs one; they share nothing but the database, and
    :meth:`FloorRepository.try_assign` keeps their assignments apart.

    Args:
        settings: ``max_chats``, ``heartbeat_timeout`` and ``away_after``.
        floor: The floor's tables.
    """

    def __init__(self, settings: ConsoleSettings, floor: FloorRepository) -> None:
        self.settings = settings
        self.floor = floor
        self._lock = asyncio.Lock()

    async def team_for(self, reason: str, summary: object) -> int | None:
        """The team a new handoff waits in (``bot.console.routing.route``)."""
        return route(await self.floor.teams(), reason, summary_intents(summary))

    def _seen_since(self, now: datetime) -> datetime:
        return now - timedelta(seconds=self.settings.heartbeat_timeout)

    async def online_in_team(self, team_id: int | None) -> int:
        """How many agents could take a conversation of this team now."""
        online = set(await self.floor.online_agents(self._seen_since(utcnow())))
        return len(online & _eligible(team_id, await self.floor.teams()))

    async def set_status(self, agent: str, status: str) -> None:
        """The agent chose a status; 在线 may bring them waiting conversations.

        Raises:
            ValueError: Not a presence state.
        """
        if status not in PRESENCE_STATES:
            raise ValueError(status)
        await self.floor.set_presence(agent, status)
        await self.assign_waiting()

    async def heartbeat(self, agent: str, active: bool) -> str:
        """A page is open; the agent's effective status after it."""
        now = utcnow()
        stored = await self.floor.heartbeat(agent, active, now)
        idle = now - stored.last_active
        if stored.status != AWAY and idle.total_seconds() > self.settings.away_after:
            await self.floor.set_presence(agent, AWAY, now)
            return AWAY
        return stored.status

    async def sweep(self, now: datetime | None = None) -> list[tuple[int, str]]:
        """Mark silent or idle agents away, then assign what waits."""
        moment = now or utcnow()
        away = await self.floor.mark_away(
            self._seen_since(moment),
            moment - timedelta(seconds=self.settings.away_after),
        )
        if away:
            logger.info("%d agent(s) set away (idle or page closed)", away)
        return await self.assign_waiting(moment)

    async def assign_waiting(
        self, now: datetime | None = None
    ) -> list[tuple[int, str]]:
        """Give waiting conversations, oldest first, to agents of their team.

        An agent qualifies when 在线 with a recent heartbeat, in the
        conversation's team (any team's member for a conversation without
        one) and under ``max_chats``; the one with the fewest open
        conversations gets it. What finds nobody keeps waiting.

        Returns:
            ``(handoff id, agent)`` of each assignment made.
        """
        moment = now or utcnow()
        async with self._lock:  # one pass at a time in this process
            waiting = await self.floor.unassigned()
            if not waiting:
                return []
            online = set(await self.floor.online_agents(self._seen_since(moment)))
            if not online:
                return []
            teams = await self.floor.teams()
            loads = await self.floor.open_counts()
            made = []
            for handoff in waiting:
                agent = await self._assign(handoff, teams, online, loads, moment)
                if agent is not None:
                    made.append((handoff.id, agent))
                    loads[agent] = loads.get(agent, 0) + 1
            return made

    async def _assign(
        self,
        handoff: Handoff,
        teams: list[Team],
        online: set[str],
        loads: dict[str, int],
        now: datetime,
    ) -> str | None:
        members = _eligible(handoff.team_id, teams)
        candidates = sorted(
            (loads.get(agent, 0), agent)
            for agent in online & members
            if loads.get(agent, 0) < self.settings.max_chats
        )
        for _, agent in candidates:
            if await self.floor.try_assign(
                handoff.id, agent, self.settings.max_chats, now
            ):
                logger.info("handoff %d assigned to %s", handoff.id, agent)
                return agent
        return None

    async def run(self, stopping: asyncio.Event) -> None:
        """Sweep every ``assign_interval`` seconds until ``stopping`` is set."""
        await sweep_until(
            stopping, self.settings.assign_interval, self.sweep, "assignment"
        )


def _eligible(team_id: int | None, teams: list[Team]) -> set[str]:
    for team in teams:
        if team.id == team_id:
            return set(team.members)
    return {member for team in teams for member in team.members}


async def dispatching(dispatcher: Dispatcher) -> AsyncGenerator[None, None]:
    """Run :meth:`Dispatcher.run` in the background while the app runs.

    At exit the loop is asked to stop and its sweep is let finish: cancelling
    it inside a database call can leave an aiosqlite connection hanging.
    """
    stopping = asyncio.Event()
    task = asyncio.create_task(dispatcher.run(stopping))
    try:
        yield
    finally:
        stopping.set()
        try:
            await asyncio.wait_for(asyncio.shield(task), timeout=10)
        except asyncio.TimeoutError:
            task.cancel()
