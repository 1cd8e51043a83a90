"""The final action of a flow: answers a known shopper whose flow was not stopped.

A flow that got the shopper what they came for returns an outcome (e.g.
``return_created``): it is kept as the ``flow_outcome`` slot event, which the
analytics count, and the first resolved flow of a session asks for a 满意度
rating (``utter_ask_satisfaction``; actions/satisfaction.py keeps it).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import ClassVar

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.binding import verified_customer
from actions.clients.errors import BackendError
from actions.common import FLOW_STOP, apologise_for_backend, flow_done
from actions.satisfaction import RATING_BUTTONS

FLOW_OUTCOME = "flow_outcome"


class ShopperAction(Action, ABC):
    """Run ``answer`` for an identified shopper, then end the flow.

    Nothing is answered when the form ended early (``flow_stop`` set: the shopper
    has been told why) or the shopper is unknown, and nothing of a customer the
    conversation's identity is no longer bound to (``actions/binding.py``: the
    slot is forgotten and the shopper asked to verify again). A backend failure gets the
    Chinese apology with an offer of a person. Either way the flow's slots
    (``flow_slots``) and bookkeeping are cleared. Subclasses implement ``name``
    and ``answer``; both are abstract, so rasa_sdk does not register this class.
    """

    flow_slots: ClassVar[tuple[str, ...]] = ()
    #: Answers that already ask the shopper something (no rating question then).
    asks_shopper: ClassVar[frozenset[str]] = frozenset()

    @abstractmethod
    def name(self) -> str:
        """Name of the action."""

    @abstractmethod
    async def answer(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, customer_id: str
    ) -> str | None:
        """Answer the shopper (may raise ``BackendError``).

        Args:
            dispatcher: Where replies go.
            tracker: The conversation.
            customer_id: The identified shopper.

        Returns:
            The outcome when the shopper got what they came for (e.g.
            ``return_created``), else ``None``.
        """

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Answer if the flow got this far, and clear the flow's slots."""
        outcome = None
        forget: list[EventType] = []
        if tracker.get_slot("customer_id") and not tracker.get_slot(FLOW_STOP):
            try:
                customer_id = await verified_customer(tracker)
                if customer_id is None:
                    dispatcher.utter_message(response="utter_identity_reverify")
                    forget = [SlotSet("customer_id", None)]
                else:
                    outcome = await self.answer(dispatcher, tracker, customer_id)
            except BackendError as error:
                apologise_for_backend(dispatcher, error)
        if outcome is None:
            return [*forget, *flow_done(*self.flow_slots)]
        if self._may_ask_rating(dispatcher, tracker):
            dispatcher.utter_message(
                response="utter_ask_satisfaction", buttons=RATING_BUTTONS
            )
        return [SlotSet(FLOW_OUTCOME, outcome), *flow_done(*self.flow_slots)]

    def _may_ask_rating(
        self, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> bool:
        """Ask once per session, and not on top of another question."""
        answered = {message.get("response") for message in dispatcher.messages}
        if answered & self.asks_shopper:
            return False
        # A new session starts with the slots carried over from the last one
        # (domain: carry_over_slots_to_new_session), so an outcome counts only
        # when the shopper wrote something before it in this session.
        outcome_seen = False
        for event in reversed(tracker.events):
            kind = event.get("event")
            if kind == "session_started":
                return True
            if kind == "slot" and event.get("name") == FLOW_OUTCOME:
                outcome_seen = True
            elif kind == "user" and outcome_seen:
                return False
        return True
