"""Warranty: register a serial number from the shopper's orders; answer coverage."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.clients.errors import BackendError, NotFound, Rejected
from actions.clients.payloads import SerialSale
from actions.common import (
    BACKEND_DOWN,
    FLOW_STOP,
    apologise_for_backend,
    chinese_date,
    crm_client,
    orders_client,
)
from actions.contract import (
    MAX_FORMAT_FAILURES,
    ShopperAction,
    ShopperFormValidation,
)
from actions.satisfaction import AsksForRating
from bot.platform.serial_numbers import normalize_serial_number


def purchase_date(sale: SerialSale) -> str:
    """The purchase date a warranty starts from: paid date, else delivery date."""
    return (sale["purchase_date"] or sale["delivered_at"] or "")[:10]


class ValidateWarrantyForm(ShopperFormValidation):
    """Warranty registration form: identity, then a serial from their orders."""

    flow_slots = ("serial_number",)
    format_hints: ClassVar[Mapping[str, str]] = {
        "serial_number": "utter_serial_format_hint"
    }

    def name(self) -> str:
        """Name of the action."""
        return "validate_warranty_form"

    async def validate_serial_number(
        self,
        value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, Any]:
        """Check the format, then that it was sold on one of the shopper's orders.

        While the shopper is unknown (a serial given with the request or from
        a warranty-card QR code) only the format is checked here; the orders
        are checked once they are verified (``identity_verified``).
        """
        serial = normalize_serial_number(str(value))
        if serial is None:
            failures = int(tracker.get_slot("validation_failures") or 0) + 1
            if failures >= MAX_FORMAT_FAILURES:
                dispatcher.utter_message(response="utter_offer_handoff_after_retries")
                return {
                    "serial_number": None,
                    "validation_failures": 0,
                    FLOW_STOP: "format",
                }
            dispatcher.utter_message(response="utter_serial_format_hint")
            return {"serial_number": None, "validation_failures": failures}
        customer_id = tracker.get_slot("customer_id")
        if not customer_id:
            return {"serial_number": serial, "validation_failures": 0}
        return await self._sold_to(customer_id, serial, dispatcher)

    async def identity_verified(
        self, customer_id: str, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> dict[str, Any]:
        """Check a serial number given before the shopper was known."""
        serial = normalize_serial_number(tracker.get_slot("serial_number"))
        if serial is None:
            return {}
        return await self._sold_to(customer_id, serial, dispatcher)

    @staticmethod
    async def _sold_to(
        customer_id: str, serial: str, dispatcher: CollectingDispatcher
    ) -> dict[str, Any]:
        """Keep the serial if it was sold on one of the customer's orders."""
        try:
            await orders_client().find_serial(customer_id, serial)
        except NotFound:
            dispatcher.utter_message(
                response="utter_serial_not_in_orders", serial=serial
            )
            return {"serial_number": None}
        except BackendError as error:
            apologise_for_backend(dispatcher, error)
            return {"serial_number": None, FLOW_STOP: BACKEND_DOWN}
        return {"serial_number": serial, "validation_failures": 0}


class ActionRegisterWarranty(AsksForRating, ShopperAction):
    """Register the serial number with the CRM and give the warranty end date."""

    flow_slots = ("serial_number",)

    def name(self) -> str:
        """Name of the action."""
        return "action_register_warranty"

    async def answer(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, customer_id: str
    ) -> str | None:
        """Register (idempotent for the same shopper) and reply."""
        serial = tracker.get_slot("serial_number")
        if not serial:
            return None
        sale = await orders_client().find_serial(customer_id, serial)
        try:
            warranty = await crm_client().register_warranty(
                customer_id,
                serial_number=serial,
                sku=sale["sku"],
                product_name=sale["product_name"],
                purchase_date=(sale["purchase_date"] or sale["delivered_at"] or "")[
                    :10
                ],
                standard_months=sale["warranty_months"],
                order_number=sale["order_number"],
            )
        except Rejected as rejection:
            dispatcher.utter_message(
                response=(
                    "utter_serial_registered_elsewhere"
                    if rejection.code == "serial_already_registered"
                    else "utter_warranty_not_registered"
                )
            )
            return None
        dispatcher.utter_message(
            response="utter_warranty_registered",
            product=warranty["product_name"],
            serial=serial,
            end_date=chinese_date(warranty["end_date"]),
        )
        if warranty["extended_months"]:
            dispatcher.utter_message(
                response="utter_warranty_extended",
                months=warranty["extended_months"],
                standard_end=chinese_date(warranty["standard_end_date"]),
            )
        return "warranty_registered"


class ValidateWarrantyStatusForm(ShopperFormValidation):
    """Warranty-status form: only identity is needed."""

    def name(self) -> str:
        """Name of the action."""
        return "validate_warranty_status_form"


class ActionCheckWarranty(AsksForRating, ShopperAction):
    """Answer "is my X still under warranty" and "how long is the warranty"."""

    flow_slots = ("serial_number",)

    def name(self) -> str:
        """Name of the action."""
        return "action_check_warranty"

    async def answer(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, customer_id: str
    ) -> str | None:
        """List the shopper's registered warranties, narrowed to what they named."""
        warranties = await crm_client().warranties_of(customer_id)
        serial = tracker.get_slot("serial_number")
        category = next(tracker.get_latest_entity_values("product_category"), None)
        if serial:
            warranties = [w for w in warranties if w["serial_number"] == serial]
        elif category:
            named = [w for w in warranties if category in w["product_name"]]
            warranties = named or warranties
        if not warranties:
            dispatcher.utter_message(response="utter_no_warranties")
            return None
        for warranty in warranties[:3]:
            dispatcher.utter_message(
                response=(
                    "utter_warranty_active"
                    if warranty["status"] == "active"
                    else "utter_warranty_expired"
                ),
                product=warranty["product_name"],
                serial=warranty["serial_number"],
                end_date=chinese_date(warranty["end_date"]),
                days=warranty["days_remaining"],
            )
        return "warranty_checked"
