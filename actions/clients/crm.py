"""Typed client of the CRM service (identities, loyalty, warranties)."""

from __future__ import annotations

from typing import cast

from actions.clients.http import BackendClient, ClientSettings, segment
from actions.clients.payloads import Customer, LedgerEntry, LoyaltySummary, Warranty


class CrmClient(BackendClient):
    """Calls the CRM service; every method raises the errors in ``errors``.

    Args:
        settings: Where the service is; read from the environment when omitted.
    """

    def __init__(self, settings: ClientSettings | None = None) -> None:
        settings = settings or ClientSettings.from_env()
        super().__init__("crm", settings.crm_url, settings)

    async def find_customer_by_identity(
        self, channel: str, external_id: str
    ) -> Customer:
        """Return the customer bound to a channel identity.

        Raises:
            NotFound: ``identity_not_bound`` - start the binding flow.
        """
        path = f"/v1/identities/{segment(channel)}/{segment(external_id)}"
        return cast(Customer, await self.get(path))

    async def bind_identity(
        self, channel: str, external_id: str, phone: str, order_number: str
    ) -> Customer:
        """Bind a channel identity after the shopper gave phone + an order number.

        Raises:
            Rejected: ``verification_failed`` or ``identity_already_bound``.
            BackendUnavailable: Also when the CRM cannot reach the order service.
        """
        body = {
            "channel": channel,
            "external_id": external_id,
            "phone": phone,
            "order_number": order_number,
        }
        return cast(Customer, await self.post("/v1/identities", body))

    async def get_customer(self, customer_id: str) -> Customer:
        """Return a customer."""
        return cast(Customer, await self.get(f"/v1/customers/{segment(customer_id)}"))

    async def loyalty_summary(
        self, customer_id: str, expiring_within_days: int = 30
    ) -> LoyaltySummary:
        """Return points balance, points expiring soon and tier progress."""
        body = await self.get(
            f"/v1/customers/{segment(customer_id)}/loyalty",
            {"expiring_within_days": str(expiring_within_days)},
        )
        return cast(LoyaltySummary, body)

    async def ledger(self, customer_id: str, limit: int = 20) -> list[LedgerEntry]:
        """Return the most recent points ledger entries."""
        body = await self.get(
            f"/v1/customers/{segment(customer_id)}/loyalty/ledger",
            {"limit": str(limit)},
        )
        return cast(list[LedgerEntry], body["entries"])

    async def register_warranty(
        self,
        customer_id: str,
        *,
        serial_number: str,
        sku: str,
        product_name: str,
        purchase_date: str,
        standard_months: int,
        extended_months: int = 0,
        order_number: str | None = None,
    ) -> Warranty:
        """Register a serial number; registering it again (same customer) is a no-op.

        Raises:
            Rejected: ``serial_already_registered`` to another customer.
        """
        body: dict[str, object] = {
            "serial_number": serial_number,
            "sku": sku,
            "product_name": product_name,
            "purchase_date": purchase_date,
            "standard_months": standard_months,
            "extended_months": extended_months,
        }
        if order_number:
            body["order_number"] = order_number
        result = await self.post(
            f"/v1/customers/{segment(customer_id)}/warranties", body
        )
        return cast(Warranty, result)

    async def warranty_by_serial(self, serial_number: str) -> Warranty:
        """Return the registration of a serial number.

        Raises:
            NotFound: ``warranty_not_registered``.
        """
        return cast(
            Warranty, await self.get(f"/v1/warranties/{segment(serial_number)}")
        )

    async def warranties_of(self, customer_id: str) -> list[Warranty]:
        """Return a customer's warranty registrations."""
        body = await self.get(f"/v1/customers/{segment(customer_id)}/warranties")
        return cast(list[Warranty], body["warranties"])
