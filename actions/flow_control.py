"""Clean up after a flow the shopper stopped (算了 / 不用了)."""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import FLOW_STOP

FLOW_SLOTS = (
    "order_id",
    "item",
    "return_reason",
    "return_confirmed",
    "refund_estimate",
    "serial_number",
    "phone",
    "validation_failures",
    FLOW_STOP,
)


class ActionResetFlow(Action):
    """Forget what a stopped flow collected (the shopper's identity stays)."""

    def name(self) -> str:
        """Name of the action."""
        return "action_reset_flow"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Unset the flow slots."""
        return [SlotSet(slot, None) for slot in FLOW_SLOTS]
