"""Internal notes, tags and canned replies in the console's database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Text, cast, delete, insert, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.console.models import canned_replies, handoffs, notes, tags
from bot.console.repository import Handoff, utcnow

#: The longest tag, and the most tags a conversation keeps.
MAX_TAG = 32
MAX_TAGS = 20


@dataclass(frozen=True)
class Note:
    """An internal note: staff only, never sent to the shopper or a channel."""

    id: int
    handoff_id: int
    author: str
    text: str
    created_at: datetime


@dataclass(frozen=True)
class CannedReply:
    """A 快捷回复: ``owner`` ``None`` for the team-wide ones."""

    id: int
    title: str
    text: str
    owner: str | None
    created_at: datetime


class WorkbenchRepository:
    """Notes, tags and canned replies; each method is one transaction.

    Args:
        engine: The console's engine.
    """

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    # --- notes ------------------------------------------------------------
    async def add_note(self, handoff_id: int, author: str, text: str) -> Note:
        """Store a note on a conversation."""
        moment = utcnow()
        async with self.engine.begin() as connection:
            result = await connection.execute(
                insert(notes).values(
                    handoff_id=handoff_id, author=author, text=text, created_at=moment
                )
            )
        return Note(
            int(result.inserted_primary_key[0]), handoff_id, author, text, moment
        )

    async def notes(self, handoff_id: int, after: int = 0) -> list[Note]:
        """A conversation's notes newer than id ``after``, oldest first."""
        async with self.engine.connect() as connection:
            rows = await connection.execute(
                select(notes)
                .where(notes.c.handoff_id == handoff_id, notes.c.id > after)
                .order_by(notes.c.id)
            )
            return [Note(**dict(row._mapping)) for row in rows]

    # --- tags -------------------------------------------------------------
    async def add_tag(self, handoff_id: int, tag: str) -> bool:
        """Tag a conversation; ``False`` when it already has the tag or too many."""
        async with self.engine.begin() as connection:
            present = (
                await connection.execute(
                    select(tags.c.tag).where(tags.c.handoff_id == handoff_id)
                )
            ).all()
            if tag in {row.tag for row in present} or len(present) >= MAX_TAGS:
                return False
        try:
            async with self.engine.begin() as connection:
                await connection.execute(
                    insert(tags).values(
                        handoff_id=handoff_id, tag=tag, created_at=utcnow()
                    )
                )
        except IntegrityError:  # tagged at the same moment elsewhere
            return False
        return True

    async def remove_tag(self, handoff_id: int, tag: str) -> bool:
        """Untag a conversation; ``False`` when it did not have the tag."""
        async with self.engine.begin() as connection:
            result = await connection.execute(
                delete(tags).where(tags.c.handoff_id == handoff_id, tags.c.tag == tag)
            )
        return result.rowcount == 1

    async def tags_of(self, handoff_ids: list[int]) -> dict[int, list[str]]:
        """The tags of each conversation, in the order they were added."""
        if not handoff_ids:
            return {}
        async with self.engine.connect() as connection:
            rows = await connection.execute(
                select(tags.c.handoff_id, tags.c.tag)
                .where(tags.c.handoff_id.in_(handoff_ids))
                .order_by(tags.c.id)
            )
            found: dict[int, list[str]] = {}
            for row in rows:
                found.setdefault(row.handoff_id, []).append(row.tag)
            return found

    # --- the customer's earlier conversations -----------------------------
    async def earlier(self, handoff: Handoff, limit: int = 10) -> list[Handoff]:
        """Earlier handoffs of the same customer (any channel) or conversation."""
        same = handoffs.c.conversation_id == handoff.conversation_id
        if handoff.customer_id:
            same = or_(same, handoffs.c.customer_id == handoff.customer_id)
        async with self.engine.connect() as connection:
            rows = await connection.execute(
                select(handoffs)
                .where(same, handoffs.c.id < handoff.id)
                .order_by(handoffs.c.id.desc())
                .limit(limit)
            )
            return [Handoff.from_row(row) for row in rows]

    # --- search -----------------------------------------------------------
    async def search(
        self,
        *,
        order_number: str = "",
        phone: tuple[str, str] | None = None,
        tag: str = "",
        agent: str = "",
        start: datetime | None = None,
        end: datetime | None = None,
        limit: int = 20,
        offset: int = 0,
    ) -> list[Handoff]:
        """Conversations matching every filter given, newest first.

        Args:
            order_number: Part of an order number in the handoff summary.
            phone: ``("exact", "138****5678")`` or ``("tail", "5678")``
                (``bot.console.phones.phone_query``), matched on the masked
                phone kept with the handoff.
            tag: A tag the conversation has.
            agent: The agent who handled it.
            start: Queued at or after (naive UTC).
            end: Queued before (naive UTC).
            limit: Page size.
            offset: Rows skipped (paging).
        """
        query = select(handoffs)
        if order_number:
            query = query.where(
                cast(handoffs.c.summary, Text).like(f"%{order_number}%")
            )
        if phone is not None:
            how, value = phone
            query = query.where(
                handoffs.c.phone_hint == value
                if how == "exact"
                else handoffs.c.phone_hint.like(f"%{value}")
            )
        if tag:
            query = query.where(
                handoffs.c.id.in_(select(tags.c.handoff_id).where(tags.c.tag == tag))
            )
        if agent:
            query = query.where(handoffs.c.agent == agent)
        if start is not None:
            query = query.where(handoffs.c.created_at >= start)
        if end is not None:
            query = query.where(handoffs.c.created_at < end)
        async with self.engine.connect() as connection:
            rows = await connection.execute(
                query.order_by(handoffs.c.id.desc()).limit(limit).offset(offset)
            )
            return [Handoff.from_row(row) for row in rows]

    # --- canned replies ---------------------------------------------------
    async def canned_for(self, agent: str, search: str = "") -> list[CannedReply]:
        """Team-wide replies and ``agent``'s own, matching ``search``."""
        query = select(canned_replies).where(
            or_(canned_replies.c.owner.is_(None), canned_replies.c.owner == agent)
        )
        if search:
            pattern = f"%{search}%"
            query = query.where(
                or_(
                    canned_replies.c.title.like(pattern),
                    canned_replies.c.text.like(pattern),
                )
            )
        async with self.engine.connect() as connection:
            rows = await connection.execute(
                query.order_by(canned_replies.c.owner, canned_replies.c.title)
            )
            return [CannedReply(**dict(row._mapping)) for row in rows]

    async def canned(self, reply_id: int) -> CannedReply | None:
        """One canned reply."""
        async with self.engine.connect() as connection:
            row = (
                await connection.execute(
                    select(canned_replies).where(canned_replies.c.id == reply_id)
                )
            ).first()
        return CannedReply(**dict(row._mapping)) if row is not None else None

    async def team_canned(self) -> list[CannedReply]:
        """The team-wide replies (the supervisor's page)."""
        async with self.engine.connect() as connection:
            rows = await connection.execute(
                select(canned_replies)
                .where(canned_replies.c.owner.is_(None))
                .order_by(canned_replies.c.title)
            )
            return [CannedReply(**dict(row._mapping)) for row in rows]

    async def add_canned(self, title: str, text: str, owner: str | None) -> int:
        """Store a canned reply (``owner`` ``None``: team-wide); its id."""
        async with self.engine.begin() as connection:
            result = await connection.execute(
                insert(canned_replies).values(
                    title=title, text=text, owner=owner, created_at=utcnow()
                )
            )
        return int(result.inserted_primary_key[0])

    async def delete_canned(self, reply_id: int, owner: str | None) -> bool:
        """Delete a canned reply of ``owner`` (``None``: a team-wide one)."""
        owned = (
            canned_replies.c.owner.is_(None)
            if owner is None
            else canned_replies.c.owner == owner
        )
        async with self.engine.begin() as connection:
            result = await connection.execute(
                delete(canned_replies).where(canned_replies.c.id == reply_id, owned)
            )
        return result.rowcount == 1
