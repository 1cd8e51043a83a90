"""Asks the order service whether an order is a customer's (for identity binding)."""

from __future__ import annotations

import asyncio
from urllib.parse import quote

import aiohttp

from bot.backends.common.errors import UpstreamUnavailable


class HttpOrderVerifier:
    """:class:`~bot.backends.crm.service.OrderVerifier` over the order service's API.

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
        url = (
            f"{self._base_url}/v1/customers/{quote(customer_id)}"
            f"/orders/{quote(order_number)}"
        )
        try:
            async with self._session.get(
                url, headers=self._headers, timeout=self._timeout
            ) as response:
                if response.status == 200:
                    return True
                if response.status == 404:
                    return False
                raise UpstreamUnavailable(
                    f"order service answered {response.status}", "orders_unavailable"
                )
        except (aiohttp.ClientError, asyncio.TimeoutError):
            raise UpstreamUnavailable(
                "order service unreachable", "orders_unavailable"
            ) from None
