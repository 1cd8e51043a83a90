"""Data access of the CRM service; knows SQLAlchemy, not HTTP or rules."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from bot.backends.crm.models import (
    ChannelIdentity,
    Customer,
    LoyaltyAccount,
    PointsEntry,
    Redemption,
    Reward,
    TierBenefit,
    WarrantyRegistration,
)


@dataclass(frozen=True)
class IdentityRow:
    """A channel identity as the contract shows it."""

    channel: str
    external_id: str
    bound_at: datetime


class CrmRepository:
    """Reads and writes CRM records within one session."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def count_customers(self) -> int:
        """Count every customer (to tell an empty database)."""
        result = await self.session.execute(select(func.count(Customer.id)))
        return int(result.scalar_one())

    async def get_customer(self, customer_id: str) -> Customer | None:
        """Return a customer (their identities: ``identities_of``)."""
        result = await self.session.execute(
            select(Customer).where(Customer.id == customer_id)
        )
        return result.scalars().first()

    async def find_by_phone(self, phone: str) -> Customer | None:
        """Return the customer with a phone number."""
        result = await self.session.execute(
            select(Customer).where(Customer.phone == phone)
        )
        return result.scalars().first()

    async def find_identity(
        self, channel: str, external_id: str
    ) -> ChannelIdentity | None:
        """Return a channel identity with its customer."""
        result = await self.session.execute(
            select(ChannelIdentity)
            .where(
                ChannelIdentity.channel == channel,
                ChannelIdentity.external_id == external_id,
            )
            .options(joinedload(ChannelIdentity.customer))
        )
        return result.scalars().first()

    async def identities_of(self, customer_id: str) -> list[IdentityRow]:
        """Return a customer's channel identities, oldest binding first.

        Plain rows, not ORM objects: a customer may have many (every channel,
        every device), and the rows are only rendered. Loaded with the customer
        through a join, 300 identities cost the service 16 ms of CPU per
        lookup (benchmarks/README.md, "Production capacity: both workers from
        the first connection").
        """
        result = await self.session.execute(
            select(
                ChannelIdentity.channel,
                ChannelIdentity.external_id,
                ChannelIdentity.bound_at,
            )
            .where(ChannelIdentity.customer_id == customer_id)
            .order_by(ChannelIdentity.id)
        )
        return [IdentityRow(*row) for row in result]

    async def add(self, record: object) -> None:
        """Insert a record and flush, so constraints fire now."""
        self.session.add(record)
        await self.session.flush()

    async def get_account(
        self, customer_id: str, *, for_update: bool = False
    ) -> LoyaltyAccount | None:
        """Return a customer's loyalty account, optionally locking its row.

        Args:
            customer_id: The customer.
            for_update: Lock the row until the transaction ends, so the
                customer's point spends run one after another (PostgreSQL; SQLite
                serialises writes anyway).
        """
        query = select(LoyaltyAccount).where(LoyaltyAccount.customer_id == customer_id)
        if for_update:
            query = query.with_for_update()
        result = await self.session.execute(query)
        return result.scalars().first()

    async def ledger(
        self, customer_id: str, limit: int | None = None
    ) -> Sequence[PointsEntry]:
        """Return ledger entries, newest first (all of them without a limit)."""
        query = (
            select(PointsEntry)
            .where(PointsEntry.customer_id == customer_id)
            .order_by(PointsEntry.occurred_at.desc(), PointsEntry.id.desc())
        )
        if limit is not None:
            query = query.limit(limit)
        result = await self.session.execute(query)
        return result.scalars().all()

    async def order_ledger(
        self, customer_id: str, order_number: str
    ) -> Sequence[PointsEntry]:
        """Return the ledger entries carrying one order number, newest first."""
        result = await self.session.execute(
            select(PointsEntry)
            .where(
                PointsEntry.customer_id == customer_id,
                PointsEntry.order_number == order_number,
            )
            .order_by(PointsEntry.occurred_at.desc(), PointsEntry.id.desc())
        )
        return result.scalars().all()

    async def benefits(self) -> Sequence[TierBenefit]:
        """Return every tier's benefits in their order."""
        result = await self.session.execute(
            select(TierBenefit).order_by(TierBenefit.tier, TierBenefit.position)
        )
        return result.scalars().all()

    async def count_benefits(self) -> int:
        """Count tier benefits (to tell a database without the catalogue)."""
        result = await self.session.execute(select(func.count(TierBenefit.id)))
        return int(result.scalar_one())

    async def rewards(self) -> Sequence[Reward]:
        """Return every reward, cheapest first."""
        result = await self.session.execute(
            select(Reward).order_by(Reward.points, Reward.id)
        )
        return result.scalars().all()

    async def get_reward(self, reward_id: str) -> Reward | None:
        """Return a reward."""
        return await self.session.get(Reward, reward_id)

    async def take_one(self, reward_id: str) -> bool:
        """Take one unit of a stocked reward; False when none is left.

        One conditional UPDATE: two transactions cannot both take the last unit.
        """
        result = await self.session.execute(
            update(Reward)
            .where(Reward.id == reward_id, Reward.stock > 0)
            .values(stock=Reward.stock - 1)
            .execution_options(synchronize_session=False)
        )
        return bool(result.rowcount)

    async def find_redemption(
        self, customer_id: str, idempotency_key: str
    ) -> Redemption | None:
        """Return the customer's redemption made with an idempotency key."""
        result = await self.session.execute(
            select(Redemption).where(
                Redemption.customer_id == customer_id,
                Redemption.idempotency_key == idempotency_key,
            )
        )
        return result.scalars().first()

    async def warranty_by_serial(
        self, serial_number: str
    ) -> WarrantyRegistration | None:
        """Return the registration of a serial number."""
        result = await self.session.execute(
            select(WarrantyRegistration).where(
                WarrantyRegistration.serial_number == serial_number
            )
        )
        return result.scalars().first()

    async def warranties_of(self, customer_id: str) -> Sequence[WarrantyRegistration]:
        """Return a customer's registrations, newest purchase first."""
        result = await self.session.execute(
            select(WarrantyRegistration)
            .where(WarrantyRegistration.customer_id == customer_id)
            .order_by(
                WarrantyRegistration.purchase_date.desc(), WarrantyRegistration.id
            )
        )
        return result.scalars().all()
