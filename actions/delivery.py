"""Delivery tracking: which order, then carrier, tracking number, events and ETA."""

from __future__ import annotations

import logging
import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.binding import channel_identity, verified_customer
from actions.clients.errors import BackendError, NotFound
from actions.clients.payloads import ShipmentWithEvents
from actions.common import (
    FLOW_STOP,
    apologise_for_backend,
    chinese_date,
    chinese_time,
    latest_text,
    orders_client,
)
from actions.contract import ShopperAction, ShopperFormValidation
from actions.satisfaction import AsksForRating

logger = logging.getLogger(__name__)

RECENT_ORDERS = 5
EVENTS_SHOWN = 3
STATUS_NAMES = {
    "unpaid": "待付款",
    "paid": "待发货",
    "shipped": "运输中",
    "delivered": "已签收",
    "returned": "已退货",
    "cancelled": "已取消",
}
# "It says delivered but I never got it."
_NOT_RECEIVED = re.compile(r"(没|未|木)(有)?(收到|拿到|到手)|不见了|丢了")


class ValidateDeliveryForm(ShopperFormValidation):
    """Delivery form: identity, then which order."""

    flow_slots = ("order_id",)

    def name(self) -> str:
        """Name of the action."""
        return "validate_delivery_form"


class ActionAskOrderId(Action):
    """Ask which order: a numbered choice of recent orders once the shopper is known."""

    def name(self) -> str:
        """Name of the action."""
        return "action_ask_order_id"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """List the shopper's recent orders as buttons, or ask to verify."""
        try:
            customer_id = await verified_customer(tracker)
            if not customer_id:
                dispatcher.utter_message(response="utter_ask_verification_order")
                return []
            orders = await orders_client().list_orders(customer_id, limit=RECENT_ORDERS)
        except BackendError as error:
            apologise_for_backend(dispatcher, error)
            return [SlotSet(FLOW_STOP, "backend_unavailable")]
        orders = [order for order in orders if order["status"] != "cancelled"]
        if not orders:
            dispatcher.utter_message(response="utter_no_recent_orders")
            return []
        buttons = [
            {
                "title": (
                    f"{order['order_number']} "
                    f"{order['items'][0]['product_name'] if order['items'] else ''}"
                    f"（{STATUS_NAMES.get(order['status'], order['status'])}）"
                ),
                "payload": f'/inform{{"order_id": "{order["order_number"]}"}}',
            }
            for order in orders
        ]
        dispatcher.utter_message(response="utter_choose_order", buttons=buttons)
        return []


class ActionTrackDelivery(AsksForRating, ShopperAction):
    """Answer where the order is, once the delivery form has the order."""

    flow_slots = ("order_id",)
    asks_shopper = frozenset({"utter_signed_not_received"})

    def name(self) -> str:
        """Name of the action."""
        return "action_track_delivery"

    async def answer(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, customer_id: str
    ) -> str | None:
        """Report the order's delivery state in Chinese."""
        order_id = tracker.get_slot("order_id")
        if not order_id:
            return None
        try:
            shipments = await orders_client().get_shipments(customer_id, order_id)
        except NotFound:
            dispatcher.utter_message(
                response="utter_order_not_found", order_id=order_id
            )
            return None
        status = shipments["order_status"]
        if status == "paid":
            await record_urge(customer_id, order_id, tracker)
        if status in ("unpaid", "paid", "cancelled", "returned"):
            dispatcher.utter_message(
                response=f"utter_order_{status}", order_id=order_id
            )
            return "delivery_tracked"
        for shipment in shipments["shipments"][:2]:
            dispatcher.utter_message(
                response="utter_delivery_status", **describe(order_id, shipment)
            )
        if status == "delivered" and _NOT_RECEIVED.search(latest_text(tracker)):
            dispatcher.utter_message(response="utter_signed_not_received")
        return "delivery_tracked"


async def record_urge(customer_id: str, order_id: str, tracker: Tracker) -> None:
    """Record the shopper's urge (催发货) on a paid order that has not shipped.

    The shopper's answer matters more than the bookkeeping: a failure is logged
    and the conversation goes on as if it had been recorded.

    Args:
        customer_id: The shopper.
        order_id: Their paid order.
        tracker: The conversation (tells the channel they asked on).
    """
    try:
        summary = await orders_client().record_urge(
            customer_id, order_id, channel_identity(tracker).channel
        )
    except BackendError as error:
        logger.warning("urge on order %s not recorded: %s", order_id, error)
        return None
    logger.info(
        "order %s urged to ship, %d time(s) so far",
        summary["order_number"],
        summary["urge_count"],
    )


def describe(order_id: str, shipment: ShipmentWithEvents) -> dict[str, Any]:
    """Template values for ``utter_delivery_status`` from one shipment.

    Args:
        order_id: The order.
        shipment: One shipment with its tracking events (newest first).

    Returns:
        ``order_id``, ``carrier``, ``tracking_number``, ``events`` (one line per
        event) and ``eta`` (the delivery or estimated delivery sentence).
    """
    events = "\n".join(
        f"· {chinese_time(event['time'])} {event['location']} {event['status_text']}"
        for event in shipment["events"][:EVENTS_SHOWN]
    )
    if shipment.get("delivered_at"):
        eta = f"已于{chinese_date(shipment['delivered_at'])}签收。"
    elif shipment.get("estimated_delivery"):
        eta = f"预计{chinese_date(shipment['estimated_delivery'])}送达。"
    else:
        eta = ""
    return {
        "order_id": order_id,
        "carrier": shipment["carrier_name"],
        "tracking_number": shipment["tracking_number"],
        "events": events or "· 暂无物流轨迹",
        "eta": eta,
    }
