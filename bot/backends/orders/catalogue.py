"""Use cases of the product catalogue: search and product detail, rules applied here."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import sessionmaker

from bot.backends.common.errors import NotFound
from bot.backends.common.timeutil import Clock, china_date, utc_now
from bot.backends.orders.catalogue_rules import (
    PromotionTerms,
    SearchEntry,
    running_promotion,
    search,
)
from bot.backends.orders.models import Product
from bot.backends.orders.repository import CatalogueRepository


@dataclass(frozen=True)
class ProductDetail:
    """A product with the promotion running today (None when none runs)."""

    product: Product
    promotion: PromotionTerms | None


class CatalogueService:
    """Public product information of the reference shop: no customer involved.

    Args:
        sessions: Factory of the sessions each use case runs in.
        clock: Source of the current time (decides which promotions run).
        repository: Builds the data access of one session.
    """

    def __init__(
        self,
        sessions: sessionmaker,
        *,
        clock: Clock = utc_now,
        repository: Callable[[AsyncSession], CatalogueRepository] = (
            CatalogueRepository
        ),
    ) -> None:
        self._sessions = sessions
        self._clock = clock
        self._repository = repository

    async def is_empty(self) -> bool:
        """Tell whether the catalogue holds no products yet."""
        async with self._sessions() as session:
            return await self._repository(session).count_products() == 0

    async def search(self, query: str | None, limit: int) -> Sequence[Product]:
        """Return the products a query finds, best match first.

        Args:
            query: What the shopper typed; None lists every product by name.
            limit: The most products to return.

        Returns:
            The products with their SKUs loaded (for their prices).
        """
        async with self._sessions() as session:
            repo = self._repository(session)
            entries = [
                SearchEntry(p.product_id, p.name, tuple(a.alias for a in p.aliases))
                for p in await repo.list_names()
            ]
            found = search(query, entries, limit)
            if not found:
                return []
            by_id = {p.product_id: p for p in await repo.get_summaries(found)}
        return [by_id[product_id] for product_id in found if product_id in by_id]

    async def get_product(self, product_id: str) -> ProductDetail:
        """Return a product with everything a pre-sales answer needs.

        Raises:
            NotFound: ``product_not_found``.
        """
        async with self._sessions() as session:
            product = await self._repository(session).get_product(product_id)
        if product is None:
            raise NotFound(f"product {product_id} not found", "product_not_found")
        promotion = running_promotion(
            [
                PromotionTerms(p.label, p.price_fen, p.starts_on, p.ends_on)
                for p in product.promotions
            ],
            china_date(self._clock()),
        )
        return ProductDetail(product, promotion)
