"""Asks the order service about a customer's order (identity binding, order points)."""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import quote

import aiohttp

from bot.backends.common.errors import UpstreamUnavailable
from bot.backends.crm.service import OrderFacts


class HttpOrderGateway:
    """:class:`~bot.backends.crm.service.OrderGateway` over the order service's API.

    Args:
        session: The app's client session (opened and closed in ``cleanup_ctx``).
        base_url: Base URL of the order service.
        token: Bearer token shared by the services.
        timeout: Seconds to wait for an answer.
    """

    def __init__(
        self, session: aiohttp.ClientSession, base_url: str, token: str, timeout: float
    ) -> None:
        self._session = session
        self._base_url = base_url.rstrip("/")
        self._headers = {"Authorization": f"Bearer {token}"}
        self._timeout = aiohttp.ClientTimeout(total=timeout)

    async def order_belongs_to(self, customer_id: str, order_number: str) -> bool:
        """Return True when the order service knows the order as the customer's."""
        return await self._order(customer_id, order_number) is not None

    async def order_facts(
        self, customer_id: str, order_number: str
    ) -> OrderFacts | None:
        """Return what the points rules need of an order; None when not theirs."""
        body = await self._order(customer_id, order_number)
        if body is None:
            return None
        try:
            refunded = sum(
                int(item["unit_price_fen"]) * int(item.get("returned_quantity", 0))
                for item in body["items"]
            )
            return OrderFacts(
                order_number=str(body["order_number"]),
                status=str(body["status"]),
                total_fen=int(body["total_fen"]),
                refunded_fen=refunded,
            )
        except (KeyError, TypeError, ValueError):
            raise UpstreamUnavailable(
                "order service sent an order without status, total or items",
                "orders_unavailable",
            ) from None

    async def _order(self, customer_id: str, order_number: str) -> Any:
        url = (
            f"{self._base_url}/v1/customers/{quote(customer_id)}"
            f"/orders/{quote(order_number)}"
        )
        try:
            async with self._session.get(
                url, headers=self._headers, timeout=self._timeout
            ) as response:
                if response.status == 404:
                    return None
                if response.status != 200:
                    raise UpstreamUnavailable(
                        f"order service answered {response.status}",
                        "orders_unavailable",
                    )
                body = await response.json(content_type=None)
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError):
            raise UpstreamUnavailable(
                "order service unreachable", "orders_unavailable"
            ) from None
        if not isinstance(body, dict):
            raise UpstreamUnavailable(
                "order service sent no order object", "orders_unavailable"
            )
        return body
