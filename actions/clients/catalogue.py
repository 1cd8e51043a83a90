"""Typed client of the product catalogue (served by the order service)."""

from __future__ import annotations

from typing import cast

from actions.clients.http import BackendClient, ClientSettings, segment
from actions.clients.payloads import Product, ProductSummary

# The contract's longest ``q``; a longer message is searched by its beginning.
MAX_QUERY = 100


class CatalogueClient(BackendClient):
    """Reads public product information; no customer, so no identity needed.

    Every method raises the errors in ``errors``, naming the service
    ``"catalogue"``.

    Args:
        settings: Where the order service is; read from the environment when
            omitted.
    """

    def __init__(self, settings: ClientSettings | None = None) -> None:
        settings = settings or ClientSettings.from_env()
        super().__init__("catalogue", settings.orders_url, settings)

    async def search_products(self, query: str, limit: int = 5) -> list[ProductSummary]:
        """Return the products a shopper's words name, best match first.

        Args:
            query: A name, an alias or a whole sentence (``Air2耳机有白色的吗``);
                only its first 100 characters count; blank lists every product
                by name.
            limit: The most products to return (1-20).

        Returns:
            The products found, possibly none.

        Raises:
            Rejected: ``invalid_input`` for a limit out of range.
            BackendUnavailable: The service is down or slow.
        """
        params = {"limit": str(limit)}
        if query := query.strip():
            params["q"] = query[:MAX_QUERY]
        body = await self.get("/v1/products", params)
        return cast(list[ProductSummary], body["products"])

    async def get_product(self, product_id: str) -> Product:
        """Return a product with its SKUs, specs, FAQs and running promotion.

        Raises:
            NotFound: ``product_not_found``.
            BackendUnavailable: The service is down or slow.
        """
        return cast(Product, await self.get(f"/v1/products/{segment(product_id)}"))
