"""Use cases of the order service: one unit of work per call, rules applied here."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import sessionmaker

from bot.backends.common.errors import Conflict, NotFound
from bot.backends.common.timeutil import Clock, china_date, utc_now
from bot.backends.orders.models import (
    Order,
    OrderItem,
    Return,
    ReturnItem,
    ShippingUrge,
)
from bot.backends.orders.repository import OrderRepository
from bot.backends.orders.rules import (
    RETURN_ADDRESS,
    Eligibility,
    ItemState,
    OrderStatus,
    ReturnPolicy,
    ReturnReason,
    ReturnStatus,
    check_item,
    check_urge,
    next_rma_number,
    plan_return,
    request_fingerprint,
    return_instructions,
    returned_units,
)

logger = logging.getLogger(__name__)

# Concurrent creations can collide on the RMA number or the idempotency key;
# each retry re-reads, so a key that won the race is replayed.
_CREATE_ATTEMPTS = 4


@dataclass(frozen=True)
class ReturnRequest:
    """A validated create-return request."""

    order_number: str
    items: Mapping[str, int]
    reason: ReturnReason
    description: str | None = None
    evidence: tuple[str, ...] = ()


@dataclass(frozen=True)
class OrderDetail:
    """An order with the units of each SKU already covered by returns."""

    order: Order
    returned: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class UrgeSummary:
    """How often a shopper urged an order to ship (催发货), and when last."""

    order_number: str
    urge_count: int
    latest_urge_at: datetime | None


@dataclass(frozen=True)
class UrgeHistory:
    """An order's urge summary with its most recent urges, newest first."""

    summary: UrgeSummary
    urges: Sequence[ShippingUrge]


class OrderService:
    """Orders, tracking, returns and shipping urges of the reference shop.

    Args:
        sessions: Factory of the sessions each use case runs in.
        clock: Source of the current time.
        policy: The return policy; the shop's default when omitted.
        repository: Builds the data access of one session (a fake in unit tests).
    """

    def __init__(
        self,
        sessions: sessionmaker,
        *,
        clock: Clock = utc_now,
        policy: ReturnPolicy | None = None,
        repository: Callable[[AsyncSession], OrderRepository] = OrderRepository,
    ) -> None:
        self._sessions = sessions
        self._clock = clock
        self._repository = repository
        self.policy = policy or ReturnPolicy()

    async def is_empty(self) -> bool:
        """Tell whether the database holds no orders yet."""
        async with self._sessions() as session:
            return await self._repository(session).count_orders() == 0

    async def list_orders(
        self, customer_id: str, limit: int, status: OrderStatus | None = None
    ) -> Sequence[Order]:
        """Return a customer's most recent orders (newest first)."""
        async with self._sessions() as session:
            return await self._repository(session).list_orders(
                customer_id, limit, status.value if status else None
            )

    async def get_order(self, customer_id: str, order_number: str) -> OrderDetail:
        """Return one of the customer's orders.

        Raises:
            NotFound: ``order_not_found`` when it does not exist or is not theirs.
        """
        async with self._sessions() as session:
            repo = self._repository(session)
            order = await self._order(repo, customer_id, order_number)
            returned = returned_units(await repo.return_lines(order.id))
            return OrderDetail(order, returned)

    async def find_serial(self, customer_id: str, serial_number: str) -> OrderItem:
        """Return the customer's order item sold with a serial number.

        Raises:
            NotFound: ``serial_not_found``.
        """
        async with self._sessions() as session:
            item = await self._repository(session).find_serial(
                customer_id, serial_number
            )
        if item is None:
            raise NotFound(
                f"serial number {serial_number} is not in this customer's orders",
                "serial_not_found",
            )
        return item

    async def check_eligibility(
        self,
        customer_id: str,
        order_number: str,
        sku: str,
        reason: ReturnReason,
        quantity: int,
    ) -> Eligibility:
        """Check whether units of one order line can be returned for a reason.

        Raises:
            NotFound: ``order_not_found`` or ``item_not_found``.
        """
        async with self._sessions() as session:
            repo = self._repository(session)
            order = await self._order(repo, customer_id, order_number)
            states = self._item_states(order, await repo.return_lines(order.id))
        _require_items(states, [sku], order_number)
        return check_item(
            self.policy,
            order_status=OrderStatus(order.status),
            delivered_on=china_date(order.delivered_at) if order.delivered_at else None,
            today=china_date(self._clock()),
            item=states[sku],
            reason=reason,
            quantity=quantity,
        )

    async def create_return(
        self, customer_id: str, request: ReturnRequest, idempotency_key: str
    ) -> tuple[Return, bool]:
        """Create a return once per idempotency key.

        Args:
            customer_id: The customer asking.
            request: What to return and why.
            idempotency_key: The client's key; the same key gives the same RMA.

        Returns:
            The return and whether this call created it (False on a replay).

        Raises:
            NotFound: ``order_not_found`` or ``item_not_found``.
            RuleViolation: With the eligibility code of the refused line.
            Conflict: ``idempotency_key_reused`` for a different request.
        """
        fingerprint = request_fingerprint(
            request.order_number,
            request.items,
            request.reason,
            request.description,
            request.evidence,
        )
        for attempt in range(1, _CREATE_ATTEMPTS + 1):
            try:
                return await self._create_return_once(
                    customer_id, request, idempotency_key, fingerprint
                )
            except IntegrityError:
                logger.info("create return collided (attempt %d), retrying", attempt)
        raise Conflict(
            "the return could not be created because of concurrent requests; retry",
            "concurrent_update",
        )

    async def _create_return_once(
        self,
        customer_id: str,
        request: ReturnRequest,
        key: str,
        fingerprint: str,
    ) -> tuple[Return, bool]:
        async with self._sessions() as session, session.begin():
            repo = self._repository(session)
            existing = await repo.find_by_idempotency_key(customer_id, key)
            if existing is not None:
                return _replay(existing, fingerprint), False
            # Lock the order so concurrent returns of it see each other's units.
            order = await self._order(
                repo, customer_id, request.order_number, for_update=True
            )
            existing = await repo.find_by_idempotency_key(customer_id, key)
            if existing is not None:
                return _replay(existing, fingerprint), False
            states = self._item_states(order, await repo.return_lines(order.id))
            _require_items(states, list(request.items), request.order_number)
            now = self._clock()
            plan = plan_return(
                self.policy,
                order_status=OrderStatus(order.status),
                delivered_on=china_date(order.delivered_at)
                if order.delivered_at
                else None,
                today=china_date(now),
                items=states,
                requested=request.items,
                reason=request.reason,
            )
            day = china_date(now)
            rma = next_rma_number(day, await repo.last_rma_number(f"RMA{day:%Y%m%d}"))
            by_sku = {item.sku: item for item in order.items}
            return_ = Return(
                rma_number=rma,
                order=order,
                customer_id=customer_id,
                reason=request.reason.value,
                description=request.description,
                evidence=list(request.evidence),
                status=ReturnStatus.REQUESTED.value,
                refund_fen=sum(line.refund_fen for line in plan),
                return_address=RETURN_ADDRESS,
                instructions=return_instructions(request.reason, rma),
                idempotency_key=key,
                request_fingerprint=fingerprint,
                created_at=now,
                updated_at=now,
                items=[
                    ReturnItem(
                        order_item_id=by_sku[line.sku].id,
                        sku=line.sku,
                        quantity=line.requested_quantity,
                        refund_fen=line.refund_fen,
                    )
                    for line in plan
                ],
            )
            await repo.add_return(return_)
            return return_, True

    async def list_returns(self, customer_id: str, limit: int) -> Sequence[Return]:
        """Return a customer's most recent returns (newest first)."""
        async with self._sessions() as session:
            return await self._repository(session).list_returns(customer_id, limit)

    async def get_return(self, customer_id: str, rma_number: str) -> Return:
        """Return one of the customer's returns.

        Raises:
            NotFound: ``return_not_found``.
        """
        async with self._sessions() as session:
            return_ = await self._repository(session).get_return(
                customer_id, rma_number
            )
        if return_ is None:
            raise NotFound(f"return {rma_number} not found", "return_not_found")
        return return_

    async def record_urge(
        self, customer_id: str, order_number: str, channel: str
    ) -> UrgeSummary:
        """Record that the shopper urged a paid order to ship (催发货).

        Every urge is kept, repeated ones included, so staff see how often a
        shopper asked.

        Args:
            customer_id: The customer asking.
            order_number: Their order.
            channel: Where they asked (``wechat``, ``web``...).

        Returns:
            How many urges the order now has and the latest one's time.

        Raises:
            NotFound: ``order_not_found`` when it does not exist or is not theirs.
            RuleViolation: ``order_not_awaiting_shipment`` unless it is paid.
        """
        async with self._sessions() as session, session.begin():
            repo = self._repository(session)
            # Lock the order so a concurrent status change or urge waits: the
            # status checked and the count returned stay true until commit.
            order = await self._order(
                repo, customer_id, order_number, for_update=True, with_detail=False
            )
            check_urge(order.order_number, OrderStatus(order.status))
            await repo.add_urge(
                ShippingUrge(
                    order_id=order.id,
                    customer_id=customer_id,
                    channel=channel,
                    created_at=self._clock(),
                )
            )
            count, latest = await repo.urge_stats(order.id)
        return UrgeSummary(order.order_number, count, latest)

    async def list_urges(
        self, customer_id: str, order_number: str, limit: int
    ) -> UrgeHistory:
        """Return an order's shipping urges (any status), newest first.

        Raises:
            NotFound: ``order_not_found`` when it does not exist or is not theirs.
        """
        async with self._sessions() as session:
            repo = self._repository(session)
            order = await self._order(
                repo, customer_id, order_number, with_detail=False
            )
            count, latest = await repo.urge_stats(order.id)
            urges = await repo.list_urges(order.id, limit)
        return UrgeHistory(UrgeSummary(order.order_number, count, latest), urges)

    async def _order(
        self,
        repo: OrderRepository,
        customer_id: str,
        order_number: str,
        *,
        for_update: bool = False,
        with_detail: bool = True,
    ) -> Order:
        order = await repo.get_order(
            customer_id, order_number, for_update=for_update, with_detail=with_detail
        )
        if order is None:
            raise NotFound(f"order {order_number} not found", "order_not_found")
        return order

    @staticmethod
    def _item_states(
        order: Order, lines: list[tuple[str, int, str]]
    ) -> dict[str, ItemState]:
        returned = returned_units(lines)
        return {
            item.sku: ItemState(
                sku=item.sku,
                category=item.category,
                unit_price_fen=item.unit_price_fen,
                purchased=item.quantity,
                returned=returned.get(item.sku, 0),
            )
            for item in order.items
        }


def _require_items(
    states: Mapping[str, ItemState], skus: Sequence[str], order_number: str
) -> None:
    for sku in skus:
        if sku not in states:
            raise NotFound(f"order {order_number} has no item {sku}", "item_not_found")


def _replay(existing: Return, fingerprint: str) -> Return:
    if existing.request_fingerprint != fingerprint:
        raise Conflict(
            "this Idempotency-Key was already used for a different return request",
            "idempotency_key_reused",
        )
    return existing
