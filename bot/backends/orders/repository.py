"""Data access of the order service and its catalogue; knows SQLAlchemy, not HTTP."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload, selectinload

from bot.backends.orders.models import (
    ItemSerial,
    Order,
    OrderItem,
    Product,
    Return,
    ReturnItem,
    Shipment,
    ShippingUrge,
)

# One order, one query: its items, serials, shipments and events come joined
# (each extra SELECT of ``selectinload`` cost ≈ 1.3 ms of the service's CPU,
# benchmarks/README.md "Reference backends"). Lists keep ``selectinload``:
# their number of queries does not grow with the number of orders.
_ORDER_DETAIL = (
    joinedload(Order.items).joinedload(OrderItem.serials),
    joinedload(Order.shipments).joinedload(Shipment.events),
)
_ORDER_LIST_DETAIL = (
    selectinload(Order.items).selectinload(OrderItem.serials),
    selectinload(Order.shipments).selectinload(Shipment.events),
)
_RETURN_DETAIL = (joinedload(Return.items), joinedload(Return.order))
_RETURN_LIST_DETAIL = (selectinload(Return.items), selectinload(Return.order))
_PRODUCT_DETAIL = (
    selectinload(Product.aliases),
    selectinload(Product.skus),
    selectinload(Product.specs),
    selectinload(Product.faqs),
    selectinload(Product.promotions),
)
# A product without any SKU cannot be bought: the catalogue does not show it.
_ON_SALE = Product.skus.any()


class OrderRepository:
    """Reads and writes orders, returns and shipping urges within one session."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def count_orders(self) -> int:
        """Count every order (to tell an empty database)."""
        result = await self.session.execute(select(func.count(Order.id)))
        return int(result.scalar_one())

    async def list_orders(
        self, customer_id: str, limit: int, status: str | None = None
    ) -> Sequence[Order]:
        """Return a customer's most recent orders with items and shipments."""
        query = (
            select(Order)
            .where(Order.customer_id == customer_id)
            .options(*_ORDER_LIST_DETAIL)
            .order_by(Order.created_at.desc(), Order.id.desc())
            .limit(limit)
        )
        if status is not None:
            query = query.where(Order.status == status)
        result = await self.session.execute(query)
        return result.scalars().all()

    async def get_order(
        self,
        customer_id: str,
        order_number: str,
        *,
        for_update: bool = False,
        with_detail: bool = True,
    ) -> Order | None:
        """Return one of a customer's orders, optionally locking its row.

        Args:
            customer_id: The customer the order must belong to.
            order_number: The order.
            for_update: Lock the order's row until the transaction ends.
            with_detail: Also load items and shipments; without, only the
                order's own columns may be read.

        Returns:
            The order, or None when the customer has no such order.
        """
        query = select(Order).where(
            Order.customer_id == customer_id, Order.order_number == order_number
        )
        if with_detail:
            query = query.options(*_ORDER_DETAIL)
        if for_update:
            query = query.with_for_update(of=Order)
        result = await self.session.execute(query)
        return result.unique().scalars().first()

    async def find_serial(
        self, customer_id: str, serial_number: str
    ) -> OrderItem | None:
        """Return the customer's order item a serial number was sold with."""
        query = (
            select(OrderItem)
            .join(ItemSerial, ItemSerial.order_item_id == OrderItem.id)
            .join(Order, Order.id == OrderItem.order_id)
            .where(
                ItemSerial.serial_number == serial_number,
                Order.customer_id == customer_id,
            )
            .options(joinedload(OrderItem.order), joinedload(OrderItem.serials))
        )
        result = await self.session.execute(query)
        return result.unique().scalars().first()

    async def return_lines(self, order_id: int) -> list[tuple[str, int, str]]:
        """Return ``(sku, quantity, status)`` for every return line of an order."""
        query = (
            select(ReturnItem.sku, ReturnItem.quantity, Return.status)
            .join(Return, Return.id == ReturnItem.return_id)
            .where(Return.order_id == order_id)
        )
        result = await self.session.execute(query)
        return [(sku, quantity, status) for sku, quantity, status in result.all()]

    async def list_returns(self, customer_id: str, limit: int) -> Sequence[Return]:
        """Return a customer's most recent returns."""
        query = (
            select(Return)
            .where(Return.customer_id == customer_id)
            .options(*_RETURN_LIST_DETAIL)
            .order_by(Return.created_at.desc(), Return.id.desc())
            .limit(limit)
        )
        result = await self.session.execute(query)
        return result.scalars().all()

    async def get_return(self, customer_id: str, rma_number: str) -> Return | None:
        """Return one of a customer's returns by RMA number."""
        query = (
            select(Return)
            .where(Return.customer_id == customer_id, Return.rma_number == rma_number)
            .options(*_RETURN_DETAIL)
        )
        result = await self.session.execute(query)
        return result.unique().scalars().first()

    async def find_by_idempotency_key(
        self, customer_id: str, key: str
    ) -> Return | None:
        """Return the return a customer already created with an idempotency key."""
        query = (
            select(Return)
            .where(Return.customer_id == customer_id, Return.idempotency_key == key)
            .options(*_RETURN_DETAIL)
        )
        result = await self.session.execute(query)
        return result.unique().scalars().first()

    async def last_rma_number(self, prefix: str) -> str | None:
        """Return the highest RMA number starting with ``prefix``."""
        query = select(func.max(Return.rma_number)).where(
            Return.rma_number.like(f"{prefix}%")
        )
        result = await self.session.execute(query)
        value: str | None = result.scalar_one()
        return value

    async def add_return(self, return_: Return) -> None:
        """Insert a return with its lines and flush, so constraints fire now."""
        self.session.add(return_)
        await self.session.flush()

    async def add_urge(self, urge: ShippingUrge) -> None:
        """Insert a shipping urge and flush, so it counts in the same transaction."""
        self.session.add(urge)
        await self.session.flush()

    async def urge_stats(self, order_id: int) -> tuple[int, datetime | None]:
        """Return how many times an order was urged and when last (None if never)."""
        query = select(
            func.count(ShippingUrge.id), func.max(ShippingUrge.created_at)
        ).where(ShippingUrge.order_id == order_id)
        count, latest = (await self.session.execute(query)).one()
        return int(count), latest

    async def list_urges(self, order_id: int, limit: int) -> Sequence[ShippingUrge]:
        """Return an order's most recent shipping urges, newest first."""
        query = (
            select(ShippingUrge)
            .where(ShippingUrge.order_id == order_id)
            .order_by(ShippingUrge.created_at.desc(), ShippingUrge.id.desc())
            .limit(limit)
        )
        result = await self.session.execute(query)
        return result.scalars().all()


class CatalogueRepository:
    """Reads the product catalogue within one session."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def count_products(self) -> int:
        """Count every product (to tell an empty catalogue)."""
        result = await self.session.execute(select(func.count(Product.id)))
        return int(result.scalar_one())

    async def list_names(self) -> Sequence[Product]:
        """Return every product on sale with its aliases (what search matches)."""
        query = select(Product).where(_ON_SALE).options(selectinload(Product.aliases))
        result = await self.session.execute(query)
        return result.scalars().all()

    async def get_summaries(self, product_ids: Sequence[str]) -> Sequence[Product]:
        """Return products with their SKUs (for their prices), in no set order."""
        query = (
            select(Product)
            .where(Product.product_id.in_(product_ids), _ON_SALE)
            .options(selectinload(Product.skus))
        )
        result = await self.session.execute(query)
        return result.scalars().all()

    async def get_product(self, product_id: str) -> Product | None:
        """Return a product on sale with aliases, SKUs, specs, FAQs and promotions."""
        query = (
            select(Product)
            .where(Product.product_id == product_id, _ON_SALE)
            .options(*_PRODUCT_DETAIL)
        )
        result = await self.session.execute(query)
        return result.scalars().first()
