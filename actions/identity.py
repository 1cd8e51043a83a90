"""Identity first: every flow form knows the shopper before it asks anything else.

A shopper is known by their channel identity (the conversation id names it:
``wechat:<openid>``, ``web:<id>``, ``rest:<id>``). If the CRM has no customer
bound to it, the form asks for the phone number and one of
the shopper's order numbers, verifies them with the CRM, binds the identity and
then goes on with the flow's own slots. :class:`IdentityFirst` holds these
questions and checks; every flow's form has them through the contract's
``ShopperFormValidation`` (``actions/contract.py``).
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any, ClassVar

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.binding import (
    bound_customer,
    channel_identity,
    remember_binding,
    verified_customer,
)
from actions.clients.errors import BackendError, BackendUnavailable, NotFound, Rejected
from actions.common import (
    BACKEND_DOWN,
    FLOW_STOP,
    apologise_for_backend,
    crm_client,
    latest_text,
    orders_client,
)

logger = logging.getLogger(__name__)

IDENTITY_SLOTS = ("phone", "order_id", "customer_id")
# "Not that one, the other order" without saying which.
ANOTHER_ORDER = re.compile(
    r"(另一|别的|其他|其它|换一?个|另外)(个|一)?(订单|单子|单)|不是(这|那)(个|一)?(订单|单)"
)
MAX_VERIFICATION_FAILURES = 2
#: What to say when an answer to an identity question has no recognisable value.
IDENTITY_FORMAT_HINTS = {
    "phone": "utter_phone_format_hint",
    "order_id": "utter_order_format_hint",
}


class IdentityFirst:
    """The identity questions of a flow's form and their checks (a mixin).

    Mixed into the contract's ``ShopperFormValidation``, which provides
    ``flow_slots`` and ``order_selected()`` and documents what the domain needs.
    """

    flow_slots: ClassVar[tuple[str, ...]]

    if TYPE_CHECKING:

        async def order_selected(
            self, order_id: str, tracker: Tracker
        ) -> dict[str, Any]:
            """Slots the flow fills once the order is known (the contract's)."""

        async def identity_verified(
            self, customer_id: str, dispatcher: CollectingDispatcher, tracker: Tracker
        ) -> dict[str, Any]:
            """Slots the flow changes once the shopper is verified (the contract's)."""

    @staticmethod
    async def _forget_unbound_customer(tracker: Tracker) -> list[EventType]:
        """Forget a verified customer the conversation's identity is no longer bound to.

        The form then looks the identity up again (or asks to verify), so
        nothing of the old customer is shown (``tracker`` is changed to match).
        """
        if not tracker.get_slot("customer_id") or await verified_customer(tracker):
            return []
        logger.info("customer binding of this conversation changed: forgotten")
        for slot in IDENTITY_SLOTS:
            tracker.slots[slot] = None
        return [SlotSet(slot, None) for slot in IDENTITY_SLOTS]

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        """Identity slots while the shopper is unknown, then the flow's slots.

        Once a flow is stopped only ``flow_stop`` is required (and filled), so
        the form ends and the slot reaches the flow's final action.
        """
        if tracker.get_slot(FLOW_STOP):
            return [FLOW_STOP]
        if tracker.get_slot("customer_id"):
            return ["customer_id", *self.flow_slots]
        rest = [slot for slot in self.flow_slots if slot not in IDENTITY_SLOTS]
        return ["phone", "order_id", "customer_id", *rest]

    async def extract_customer_id(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Look the shopper's channel identity up in the CRM (once, then cached)."""
        if tracker.get_slot("customer_id"):
            return {}
        try:
            customer_id = await bound_customer(tracker)
        except BackendError as error:
            apologise_for_backend(dispatcher, error)
            return {FLOW_STOP: BACKEND_DOWN}
        return {"customer_id": customer_id} if customer_id else {}

    async def extract_order_id(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Forget the order when the shopper says it was another one (not which)."""
        if wants_another_order(tracker) and "order_id" in self.flow_slots:
            return {"order_id": None}
        return {}

    async def validate_phone(
        self,
        value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, Any]:
        """Accept the phone number and bind the identity if the order is known."""
        if tracker.get_slot("customer_id"):
            return {"phone": value}
        order_id = tracker.get_slot("order_id")
        if not order_id:
            return {"phone": value}
        return await self._bind(str(value), str(order_id), dispatcher, tracker)

    async def validate_order_id(
        self,
        value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, Any]:
        """Check the order is the shopper's; while unknown, use it to verify them."""
        if value is None:
            return {"order_id": None}
        order_id = str(value).upper()
        customer_id = tracker.get_slot("customer_id")
        if not customer_id:
            if "phone" in tracker.slots_to_validate():
                # Given together with the phone, whose validation has already
                # tried the binding: keep what that decided.
                return {"order_id": tracker.get_slot("order_id")}
            phone = tracker.get_slot("phone")
            if not phone:
                return {"order_id": order_id}
            return await self._bind(str(phone), order_id, dispatcher, tracker)
        try:
            await orders_client().get_order(customer_id, order_id)
        except NotFound:
            # Someone else's order and a mistyped one look the same: no details.
            dispatcher.utter_message(
                response="utter_order_not_found", order_id=order_id
            )
            return {"order_id": None}
        except BackendError as error:
            apologise_for_backend(dispatcher, error)
            return {"order_id": None, FLOW_STOP: BACKEND_DOWN}
        return {"order_id": order_id, **await self.order_selected(order_id, tracker)}

    async def validate_flow_stop(
        self,
        value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, Any]:
        """Keep the reason the flow stopped (the final action reads it).

        While the shopper is unknown, their unverified phone and order number
        go too: left filled, they would skip the identity questions (and leave
        the shopper without an answer) when a flow starts again.
        """
        if tracker.get_slot("customer_id"):
            return {FLOW_STOP: value}
        return {FLOW_STOP: value, "phone": None, "order_id": None}

    async def validate_customer_id(
        self,
        value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, Any]:
        """Keep the customer id the CRM gave."""
        return {"customer_id": value}

    async def _bind(
        self,
        phone: str,
        order_id: str,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
    ) -> dict[str, Any]:
        identity = channel_identity(tracker)
        try:
            customer = await crm_client().bind_identity(
                identity.channel, identity.local_id, phone, order_id
            )
        except Rejected as rejection:
            logger.info("identity verification refused: %s", rejection.code)
            failures = int(tracker.get_slot("verification_failures") or 0) + 1
            if failures >= MAX_VERIFICATION_FAILURES:
                dispatcher.utter_message(response="utter_identity_failed")
                return {
                    "phone": None,
                    "order_id": None,
                    "verification_failures": 0,
                    FLOW_STOP: "identity_failed",
                }
            dispatcher.utter_message(response="utter_identity_mismatch")
            return {"phone": None, "order_id": None, "verification_failures": failures}
        except (BackendUnavailable, NotFound) as error:
            apologise_for_backend(dispatcher, error)
            return {"phone": None, "order_id": None, FLOW_STOP: BACKEND_DOWN}
        remember_binding(tracker, customer["customer_id"])
        dispatcher.utter_message(response="utter_identity_verified")
        # The order used for verification is the shopper's; flows may use it.
        return {
            "phone": phone,
            "order_id": order_id if "order_id" in self.flow_slots else None,
            "customer_id": customer["customer_id"],
            "verification_failures": 0,
            **await self.identity_verified(
                customer["customer_id"], dispatcher, tracker
            ),
        }


def wants_another_order(tracker: Tracker) -> bool:
    """Whether the shopper corrects the order without naming the new one.

    Args:
        tracker: The conversation.

    Returns:
        ``True`` for 不对，是另一个订单 while an order is chosen and no order
        number came with the message.
    """
    return bool(
        tracker.get_slot("order_id")
        and not list(tracker.get_latest_entity_values("order_id"))
        and ANOTHER_ORDER.search(latest_text(tracker))
    )
