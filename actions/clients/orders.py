"""Typed client of the order service (orders, tracking, returns)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import cast

from actions.clients.http import BackendClient, ClientSettings, segment
from actions.clients.payloads import (
    Eligibility,
    Order,
    OrderDetail,
    OrderStatus,
    Return,
    ReturnLine,
    ReturnReason,
    SerialSale,
    Shipments,
    UrgeHistory,
    UrgeSummary,
)


def new_idempotency_key() -> str:
    """Return a fresh Idempotency-Key for one create-return intent."""
    return f"xiaoke-{uuid.uuid4().hex}"


class OrdersClient(BackendClient):
    """Calls the order service; every method raises the errors in ``errors``.

    Args:
        settings: Where the service is; read from the environment when omitted.
    """

    def __init__(self, settings: ClientSettings | None = None) -> None:
        settings = settings or ClientSettings.from_env()
        super().__init__("orders", settings.orders_url, settings)

    @staticmethod
    def _customer(customer_id: str) -> str:
        return f"/v1/customers/{segment(customer_id)}"

    async def list_orders(
        self, customer_id: str, limit: int = 10, status: OrderStatus | None = None
    ) -> list[Order]:
        """Return the customer's most recent orders, newest first."""
        params = {"limit": str(limit)}
        if status is not None:
            params["status"] = status
        body = await self.get(f"{self._customer(customer_id)}/orders", params)
        return cast(list[Order], body["orders"])

    async def get_order(self, customer_id: str, order_number: str) -> OrderDetail:
        """Return one of the customer's orders (NotFound ``order_not_found``)."""
        path = f"{self._customer(customer_id)}/orders/{segment(order_number)}"
        return cast(OrderDetail, await self.get(path))

    async def get_shipments(self, customer_id: str, order_number: str) -> Shipments:
        """Return an order's shipments with tracking events, newest first."""
        path = f"{self._customer(customer_id)}/orders/{segment(order_number)}/shipments"
        return cast(Shipments, await self.get(path))

    async def record_urge(
        self, customer_id: str, order_number: str, channel: str
    ) -> UrgeSummary:
        """Record that the shopper urged a paid order to ship (催发货).

        Sent once: every POST records another urge, so it is never retried.

        Args:
            customer_id: The customer.
            order_number: Their order, which must be paid and not shipped yet.
            channel: Where they asked (``wechat`` or ``web``).

        Returns:
            How many urges the order has now and when the latest was.

        Raises:
            NotFound: ``order_not_found``.
            Rejected: ``order_not_awaiting_shipment`` for any status but paid.
            BackendUnavailable: The service is down or slow.
        """
        path = f"{self._customer(customer_id)}/orders/{segment(order_number)}/urges"
        return cast(UrgeSummary, await self.post(path, {"channel": channel}))

    async def list_urges(
        self, customer_id: str, order_number: str, limit: int = 10
    ) -> UrgeHistory:
        """Return an order's shipping urges, newest first, with their total count."""
        path = f"{self._customer(customer_id)}/orders/{segment(order_number)}/urges"
        return cast(UrgeHistory, await self.get(path, {"limit": str(limit)}))

    async def check_return_eligibility(
        self,
        customer_id: str,
        order_number: str,
        sku: str,
        reason: ReturnReason = "no_reason",
        quantity: int = 1,
    ) -> Eligibility:
        """Tell whether units of an order line may be returned, and until when."""
        path = (
            f"{self._customer(customer_id)}/orders/{segment(order_number)}"
            f"/items/{segment(sku)}/return-eligibility"
        )
        params = {"reason": reason, "quantity": str(quantity)}
        return cast(Eligibility, await self.get(path, params))

    async def find_serial(self, customer_id: str, serial_number: str) -> SerialSale:
        """Return the customer's order line sold with a serial number."""
        path = f"{self._customer(customer_id)}/serial-numbers/{segment(serial_number)}"
        return cast(SerialSale, await self.get(path))

    async def create_return(
        self,
        customer_id: str,
        order_number: str,
        items: Sequence[ReturnLine],
        reason: ReturnReason,
        *,
        idempotency_key: str,
        description: str | None = None,
        evidence: Sequence[str] = (),
    ) -> Return:
        """Create a return; sending the same key again returns the same RMA.

        Args:
            customer_id: The customer.
            order_number: The order the items belong to.
            items: SKUs and units to return.
            reason: Why.
            idempotency_key: One key per shopper intent (keep it in a slot, so a
                repeated confirmation cannot create a second return).
            description: The shopper's words, optional.
            evidence: References of the shopper's photos (``media:…``), at
                most five; the service keeps them with the return.

        Raises:
            Rejected: A rule refused it; ``code`` is the eligibility code.
        """
        body: dict[str, object] = {
            "order_number": order_number,
            "items": [dict(line) for line in items],
            "reason": reason,
        }
        if description:
            body["description"] = description
        if evidence:
            body["evidence"] = list(evidence)
        result = await self.post(
            f"{self._customer(customer_id)}/returns",
            body,
            headers={"Idempotency-Key": idempotency_key},
        )
        return cast(Return, result)

    async def list_returns(self, customer_id: str, limit: int = 10) -> list[Return]:
        """Return the customer's most recent returns, newest first."""
        body = await self.get(
            f"{self._customer(customer_id)}/returns", {"limit": str(limit)}
        )
        return cast(list[Return], body["returns"])

    async def get_return(self, customer_id: str, rma_number: str) -> Return:
        """Return one of the customer's returns (NotFound ``return_not_found``)."""
        path = f"{self._customer(customer_id)}/returns/{segment(rma_number)}"
        return cast(Return, await self.get(path))
