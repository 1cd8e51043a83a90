"""Staff roles and the trainers' review labels in the console's database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.console.models import GRANTS, review_labels, staff, staff_roles
from bot.console.repository import utcnow


@dataclass(frozen=True)
class ReviewLabel:
    """A trainer's verdict on one message.

    Attributes:
        sender_id: The conversation.
        event_timestamp: The user event's time: with ``sender_id`` its key.
        text: The message, personal data masked.
        predicted_intent: What the model that served it said.
        confidence: With what confidence.
        reasons: Why it was listed (``bot.analytics.review.REASONS``).
        label: The intent a trainer gave, or ``models.NOISE``.
        reviewer: Who.
        reviewed_at: When (naive UTC).
    """

    sender_id: str
    event_timestamp: float
    text: str
    predicted_intent: str | None
    confidence: float
    reasons: list[str]
    label: str
    reviewer: str
    reviewed_at: datetime

    @property
    def key(self) -> tuple[str, float]:
        """``(sender_id, event_timestamp)``."""
        return (self.sender_id, self.event_timestamp)


class ReviewRepository:
    """Roles and review labels.

    Args:
        engine: The console's database.
    """

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def roles(self, username: str) -> set[str]:
        """The roles granted to ``username``."""
        query = select(staff_roles.c.role).where(staff_roles.c.username == username)
        async with self._engine.connect() as connection:
            return {row.role for row in await connection.execute(query)}

    async def grant(self, username: str, role: str) -> bool:
        """Grant ``role``; ``False`` when it was granted already.

        Raises:
            ValueError: No such staff account, or no such role.
        """
        if role not in GRANTS:
            raise ValueError(f"unknown role {role!r} (roles: {', '.join(GRANTS)})")
        async with self._engine.begin() as connection:
            known = await connection.scalar(
                select(staff.c.id).where(staff.c.username == username)
            )
            if known is None:
                raise ValueError(f"no staff account {username!r}")
            try:
                async with connection.begin_nested():
                    await connection.execute(
                        insert(staff_roles).values(
                            username=username, role=role, granted_at=utcnow()
                        )
                    )
            except IntegrityError:
                return False
        return True

    async def revoke(self, username: str, role: str) -> bool:
        """Take ``role`` away; ``False`` when it was not granted."""
        async with self._engine.begin() as connection:
            result = await connection.execute(
                delete(staff_roles).where(
                    and_(staff_roles.c.username == username, staff_roles.c.role == role)
                )
            )
        return bool(result.rowcount)

    async def save_label(self, label: ReviewLabel) -> None:
        """Record a verdict; a second verdict on the same message replaces it."""
        values = {
            "text": label.text,
            "predicted_intent": label.predicted_intent,
            "confidence": label.confidence,
            "reasons": list(label.reasons),
            "label": label.label,
            "reviewer": label.reviewer,
            "reviewed_at": label.reviewed_at,
        }
        where = and_(
            review_labels.c.sender_id == label.sender_id,
            review_labels.c.event_timestamp == label.event_timestamp,
        )
        async with self._engine.begin() as connection:
            changed = await connection.execute(
                update(review_labels).where(where).values(**values)
            )
            if changed.rowcount:
                return
            try:
                async with connection.begin_nested():
                    await connection.execute(
                        insert(review_labels).values(
                            sender_id=label.sender_id,
                            event_timestamp=label.event_timestamp,
                            **values,
                        )
                    )
            except IntegrityError:  # a concurrent first verdict won: replace it
                await connection.execute(
                    update(review_labels).where(where).values(**values)
                )

    async def labels(self) -> list[ReviewLabel]:
        """Every verdict, newest first."""
        query = select(review_labels).order_by(review_labels.c.reviewed_at.desc())
        async with self._engine.connect() as connection:
            rows = (await connection.execute(query)).all()
        return [
            ReviewLabel(
                sender_id=row.sender_id,
                event_timestamp=row.event_timestamp,
                text=row.text,
                predicted_intent=row.predicted_intent,
                confidence=row.confidence,
                reasons=list(row.reasons or []),
                label=row.label,
                reviewer=row.reviewer,
                reviewed_at=row.reviewed_at,
            )
            for row in rows
        ]
