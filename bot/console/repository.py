"""Queue, assignments, staff and web-chat messages in the console's database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import and_, delete, func, insert, select, true, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.console.migrate import migrate
from bot.console.models import (
    CLAIMED,
    OPEN_STATES,
    WAITING,
    handoffs,
    notes,
    review_labels,
    staff,
    web_messages,
)


def utcnow() -> datetime:
    """Now, as naive UTC (how the tables store time)."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


@dataclass(frozen=True)
class Handoff:
    """One conversation handed to people.

    Attributes:
        id: Queue entry id.
        conversation_id: Rasa's sender id (the WeChat openid for ``wechat``).
        channel: ``web`` or ``wechat``.
        reason: Why the bot handed off (a code or text).
        summary: What the action server wrote for the agent.
        customer_id: The CRM customer, when the shopper was identified.
        status: ``waiting``, ``claimed``, ``returned`` or ``closed``.
        agent: Who claimed it.
        created_at: When it was queued (naive UTC).
        claimed_at: When it was claimed.
        ended_at: When it was handed back or closed.
        team_id: The team whose queue it is in (``bot.console.routing``).
        transfer_note: What the agent who transferred it wrote for the receiver.
        transferred_by: Who transferred it.
        first_reply_at: The first agent reply (``bot.console.sla``).
        awaiting_since: The shopper's first message after the last agent
            reply, while unanswered.
        phone_hint: The shopper's phone, masked (``138****5678``), for search.
    """

    id: int
    conversation_id: str
    channel: str
    reason: str
    summary: dict[str, Any]
    customer_id: str | None
    status: str
    agent: str | None
    created_at: datetime
    claimed_at: datetime | None
    ended_at: datetime | None
    team_id: int | None = None
    transfer_note: str | None = None
    transferred_by: str | None = None
    first_reply_at: datetime | None = None
    awaiting_since: datetime | None = None
    phone_hint: str | None = None

    @classmethod
    def from_row(cls, row: Row) -> Handoff:
        """Build from a ``handoffs`` row."""
        return cls(**dict(row._mapping))


@dataclass(frozen=True)
class WebMessage:
    """A message for a web-chat shopper from a person (polled by ``/chat``)."""

    id: int
    conversation_id: str
    text: str
    agent: str | None
    created_at: datetime


def emptied_summary(summary: Any) -> dict[str, Any]:
    """A handoff summary without the shopper's data (reason and intents stay)."""
    kept = summary if isinstance(summary, dict) else {}
    return {
        "reason": kept.get("reason", ""),
        "reason_label": kept.get("reason_label", ""),
        "intents": list(kept.get("intents") or []),
        "slots": {},
        "order_numbers": [],
        "last_message": "",
        "erased": True,
    }


class ConsoleRepository:
    """Every database access of the console; each method is one transaction.

    Args:
        engine: The console's engine.
    """

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def create_tables(self) -> None:
        """Bring the tables to the newest schema (``bot.console.migrate``)."""
        await migrate(self.engine)

    # --- queue ------------------------------------------------------------
    async def enqueue(
        self,
        *,
        conversation_id: str,
        channel: str,
        reason: str,
        summary: dict[str, Any],
        customer_id: str | None,
        now: datetime | None = None,
        team_id: int | None = None,
        phone_hint: str | None = None,
    ) -> Handoff:
        """Queue a conversation, or return its open entry if it has one."""
        async with self.engine.begin() as connection:
            existing = (
                await connection.execute(
                    select(handoffs).where(
                        handoffs.c.conversation_id == conversation_id,
                        handoffs.c.status.in_(OPEN_STATES),
                    )
                )
            ).first()
            if existing is not None:
                return Handoff.from_row(existing)
            result = await connection.execute(
                insert(handoffs).values(
                    conversation_id=conversation_id,
                    channel=channel,
                    reason=reason,
                    summary=summary,
                    customer_id=customer_id,
                    status=WAITING,
                    created_at=now or utcnow(),
                    team_id=team_id,
                    phone_hint=phone_hint,
                )
            )
            new_id = result.inserted_primary_key[0]
            row = (
                await connection.execute(
                    select(handoffs).where(handoffs.c.id == new_id)
                )
            ).one()
            return Handoff.from_row(row)

    async def position(self, handoff: Handoff) -> int:
        """How many waiting conversations are ahead of ``handoff`` in its team."""
        same_team = (
            handoffs.c.team_id == handoff.team_id
            if handoff.team_id is not None
            else true()
        )
        async with self.engine.connect() as connection:
            ahead = await connection.scalar(
                select(func.count())
                .select_from(handoffs)
                .where(
                    handoffs.c.status == WAITING,
                    handoffs.c.id < handoff.id,
                    same_team,
                )
            )
        return int(ahead or 0)

    async def waiting(self) -> list[Handoff]:
        """Waiting conversations, oldest first."""
        return await self._select(
            handoffs.c.status == WAITING, order=(handoffs.c.created_at, handoffs.c.id)
        )

    async def claimed_by(self, agent: str) -> list[Handoff]:
        """Conversations ``agent`` is handling, oldest claim first."""
        return await self._select(
            and_(handoffs.c.status == CLAIMED, handoffs.c.agent == agent),
            order=(handoffs.c.claimed_at, handoffs.c.id),
        )

    async def get(self, handoff_id: int) -> Handoff | None:
        """One queue entry, or ``None``."""
        found = await self._select(handoffs.c.id == handoff_id, order=())
        return found[0] if found else None

    async def claim(
        self, handoff_id: int, agent: str, now: datetime | None = None
    ) -> bool:
        """Give a waiting conversation to ``agent``; ``False`` if it is not waiting.

        One conditional UPDATE: of two agents claiming at once, exactly one
        changes the row.
        """
        async with self.engine.begin() as connection:
            result = await connection.execute(
                update(handoffs)
                .where(handoffs.c.id == handoff_id, handoffs.c.status == WAITING)
                .values(status=CLAIMED, agent=agent, claimed_at=now or utcnow())
            )
        return result.rowcount == 1

    async def finish(
        self, handoff_id: int, agent: str, status: str, now: datetime | None = None
    ) -> bool:
        """End ``agent``'s claim with ``status`` (``returned`` or ``closed``)."""
        async with self.engine.begin() as connection:
            result = await connection.execute(
                update(handoffs)
                .where(
                    handoffs.c.id == handoff_id,
                    handoffs.c.status == CLAIMED,
                    handoffs.c.agent == agent,
                )
                .values(status=status, ended_at=now or utcnow())
            )
        return result.rowcount == 1

    # --- service timers ---------------------------------------------------
    async def record_reply(self, handoff_id: int, now: datetime | None = None) -> None:
        """An agent answered: the first reply is kept, nobody waits any more."""
        moment = now or utcnow()
        async with self.engine.begin() as connection:
            await connection.execute(
                update(handoffs)
                .where(handoffs.c.id == handoff_id)
                .values(
                    first_reply_at=func.coalesce(handoffs.c.first_reply_at, moment),
                    awaiting_since=None,
                )
            )

    async def record_activity(
        self,
        handoff_id: int,
        first_reply_at: datetime | None,
        awaiting_since: datetime | None,
    ) -> None:
        """Store what the transcript says (naive UTC); a known reply stays."""
        values: dict[str, Any] = {"awaiting_since": awaiting_since}
        if first_reply_at is not None:
            values["first_reply_at"] = func.coalesce(
                handoffs.c.first_reply_at, first_reply_at
            )
        async with self.engine.begin() as connection:
            await connection.execute(
                update(handoffs)
                .where(
                    handoffs.c.id == handoff_id,
                    handoffs.c.status.in_(OPEN_STATES),
                )
                .values(**values)
            )

    async def record_shopper_message(
        self, conversation_id: str, now: datetime | None = None
    ) -> None:
        """The shopper wrote: an answered open conversation waits again."""
        async with self.engine.begin() as connection:
            await connection.execute(
                update(handoffs)
                .where(
                    handoffs.c.conversation_id == conversation_id,
                    handoffs.c.status.in_(OPEN_STATES),
                    handoffs.c.first_reply_at.is_not(None),
                    handoffs.c.awaiting_since.is_(None),
                )
                .values(awaiting_since=now or utcnow())
            )

    async def _select(self, where: Any, order: tuple[Any, ...]) -> list[Handoff]:
        async with self.engine.connect() as connection:
            rows = await connection.execute(
                select(handoffs).where(where).order_by(*order)
            )
            return [Handoff.from_row(row) for row in rows]

    # --- web chat ---------------------------------------------------------
    async def add_web_message(
        self, conversation_id: str, text: str, agent: str | None
    ) -> None:
        """Store a message for a web-chat shopper to poll."""
        async with self.engine.begin() as connection:
            await connection.execute(
                insert(web_messages).values(
                    conversation_id=conversation_id,
                    text=text,
                    agent=agent,
                    created_at=utcnow(),
                )
            )

    async def web_messages_after(
        self, conversation_id: str, after: int, limit: int = 50
    ) -> list[WebMessage]:
        """Messages for a web-chat shopper newer than id ``after``."""
        async with self.engine.connect() as connection:
            rows = await connection.execute(
                select(web_messages)
                .where(
                    web_messages.c.conversation_id == conversation_id,
                    web_messages.c.id > after,
                )
                .order_by(web_messages.c.id)
                .limit(limit)
            )
            return [WebMessage(**dict(row._mapping)) for row in rows]

    # --- a shopper's deletion request ----------------------------------------
    async def erase_conversation(self, conversation_id: str) -> tuple[int, int]:
        """Delete the conversation's web-chat messages, empty its handoff records.

        Trainers' verdicts on its messages (the review queue) are deleted too.

        Handoff rows stay (queue history, counts) without the shopper's data:
        the summary keeps only the reason and intents, the customer id goes.

        Returns:
            How many web-chat messages were deleted and handoffs emptied (a
            handoff emptied by an earlier request is not counted again).
        """
        async with self.engine.begin() as connection:
            deleted = await connection.execute(
                delete(web_messages).where(
                    web_messages.c.conversation_id == conversation_id
                )
            )
            rows = (
                await connection.execute(
                    select(
                        handoffs.c.id,
                        handoffs.c.summary,
                        handoffs.c.customer_id,
                        handoffs.c.transfer_note,
                        handoffs.c.phone_hint,
                    ).where(handoffs.c.conversation_id == conversation_id)
                )
            ).all()
            # Staff notes may quote the shopper: they go too (tags stay).
            await connection.execute(
                delete(notes).where(notes.c.handoff_id.in_([row.id for row in rows]))
            )
            emptied = 0
            for row in rows:
                summary = emptied_summary(row.summary)
                if (
                    row.summary == summary
                    and row.customer_id is None
                    and row.transfer_note is None
                    and row.phone_hint is None
                ):
                    continue
                await connection.execute(
                    update(handoffs)
                    .where(handoffs.c.id == row.id)
                    .values(
                        summary=summary,
                        customer_id=None,
                        transfer_note=None,
                        phone_hint=None,
                    )
                )
                emptied += 1
            await connection.execute(
                delete(review_labels).where(
                    review_labels.c.sender_id == conversation_id
                )
            )
            return int(deleted.rowcount or 0), emptied

    # --- staff ------------------------------------------------------------
    async def password_hash(self, username: str) -> str | None:
        """The stored hash of ``username``'s password, or ``None``."""
        async with self.engine.connect() as connection:
            value = await connection.scalar(
                select(staff.c.password_hash).where(staff.c.username == username)
            )
        return str(value) if value is not None else None

    async def save_user(self, username: str, password_hash: str) -> bool:
        """Create ``username`` or change their password; ``True`` when created."""
        async with self.engine.begin() as connection:
            result = await connection.execute(
                update(staff)
                .where(staff.c.username == username)
                .values(password_hash=password_hash)
            )
            if result.rowcount:
                return False
            await connection.execute(
                insert(staff).values(
                    username=username, password_hash=password_hash, created_at=utcnow()
                )
            )
            return True
