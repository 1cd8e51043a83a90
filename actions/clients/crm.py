"""Typed client of the CRM service (identities, loyalty, membership, warranties)."""

from __future__ import annotations

from typing import cast

from actions.clients.http import BackendClient, ClientSettings, segment
from actions.clients.payloads import (
    Customer,
    LedgerEntry,
    LoyaltySummary,
    Membership,
    OrderPoints,
    Redemption,
    RewardList,
    TierInfo,
    Warranty,
)


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

    async def tiers(self) -> list[TierInfo]:
        """Return every membership tier with its benefits, lowest first."""
        body = await self.get("/v1/tiers")
        return cast(list[TierInfo], body["tiers"])

    async def membership(self, customer_id: str) -> Membership:
        """Return the customer's tier, the next one and what the next one adds.

        Raises:
            NotFound: ``loyalty_account_not_found``.
        """
        path = f"/v1/customers/{segment(customer_id)}/membership"
        return cast(Membership, await self.get(path))

    async def rewards_for(self, customer_id: str) -> RewardList:
        """Return the rewards on offer today (cheapest first) and the balance.

        Out-of-stock rewards are listed with ``stock`` 0; ``affordable`` compares
        points only.

        Raises:
            NotFound: ``loyalty_account_not_found``.
        """
        path = f"/v1/customers/{segment(customer_id)}/rewards"
        return cast(RewardList, await self.get(path))

    async def redeem(
        self, customer_id: str, reward_id: str, idempotency_key: str
    ) -> Redemption:
        """Spend points on a reward; the same key again returns the same redemption.

        Sent once (a write); repeating it with the same key is safe, so a caller
        that lost the answer may send it again.

        Args:
            customer_id: The customer.
            reward_id: The reward, e.g. ``cpn-20``.
            idempotency_key: One per shopper intent (8-100 of ``A-Za-z0-9_.:-``);
                keep it in a slot so a repeated confirmation redeems once.

        Raises:
            Rejected: ``insufficient_points`` (``details`` has ``balance`` and
                ``needed``), ``reward_expired``, ``reward_out_of_stock``,
                ``idempotency_key_reused`` (409), or ``invalid_input`` (400).
            NotFound: ``reward_not_found`` or ``loyalty_account_not_found``.
        """
        body = {"reward_id": reward_id, "idempotency_key": idempotency_key}
        result = await self.post(
            f"/v1/customers/{segment(customer_id)}/redemptions", body
        )
        return cast(Redemption, result)

    async def order_points(self, customer_id: str, order_number: str) -> OrderPoints:
        """Return the points an order earned, used and has still to earn.

        Raises:
            NotFound: ``order_not_found`` (unknown or another customer's).
            BackendUnavailable: Also when the CRM cannot reach the order service.
        """
        path = (
            f"/v1/customers/{segment(customer_id)}"
            f"/orders/{segment(order_number)}/points"
        )
        return cast(OrderPoints, await self.get(path))

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
