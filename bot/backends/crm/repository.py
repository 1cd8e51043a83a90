"""Data access of the CRM service; knows SQLAlchemy, not HTTP or rules."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from bot.backends.crm.models import (
    ChannelIdentity,
    Customer,
    LoyaltyAccount,
    PointsEntry,
    WarrantyRegistration,
)


class CrmRepository:
    """Reads and writes CRM records within one session."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def count_customers(self) -> int:
        """Count every customer (to tell an empty database)."""
        result = await self.session.execute(select(func.count(Customer.id)))
        return int(result.scalar_one())

    async def get_customer(self, customer_id: str) -> Customer | None:
        """Return a customer with their channel identities."""
        result = await self.session.execute(
            select(Customer)
            .where(Customer.id == customer_id)
            .options(selectinload(Customer.identities))
        )
        return result.scalars().first()

    async def find_by_phone(self, phone: str) -> Customer | None:
        """Return the customer with a phone number."""
        result = await self.session.execute(
            select(Customer)
            .where(Customer.phone == phone)
            .options(selectinload(Customer.identities))
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
            .options(
                selectinload(ChannelIdentity.customer).selectinload(Customer.identities)
            )
        )
        return result.scalars().first()

    async def add(self, record: object) -> None:
        """Insert a record and flush, so constraints fire now."""
        self.session.add(record)
        await self.session.flush()

    async def get_account(self, customer_id: str) -> LoyaltyAccount | None:
        """Return a customer's loyalty account."""
        return await self.session.get(LoyaltyAccount, customer_id)

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
