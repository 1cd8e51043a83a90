"""Returns and refunds: order, item, reason, eligibility, photo, confirmation, RMA."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any, ClassVar

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.clients.errors import BackendError, Rejected
from actions.clients.payloads import OrderItem, ReturnReason
from actions.common import (
    FLOW_STOP,
    apologise_for_backend,
    chinese_date,
    orders_client,
    yuan,
)
from actions.contract import ShopperAction, ShopperFormValidation
from actions.identity import wants_another_order
from actions.satisfaction import AsksForRating
from bot.platform.media_store import is_media_ref

# The shopper's reasons (return_reason slot values) → the order service's.
REASONS: dict[str, ReturnReason] = {
    "七天无理由": "no_reason",
    "质量问题": "quality_issue",
    "发错货": "wrong_item",
    "少件": "wrong_item",
    "其他": "no_reason",
}
STATUS_NAMES = {
    "requested": "已提交，等待审核",
    "approved": "审核通过，请按说明寄回商品",
    "received": "商品已收到，正在为您退款",
    "refunded": "已退款",
    "rejected": "未通过审核",
}
RETURN_SLOTS = (
    "order_id",
    "item",
    "return_reason",
    "return_photo",
    "return_confirmed",
)
#: Reasons a photo helps the after-sales team judge (a photo is asked for).
PHOTO_REASONS = frozenset({"质量问题", "发错货", "少件"})
#: ``return_photo`` when the shopper passes on the photo (跳过).
PHOTO_SKIPPED = "skipped"
# What the order service needs to judge a return (and estimate its refund).
ELIGIBILITY_INPUTS = ("customer_id", "order_id", "item", "return_reason")
REFUSAL_CODES = frozenset(
    {
        "order_not_delivered",
        "category_excluded",
        "return_window_expired",
        "already_returned",
        "quantity_exceeded",
    }
)


def refusal_response(code: str) -> str:
    """The response explaining a refused return, in plain Chinese."""
    if code in REFUSAL_CODES:
        return f"utter_return_refused_{code}"
    return "utter_return_not_created"


def match_item(items: list[OrderItem], said: str) -> OrderItem | None:
    """Find the order line the shopper means: SKU, product name or category.

    Args:
        items: The order's lines.
        said: A SKU (from a button), a category (耳机) or free text.

    Returns:
        The single matching line, or ``None`` if none or several match.
    """
    said = said.strip()
    for item in items:
        if item["sku"].lower() == said.lower():
            return item
    matches = [
        item
        for item in items
        if said
        and (
            said in item["product_name"]
            or item["product_name"] in said
            or said in item["category"]
            or item["category"] in said
        )
    ]
    return matches[0] if len(matches) == 1 else None


class ValidateReturnForm(ShopperFormValidation):
    """Return form: identity, order, item, reason (eligibility checked), confirm."""

    flow_slots = RETURN_SLOTS
    format_hints: ClassVar[Mapping[str, str]] = {
        "return_photo": "utter_return_photo_hint"
    }

    def name(self) -> str:
        """Name of the action."""
        return "validate_return_form"

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        """The photo only for a reason a photo shows (质量问题, 发错货, 少件)."""
        slots = await super().required_slots(domain_slots, dispatcher, tracker, domain)
        if tracker.get_slot("return_reason") in PHOTO_REASONS:
            return slots
        return [slot for slot in slots if slot != "return_photo"]

    async def validate_return_photo(
        self,
        value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, Any]:
        """Keep a stored picture's reference, or the shopper's 跳过."""
        if value == PHOTO_SKIPPED or is_media_ref(value):
            return {"return_photo": value}
        dispatcher.utter_message(response="utter_return_photo_hint")
        return {"return_photo": None}

    async def order_selected(self, order_id: str, tracker: Tracker) -> dict[str, Any]:
        """Pick the item of a single-line order; forget an item of another order.

        The shopper may correct the order mid-form (不对，是 XK… 那单); an item
        chosen for the previous order must not carry over.
        """
        customer_id = tracker.get_slot("customer_id")
        order = await orders_client().get_order(customer_id, order_id)
        skus = [line["sku"] for line in order["items"]]
        if len(skus) == 1:
            return {"item": skus[0]}
        if tracker.get_slot("item") in skus:
            return {}
        return {"item": None, "return_confirmed": None}

    async def validate_item(
        self,
        value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, Any]:
        """Resolve what the shopper said to one line of the order."""
        if wants_another_order(tracker):
            return {"item": None}  # the order is asked again first
        customer_id = tracker.get_slot("customer_id")
        order_id = tracker.get_slot("order_id")
        if not customer_id or not order_id:
            return {"item": None}
        try:
            order = await orders_client().get_order(customer_id, order_id)
        except BackendError as error:
            apologise_for_backend(dispatcher, error)
            return {"item": None, FLOW_STOP: "backend_unavailable"}
        item = match_item(order["items"], str(value))
        if item is None:
            dispatcher.utter_message(response="utter_item_not_found")
            return {"item": None}
        return {"item": item["sku"]}

    async def validate_return_reason(
        self,
        value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, Any]:
        """Keep a reason the order service knows; ask again for any other."""
        if str(value) not in REASONS:
            dispatcher.utter_message(response="utter_ask_return_reason")
            return {"return_reason": None}
        return {"return_reason": value}

    async def get_validation_events(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[EventType]:
        """Validate slot by slot, then check eligibility once the return is known.

        The reason often comes first (耳机坏了想退 fills it with the opening
        message, before the shopper or the order is known), the order or the
        item last; so the check runs whenever one of them changed and all are
        known, whichever came last. It gives the confirmation its refund.
        """
        events = await super().get_validation_events(dispatcher, tracker, domain)
        changed = {event["name"] for event in events}
        if not changed.intersection(ELIGIBILITY_INPUTS) or tracker.get_slot(FLOW_STOP):
            return events
        reason = REASONS.get(str(tracker.get_slot("return_reason")))
        if reason is None or any(
            tracker.get_slot(slot) is None for slot in ELIGIBILITY_INPUTS
        ):
            # Not all known (yet, or again): no estimate of another return.
            verdict: dict[str, Any] = {"refund_estimate": None}
        else:
            verdict = await self._check_eligibility(dispatcher, tracker, reason)
        if verdict.get("refund_estimate") == tracker.get_slot("refund_estimate"):
            verdict.pop("refund_estimate", None)  # unchanged: no event
        slots = {event["name"]: event["value"] for event in events}
        slots.update(verdict)
        tracker.slots.update(verdict)
        return [SlotSet(slot, value) for slot, value in slots.items()]

    async def _check_eligibility(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, reason: ReturnReason
    ) -> dict[str, Any]:
        """Ask the order service; the refund estimate, or the refusal explained."""
        try:
            eligibility = await orders_client().check_return_eligibility(
                tracker.get_slot("customer_id"),
                tracker.get_slot("order_id"),
                tracker.get_slot("item"),
                reason,
            )
        except BackendError as error:
            apologise_for_backend(dispatcher, error)
            return {
                "return_reason": None,
                "refund_estimate": None,
                FLOW_STOP: "backend_unavailable",
            }
        if not eligibility["eligible"]:
            dispatcher.utter_message(
                response=refusal_response(eligibility["code"]),
                deadline=chinese_date(eligibility.get("deadline")),
            )
            return {
                "return_reason": None,
                "refund_estimate": None,
                FLOW_STOP: "return_refused",
            }
        return {"refund_estimate": yuan(eligibility["refund_fen"])}


class ActionAskItem(Action):
    """Ask which item of the order, with the order's lines as buttons."""

    def name(self) -> str:
        """Name of the action."""
        return "action_ask_item"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """List the order's lines."""
        try:
            order = await orders_client().get_order(
                tracker.get_slot("customer_id"), tracker.get_slot("order_id")
            )
        except BackendError as error:
            apologise_for_backend(dispatcher, error)
            return [SlotSet(FLOW_STOP, "backend_unavailable")]
        buttons = [
            {
                "title": f"{item['product_name']} ×{item['quantity']}",
                "payload": f'/inform{{"item": "{item["sku"]}"}}',
            }
            for item in order["items"]
        ]
        dispatcher.utter_message(response="utter_ask_item", buttons=buttons)
        return []


class ActionAskReturnConfirmed(Action):
    """Sum the return up and ask the shopper to confirm it."""

    def name(self) -> str:
        """Name of the action."""
        return "action_ask_return_confirmed"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Ask for confirmation with 确认/取消 buttons."""
        dispatcher.utter_message(
            response="utter_ask_return_confirmed",
            order_id=tracker.get_slot("order_id"),
            item=tracker.get_slot("item"),
            return_reason=tracker.get_slot("return_reason"),
            refund=tracker.get_slot("refund_estimate") or "",
        )
        return []


def idempotency_key(tracker: Tracker) -> str:
    """One key per confirmed return request: the same turn gives the same key.

    Built from the conversation, the return's details and the time of the
    shopper's confirming message, so a retried action (or a retried webhook
    delivering the same turn) cannot create a second return.
    """
    user_turns = [e for e in tracker.events if e.get("event") == "user"]
    turn = user_turns[-1].get("timestamp") if user_turns else ""
    parts = [
        tracker.sender_id,
        str(tracker.get_slot("order_id")),
        str(tracker.get_slot("item")),
        str(tracker.get_slot("return_reason")),
        str(turn),
    ]
    digest = hashlib.sha256("|".join(parts).encode()).hexdigest()
    return f"xiaoke-{digest[:32]}"


class ActionSubmitReturn(AsksForRating, ShopperAction):
    """Create the confirmed return and tell the shopper how to send it back."""

    flow_slots = (*RETURN_SLOTS, "refund_estimate")

    def name(self) -> str:
        """Name of the action."""
        return "action_submit_return"

    async def answer(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, customer_id: str
    ) -> str | None:
        """Create the return (idempotently) and reply with the RMA."""
        if not tracker.get_slot("return_confirmed"):
            dispatcher.utter_message(response="utter_flow_stopped")
            return None
        photo = tracker.get_slot("return_photo")
        evidence = [photo] if is_media_ref(photo) else []
        try:
            created = await orders_client().create_return(
                customer_id,
                tracker.get_slot("order_id"),
                [{"sku": tracker.get_slot("item"), "quantity": 1}],
                REASONS[tracker.get_slot("return_reason")],
                idempotency_key=idempotency_key(tracker),
                evidence=evidence,
            )
        except Rejected as rejection:
            dispatcher.utter_message(
                response=refusal_response(rejection.code), deadline=""
            )
            return None
        dispatcher.utter_message(
            response="utter_return_created",
            rma=created["rma_number"],
            refund=yuan(created["refund_fen"]),
            address=created["return_address"],
            instructions=created["instructions"],
        )
        if created.get("evidence"):
            dispatcher.utter_message(response="utter_return_photo_received")
        return "return_created"


class ValidateReturnStatusForm(ShopperFormValidation):
    """Return-status form: only identity is needed."""

    def name(self) -> str:
        """Name of the action."""
        return "validate_return_status_form"


class ActionCheckReturnStatus(AsksForRating, ShopperAction):
    """Report the progress of the shopper's returns."""

    flow_slots = ("order_id",)

    def name(self) -> str:
        """Name of the action."""
        return "action_check_return_status"

    async def answer(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, customer_id: str
    ) -> str | None:
        """List the latest returns (or the ones for the order mentioned)."""
        returns = await orders_client().list_returns(customer_id, limit=5)
        order_id = tracker.get_slot("order_id")
        if order_id:
            returns = [r for r in returns if r["order_number"] == order_id]
        if not returns:
            dispatcher.utter_message(response="utter_no_returns")
            return None
        for entry in returns[:3]:
            dispatcher.utter_message(
                response="utter_return_status",
                rma=entry["rma_number"],
                order_id=entry["order_number"],
                status=STATUS_NAMES.get(entry["status"], entry["status"]),
                refund=yuan(entry["refund_fen"]),
            )
        return "return_status_checked"
