"""Clean up after a flow the shopper stopped (算了 / 不用了)."""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import FLOW_BOOKKEEPING

# Slots that belong to the shopper, not to one flow: they survive a stop.
KEPT = frozenset({"customer_id"})
# Filled by flows but not required by any form.
EXTRA_FLOW_SLOTS = ("refund_estimate", "tier")


def flow_slots(domain: DomainDict) -> list[str]:
    """Every slot a flow may have filled: all forms' slots plus bookkeeping.

    Read from the domain, so a form added later (``python -m bot.scaffold``)
    is covered without changing this action.
    """
    names: list[str] = []
    for form in (domain.get("forms") or {}).values():
        names.extend(form.get("required_slots") or [])
    names.extend(["phone", *EXTRA_FLOW_SLOTS, *FLOW_BOOKKEEPING])
    return [slot for slot in dict.fromkeys(names) if slot not in KEPT]


class ActionResetFlow(Action):
    """Forget what a stopped flow collected (the shopper's identity stays)."""

    def name(self) -> str:
        """Name of the action."""
        return "action_reset_flow"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Unset the flow slots."""
        return [SlotSet(slot, None) for slot in flow_slots(domain)]
