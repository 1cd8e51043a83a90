"""The floor in the console's database: roles, presence, teams and assignment."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.console.models import (
    AGENT,
    AWAY,
    CLAIMED,
    ONLINE,
    OPEN_STATES,
    WAITING,
    handoffs,
    presence,
    staff,
    team_members,
    teams,
)
from bot.console.repository import Handoff, utcnow
from bot.console.routing import Team


@dataclass(frozen=True)
class Presence:
    """An agent's status as stored.

    Attributes:
        username: The agent.
        status: ``online``, ``busy`` or ``away``.
        last_seen: The page's last heartbeat (naive UTC).
        last_active: The agent's last keystroke or click seen by the page.
    """

    username: str
    status: str
    last_seen: datetime
    last_active: datetime


class FloorRepository:
    """Roles, presence, teams and assigning conversations; one transaction each.

    Args:
        engine: The console's engine.
    """

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    # --- staff ------------------------------------------------------------
    async def role(self, username: str) -> str | None:
        """``agent`` or ``supervisor``; ``None`` for an unknown user."""
        async with self.engine.connect() as connection:
            value = await connection.scalar(
                select(staff.c.role).where(staff.c.username == username)
            )
        return str(value) if value is not None else None

    async def set_role(self, username: str, role: str) -> bool:
        """Give ``username`` a role; ``False`` when there is no such account."""
        async with self.engine.begin() as connection:
            result = await connection.execute(
                update(staff).where(staff.c.username == username).values(role=role)
            )
        return result.rowcount == 1

    async def staff(self) -> list[tuple[str, str]]:
        """Every account and its role, by name."""
        async with self.engine.connect() as connection:
            rows = await connection.execute(
                select(staff.c.username, staff.c.role).order_by(staff.c.username)
            )
            return [(row.username, row.role or AGENT) for row in rows]

    # --- presence ---------------------------------------------------------
    async def set_presence(
        self, username: str, status: str, now: datetime | None = None
    ) -> None:
        """Set the agent's status (a choice counts as activity)."""
        moment = now or utcnow()
        await self._upsert(
            username,
            {"status": status, "last_seen": moment, "last_active": moment},
        )

    async def heartbeat(
        self, username: str, active: bool, now: datetime | None = None
    ) -> Presence:
        """Record the page's heartbeat; ``active`` when the agent did something."""
        moment = now or utcnow()
        values: dict[str, object] = {"last_seen": moment}
        if active:
            values["last_active"] = moment
        await self._upsert(username, values, new_status=AWAY)
        found = await self.presence(username)
        assert found is not None
        return found

    async def _upsert(
        self, username: str, values: dict[str, object], new_status: str = ONLINE
    ) -> None:
        for _ in range(2):
            async with self.engine.begin() as connection:
                result = await connection.execute(
                    update(presence)
                    .where(presence.c.username == username)
                    .values(**values)
                )
                if result.rowcount:
                    return
                moment = values.get("last_seen") or utcnow()
                row = {
                    "username": username,
                    "status": new_status,
                    "last_seen": moment,
                    "last_active": moment,
                    **values,
                }
                try:
                    await connection.execute(insert(presence).values(**row))
                    return
                except IntegrityError:
                    pass  # another request inserted it: update it instead

    async def presence(self, username: str) -> Presence | None:
        """One agent's stored presence."""
        async with self.engine.connect() as connection:
            row = (
                await connection.execute(
                    select(presence).where(presence.c.username == username)
                )
            ).first()
        return Presence(**dict(row._mapping)) if row is not None else None

    async def presences(self) -> list[Presence]:
        """Every agent's stored presence, by name."""
        async with self.engine.connect() as connection:
            rows = await connection.execute(
                select(presence).order_by(presence.c.username)
            )
            return [Presence(**dict(row._mapping)) for row in rows]

    async def mark_away(self, seen_before: datetime, active_before: datetime) -> int:
        """Set 离开 for agents without a heartbeat or idle past the limits."""
        async with self.engine.begin() as connection:
            result = await connection.execute(
                update(presence)
                .where(
                    presence.c.status != AWAY,
                    or_(
                        presence.c.last_seen < seen_before,
                        presence.c.last_active < active_before,
                    ),
                )
                .values(status=AWAY)
            )
        return int(result.rowcount or 0)

    # --- teams ------------------------------------------------------------
    async def teams(self) -> list[Team]:
        """Every team with its members, by id."""
        async with self.engine.connect() as connection:
            rows = (await connection.execute(select(teams).order_by(teams.c.id))).all()
            members = (
                await connection.execute(
                    select(team_members).order_by(team_members.c.username)
                )
            ).all()
        by_team: dict[int, list[str]] = {}
        for member in members:
            by_team.setdefault(member.team_id, []).append(member.username)
        return [
            Team(
                id=row.id,
                name=row.name,
                reasons=tuple(row.reasons or ()),
                intents=tuple(row.intents or ()),
                is_default=bool(row.is_default),
                members=tuple(by_team.get(row.id, ())),
            )
            for row in rows
        ]

    async def save_team(
        self,
        team_id: int | None,
        name: str,
        reasons: tuple[str, ...],
        intents: tuple[str, ...],
        is_default: bool,
        members: tuple[str, ...],
    ) -> int:
        """Create (``team_id`` ``None``) or change a team; its id.

        Raises:
            IntegrityError: Another team has the name.
        """
        values = {
            "name": name,
            "reasons": list(reasons),
            "intents": list(intents),
            "is_default": is_default,
        }
        async with self.engine.begin() as connection:
            if is_default:  # one default team
                await connection.execute(update(teams).values(is_default=False))
            if team_id is None:
                result = await connection.execute(insert(teams).values(**values))
                team_id = int(result.inserted_primary_key[0])
            else:
                await connection.execute(
                    update(teams).where(teams.c.id == team_id).values(**values)
                )
            await connection.execute(
                delete(team_members).where(team_members.c.team_id == team_id)
            )
            for username in members:
                await connection.execute(
                    insert(team_members).values(team_id=team_id, username=username)
                )
        return team_id

    async def delete_team(self, team_id: int) -> None:
        """Remove a team; its waiting handoffs fall back to no team."""
        async with self.engine.begin() as connection:
            await connection.execute(
                delete(team_members).where(team_members.c.team_id == team_id)
            )
            await connection.execute(
                update(handoffs)
                .where(handoffs.c.team_id == team_id)
                .values(team_id=None)
            )
            await connection.execute(delete(teams).where(teams.c.id == team_id))

    # --- assignment -------------------------------------------------------
    async def unassigned(self) -> list[Handoff]:
        """Waiting conversations, oldest first."""
        async with self.engine.connect() as connection:
            rows = await connection.execute(
                select(handoffs)
                .where(handoffs.c.status == WAITING)
                .order_by(handoffs.c.created_at, handoffs.c.id)
            )
            return [Handoff.from_row(row) for row in rows]

    async def open_counts(self) -> dict[str, int]:
        """How many conversations each agent handles now."""
        async with self.engine.connect() as connection:
            rows = await connection.execute(
                select(handoffs.c.agent, func.count())
                .where(handoffs.c.status == CLAIMED)
                .group_by(handoffs.c.agent)
            )
            return {str(agent): int(count) for agent, count in rows if agent}

    async def online_agents(self, seen_since: datetime) -> list[str]:
        """Agents 在线 with a heartbeat since ``seen_since``."""
        async with self.engine.connect() as connection:
            rows = await connection.execute(
                select(presence.c.username).where(
                    presence.c.status == ONLINE, presence.c.last_seen >= seen_since
                )
            )
            return [row.username for row in rows]

    async def try_assign(
        self, handoff_id: int, agent: str, cap: int, now: datetime | None = None
    ) -> bool:
        """Give a waiting conversation to an online agent under ``cap``.

        Race-free across processes: the agent's presence row is locked
        (``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite writes one at a time)
        and one guarded UPDATE changes the conversation only while it still
        waits and the agent still has fewer than ``cap`` open conversations.
        """
        load = handoffs.alias("load")
        open_count = (
            select(func.count())
            .select_from(load)
            .where(load.c.agent == agent, load.c.status == CLAIMED)
            .scalar_subquery()
        )
        async with self.engine.begin() as connection:
            locked = await connection.scalar(
                select(presence.c.username)
                .where(presence.c.username == agent, presence.c.status == ONLINE)
                .with_for_update()
            )
            if locked is None:
                return False
            result = await connection.execute(
                update(handoffs)
                .where(
                    handoffs.c.id == handoff_id,
                    handoffs.c.status == WAITING,
                    open_count < cap,
                )
                .values(status=CLAIMED, agent=agent, claimed_at=now or utcnow())
            )
        return result.rowcount == 1

    async def transfer(
        self,
        handoff_id: int,
        *,
        from_agent: str | None,
        to_agent: str | None,
        to_team: int | None,
        note: str,
        by: str,
        now: datetime | None = None,
    ) -> bool:
        """Move an open conversation to an agent, or back into a team's queue.

        Args:
            handoff_id: The conversation.
            from_agent: Only if this agent holds it (``None``: a supervisor,
                any open conversation).
            to_agent: The receiving agent (claimed by them at once), or
            to_team: the team whose queue it waits in.
            note: What the receiver reads first.
            by: Who transferred it.
            now: The time (tests).

        Returns:
            ``False`` when the conversation is not (or no longer) open there.
        """
        guard = [handoffs.c.id == handoff_id, handoffs.c.status.in_(OPEN_STATES)]
        if from_agent is not None:
            guard += [handoffs.c.status == CLAIMED, handoffs.c.agent == from_agent]
        values: dict[str, object] = {"transfer_note": note, "transferred_by": by}
        if to_agent is not None:
            values.update(status=CLAIMED, agent=to_agent, claimed_at=now or utcnow())
        else:
            values.update(status=WAITING, agent=None, claimed_at=None)
        if to_team is not None:
            values["team_id"] = to_team
        async with self.engine.begin() as connection:
            result = await connection.execute(
                update(handoffs).where(*guard).values(**values)
            )
        return result.rowcount == 1

    async def live(self) -> list[Handoff]:
        """Every open conversation (the supervisor's view), oldest first."""
        async with self.engine.connect() as connection:
            rows = await connection.execute(
                select(handoffs)
                .where(handoffs.c.status.in_(OPEN_STATES))
                .order_by(handoffs.c.created_at, handoffs.c.id)
            )
            return [Handoff.from_row(row) for row in rows]
