"""The final action of a flow: answers a known shopper whose flow was not stopped."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import ClassVar

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.clients.errors import BackendError
from actions.common import FLOW_STOP, apologise_for_backend, flow_done


class ShopperAction(Action, ABC):
    """Run ``answer`` for an identified shopper, then end the flow.

    Nothing is answered when the form ended early (``flow_stop`` set: the shopper
    has been told why) or the shopper is unknown. A backend failure gets the
    Chinese apology with an offer of a person. Either way the flow's slots
    (``flow_slots``) and bookkeeping are cleared. Subclasses implement ``name``
    and ``answer``; both are abstract, so rasa_sdk does not register this class.
    """

    flow_slots: ClassVar[tuple[str, ...]] = ()

    @abstractmethod
    def name(self) -> str:
        """Name of the action."""

    @abstractmethod
    async def answer(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, customer_id: str
    ) -> None:
        """Answer the shopper (may raise ``BackendError``).

        Args:
            dispatcher: Where replies go.
            tracker: The conversation.
            customer_id: The identified shopper.
        """

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Answer if the flow got this far, and clear the flow's slots."""
        customer_id = tracker.get_slot("customer_id")
        if customer_id and not tracker.get_slot(FLOW_STOP):
            try:
                await self.answer(dispatcher, tracker, customer_id)
            except BackendError as error:
                apologise_for_backend(dispatcher, error)
        return flow_done(*self.flow_slots)
