"""Use cases of the CRM service: one unit of work per call, rules applied here."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import sessionmaker

from bot.backends.common.errors import Conflict, NotFound, RuleViolation
from bot.backends.common.timeutil import Clock, china_date, utc_now
from bot.backends.crm.models import (
    ChannelIdentity,
    Customer,
    PointsEntry,
    WarrantyRegistration,
)
from bot.backends.crm.repository import CrmRepository, IdentityRow
from bot.backends.crm.rules import (
    EntryKind,
    LedgerLine,
    PointsSummary,
    TierProgress,
    WarrantyTerms,
    check_identity_owner,
    check_serial_owner,
    summarize_points,
    tier_progress,
    warranty_terms,
)

logger = logging.getLogger(__name__)

_WRITE_ATTEMPTS = 3


@dataclass(frozen=True)
class CustomerRecord:
    """A customer with their channel identities."""

    customer: Customer
    identities: Sequence[IdentityRow]


@dataclass(frozen=True)
class OrderFacts:
    """What the points rules need to know of an order from the order system."""

    order_number: str
    status: str
    total_fen: int
    refunded_fen: int = 0


class OrderGateway(Protocol):
    """Asks the order system about a customer's order."""

    async def order_belongs_to(self, customer_id: str, order_number: str) -> bool:
        """Return True when the order exists and is the customer's.

        Raises:
            UpstreamUnavailable: The order system did not answer.
        """
        ...

    async def order_facts(
        self, customer_id: str, order_number: str
    ) -> OrderFacts | None:
        """Return the order's status and amounts; None when it is not theirs.

        Raises:
            UpstreamUnavailable: The order system did not answer.
        """
        ...


@dataclass(frozen=True)
class BindRequest:
    """A validated identity-binding request."""

    channel: str
    external_id: str
    phone: str
    order_number: str


@dataclass(frozen=True)
class WarrantyRequest:
    """A validated warranty registration."""

    serial_number: str
    sku: str
    product_name: str
    purchase_date: date
    standard_months: int
    extended_months: int = 0
    order_number: str | None = None


@dataclass(frozen=True)
class LoyaltySummary:
    """Points and tier of one customer."""

    customer_id: str
    points: PointsSummary
    tier: TierProgress
    expiring_within_days: int


@dataclass(frozen=True)
class Warranty:
    """A registration with its computed terms."""

    registration: WarrantyRegistration
    terms: WarrantyTerms


class CrmService:
    """Customers, channel identities, loyalty and warranties."""

    def __init__(
        self,
        sessions: sessionmaker,
        orders: OrderGateway,
        *,
        clock: Clock = utc_now,
    ) -> None:
        self._sessions = sessions
        self._orders = orders
        self._clock = clock

    async def is_empty(self) -> bool:
        """Tell whether the database holds no customers yet."""
        async with self._sessions() as session:
            return await CrmRepository(session).count_customers() == 0

    async def get_customer(self, customer_id: str) -> CustomerRecord:
        """Return a customer with their identities.

        Raises:
            NotFound: ``customer_not_found``.
        """
        async with self._sessions() as session:
            repo = CrmRepository(session)
            customer = await repo.get_customer(customer_id)
            if customer is None:
                raise NotFound(
                    f"customer {customer_id} not found", "customer_not_found"
                )
            return CustomerRecord(customer, await repo.identities_of(customer_id))

    async def find_by_identity(self, channel: str, external_id: str) -> CustomerRecord:
        """Return the customer a channel identity is bound to.

        Raises:
            NotFound: ``identity_not_bound``.
        """
        async with self._sessions() as session:
            repo = CrmRepository(session)
            identity = await repo.find_identity(channel, external_id)
            if identity is None:
                raise NotFound(
                    f"no customer is bound to {channel} identity {external_id}",
                    "identity_not_bound",
                )
            customer: Customer = identity.customer
            return CustomerRecord(customer, await repo.identities_of(customer.id))

    async def bind_identity(self, request: BindRequest) -> tuple[CustomerRecord, bool]:
        """Bind a channel identity after checking phone and an order of theirs.

        Args:
            request: The identity and the proof (phone + order number).

        Returns:
            The customer with their identities, and whether this call created
            the binding.

        Raises:
            RuleViolation: ``verification_failed`` (no hint which part was wrong).
            Conflict: ``identity_already_bound`` to another customer.
            UpstreamUnavailable: The order service did not answer.
        """
        async with self._sessions() as session:
            customer = await CrmRepository(session).find_by_phone(request.phone)
        # The order check runs outside any transaction: it is a network call.
        if customer is None or not await self._orders.order_belongs_to(
            customer.id, request.order_number
        ):
            raise RuleViolation(
                "the phone number and order number do not match a customer",
                "verification_failed",
            )
        for attempt in range(1, _WRITE_ATTEMPTS + 1):
            try:
                async with self._sessions() as session, session.begin():
                    repo = CrmRepository(session)
                    identity = await repo.find_identity(
                        request.channel, request.external_id
                    )
                    owner = identity.customer_id if identity else None
                    created = check_identity_owner(owner, customer.id)
                    if created:
                        await repo.add(
                            ChannelIdentity(
                                channel=request.channel,
                                external_id=request.external_id,
                                customer_id=customer.id,
                                bound_at=self._clock(),
                            )
                        )
                    identities = await repo.identities_of(customer.id)
                    return CustomerRecord(customer, identities), created
            except IntegrityError:
                logger.info("identity binding collided (attempt %d)", attempt)
        raise Conflict("concurrent binding; retry", "concurrent_update")

    async def loyalty_summary(
        self, customer_id: str, expiring_within_days: int
    ) -> LoyaltySummary:
        """Return points balance, points expiring soon and tier progress.

        Raises:
            NotFound: ``loyalty_account_not_found``.
        """
        async with self._sessions() as session:
            repo = CrmRepository(session)
            await self._require_account(repo, customer_id)
            entries = await repo.ledger(customer_id)
        points = summarize_points(
            (ledger_line(entry) for entry in entries),
            china_date(self._clock()),
            expiring_within_days,
        )
        return LoyaltySummary(
            customer_id,
            points,
            tier_progress(points.growth_value),
            expiring_within_days,
        )

    async def ledger(self, customer_id: str, limit: int) -> Sequence[PointsEntry]:
        """Return the most recent ledger entries.

        Raises:
            NotFound: ``loyalty_account_not_found``.
        """
        async with self._sessions() as session:
            repo = CrmRepository(session)
            await self._require_account(repo, customer_id)
            return await repo.ledger(customer_id, limit)

    async def register_warranty(
        self, customer_id: str, request: WarrantyRequest
    ) -> tuple[Warranty, bool]:
        """Register a serial number for a customer, once.

        Returns:
            The registration and whether this call created it (False when the
            same customer had already registered it: idempotent).

        Raises:
            NotFound: ``customer_not_found``.
            RuleViolation: ``purchase_date_in_future`` (a date after today is
                well formed, so it is a rule that refuses it, not the schema).
            Conflict: ``serial_already_registered`` to another customer.
        """
        today = china_date(self._clock())
        if request.purchase_date > today:
            raise RuleViolation(
                f"purchase_date {request.purchase_date} lies after today ({today})",
                "purchase_date_in_future",
            )
        for attempt in range(1, _WRITE_ATTEMPTS + 1):
            try:
                async with self._sessions() as session, session.begin():
                    repo = CrmRepository(session)
                    if await repo.get_customer(customer_id) is None:
                        raise NotFound(
                            f"customer {customer_id} not found", "customer_not_found"
                        )
                    existing = await repo.warranty_by_serial(request.serial_number)
                    owner = existing.customer_id if existing else None
                    if not check_serial_owner(owner, customer_id):
                        assert existing is not None
                        return self._warranty(existing), False
                    registration = WarrantyRegistration(
                        serial_number=request.serial_number,
                        customer_id=customer_id,
                        sku=request.sku,
                        product_name=request.product_name,
                        order_number=request.order_number,
                        purchase_date=request.purchase_date,
                        standard_months=request.standard_months,
                        extended_months=request.extended_months,
                        registered_at=self._clock(),
                    )
                    await repo.add(registration)
                    return self._warranty(registration), True
            except IntegrityError:
                # Another request registered the serial first: re-read decides.
                logger.info("warranty registration collided (attempt %d)", attempt)
        raise Conflict("concurrent registration; retry", "concurrent_update")

    async def warranty_by_serial(self, serial_number: str) -> Warranty:
        """Return the registration of a serial number.

        Raises:
            NotFound: ``warranty_not_registered``.
        """
        async with self._sessions() as session:
            registration = await CrmRepository(session).warranty_by_serial(
                serial_number
            )
        if registration is None:
            raise NotFound(
                f"serial number {serial_number} is not registered",
                "warranty_not_registered",
            )
        return self._warranty(registration)

    async def warranties_of(self, customer_id: str) -> list[Warranty]:
        """Return a customer's registrations.

        Raises:
            NotFound: ``customer_not_found``.
        """
        async with self._sessions() as session:
            repo = CrmRepository(session)
            if await repo.get_customer(customer_id) is None:
                raise NotFound(
                    f"customer {customer_id} not found", "customer_not_found"
                )
            registrations = await repo.warranties_of(customer_id)
        return [self._warranty(registration) for registration in registrations]

    def _warranty(self, registration: WarrantyRegistration) -> Warranty:
        return Warranty(
            registration,
            warranty_terms(
                registration.purchase_date,
                registration.standard_months,
                registration.extended_months,
                china_date(self._clock()),
            ),
        )

    @staticmethod
    async def _require_account(repo: CrmRepository, customer_id: str) -> None:
        if await repo.get_account(customer_id) is None:
            raise NotFound(
                f"customer {customer_id} has no loyalty account",
                "loyalty_account_not_found",
            )


def ledger_line(entry: PointsEntry) -> LedgerLine:
    """Give the points rules what they need of a ledger entry."""
    return LedgerLine(
        kind=EntryKind(entry.kind),
        points=entry.points,
        occurred_at=entry.occurred_at,
        expires_on=entry.expires_on,
    )
