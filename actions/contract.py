"""The contract a flow implements: the base of its form's validation and final action.

A flow (``actions/delivery.py``, ``returns.py``, ``warranty.py``, ``loyalty.py``)
is a form, identity first and then the flow's own slots, and a final action that
answers once the form is done. Its module subclasses the two bases here and says
everything particular to the flow on the subclass: its slots, the hints for its
slots, what it answers, whether the 满意度 rating follows (a mixin the
satisfaction feature provides). So this module names no feature's slot and
imports no feature (``tests/unit/actions/test_contract.py`` checks).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import Any, ClassVar

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict

from actions.binding import verified_customer
from actions.clients.errors import BackendError
from actions.common import BACKEND_DOWN, FLOW_STOP, apologise_for_backend, flow_done
from actions.identity import IDENTITY_FORMAT_HINTS, IdentityFirst

#: The slot a final action sets to its outcome (the analytics count it).
FLOW_OUTCOME = "flow_outcome"
#: Malformed answers to one question before the shopper is offered a person.
MAX_FORMAT_FAILURES = 2


class ShopperFormValidation(IdentityFirst, FormValidationAction, ABC):
    """The validation of a flow's form: identity first, then ``flow_slots``.

    The identity questions and their checks come from
    :class:`actions.identity.IdentityFirst`. A subclass:

    - implements ``name()`` (``validate_<form>``); it is abstract here, so
      rasa_sdk does not register this base as an action;
    - sets ``flow_slots``, the flow's own slots in asking order;
    - sets ``format_hints`` for those of its slots whose answer can be
      malformed (slot → hint response); the identity slots' hints are added;
    - may implement ``validate_<slot>`` / ``extract_<slot>`` (rasa_sdk finds
      them by name), ``order_selected()`` and ``identity_verified()``.

    The domain needs the slots ``customer_id`` (custom mapping), ``phone``,
    ``order_id``, ``flow_stop``, ``verification_failures`` and
    ``validation_failures``, and the responses ``utter_identity_verified``,
    ``utter_identity_mismatch``, ``utter_identity_failed``,
    ``utter_order_not_found``, ``utter_backend_unavailable``,
    ``utter_offer_handoff_after_retries`` and every hint response.
    """

    flow_slots: ClassVar[tuple[str, ...]] = ()
    format_hints: ClassVar[Mapping[str, str]] = {}

    @abstractmethod
    def name(self) -> str:
        """Name of the validation action (``validate_<form>``)."""

    async def order_selected(self, order_id: str, tracker: Tracker) -> dict[str, Any]:
        """Hook: slots the flow fills once the shopper's order is known.

        Args:
            order_id: The order, checked to be the shopper's.
            tracker: The conversation.

        Returns:
            Slot values to set along with ``order_id`` (default none).
        """
        return {}

    async def identity_verified(
        self, customer_id: str, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> dict[str, Any]:
        """Hook: slots the flow changes once the shopper has just been verified.

        A flow slot given before the shopper was known (with the intent, or
        from a QR code) could not be checked against their orders then; this
        is where it is.

        Args:
            customer_id: The shopper, just verified and bound.
            dispatcher: Where replies go (after ``utter_identity_verified``).
            tracker: The conversation (``customer_id`` not yet set in it).

        Returns:
            Slot values to set along with the binding (default none).
        """
        return {}

    def format_hint(self, slot: str) -> str | None:
        """The response for an answer to ``slot`` with no recognisable value.

        Args:
            slot: The slot the form asked for.

        Returns:
            The flow's hint for it, else identity's, else ``None`` (no hint:
            the question is simply asked again).
        """
        return {**IDENTITY_FORMAT_HINTS, **self.format_hints}.get(slot)

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Validate as usual; a malformed answer gets a hint, twice a person.

        Only an ``inform`` that fills nothing counts: a side question or a new
        topic still leaves the form so other rules can answer it.
        """
        requested = tracker.get_slot("requested_slot")
        try:
            rebound = await self._forget_unbound_customer(tracker)
        except BackendError as error:
            apologise_for_backend(dispatcher, error)
            return [SlotSet(FLOW_STOP, BACKEND_DOWN), SlotSet("requested_slot", None)]
        events = [*rebound, *await super().run(dispatcher, tracker, domain)]
        hint = self.format_hint(str(requested)) if requested else None
        if hint is None or not self._is_malformed_answer(requested, tracker, events):
            return events
        failures = int(tracker.get_slot("validation_failures") or 0) + 1
        if failures >= MAX_FORMAT_FAILURES:
            dispatcher.utter_message(response="utter_offer_handoff_after_retries")
            return [
                *(e for e in events if e.get("name") != "requested_slot"),
                SlotSet("validation_failures", 0),
                SlotSet(FLOW_STOP, "format"),
                SlotSet("requested_slot", None),
            ]
        dispatcher.utter_message(response=hint)
        return [*events, SlotSet("validation_failures", failures)]

    @staticmethod
    def _is_malformed_answer(
        requested: Any, tracker: Tracker, events: list[EventType]
    ) -> bool:
        """Whether the shopper answered ``requested`` with nothing usable."""
        filled = any(
            event.get("event") == "slot" and event.get("name") != "requested_slot"
            for event in events
        )
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        return (
            intent == "inform"
            and not filled
            and not list(tracker.get_latest_entity_values(str(requested)))
        )


class ShopperAction(Action, ABC):
    """The final action of a flow: answer an identified shopper, then end the flow.

    Nothing is answered when the form ended early (``flow_stop`` set: the shopper
    has been told why) or the shopper is unknown, and nothing of a customer the
    conversation's identity is no longer bound to (``actions/binding.py``: the
    slot is forgotten and the shopper asked to verify again). A backend failure
    gets the Chinese apology with an offer of a person. Either way the flow's
    slots (``flow_slots``) and bookkeeping are cleared. An answer that got the
    shopper what they came for returns an outcome (e.g. ``return_created``): it
    is kept as the ``flow_outcome`` slot event, and ``after_outcome()`` runs.

    A subclass:

    - implements ``name()`` and ``answer()``; both are abstract here, so
      rasa_sdk does not register this base as an action;
    - sets ``flow_slots`` (cleared at the end) and ``asks_shopper``, the
      answers that already ask the shopper something;
    - may implement ``after_outcome()``, e.g. by mixing in
      :class:`actions.satisfaction.AsksForRating`.

    The domain needs the slot ``flow_outcome`` and the responses
    ``utter_identity_reverify`` and ``utter_backend_unavailable``.
    """

    flow_slots: ClassVar[tuple[str, ...]] = ()
    #: Answers that already ask the shopper something (``after_outcome`` may
    #: then keep its own question back).
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

    def after_outcome(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, outcome: str
    ) -> None:
        """Hook: runs after an answer that returned an outcome (default nothing).

        Args:
            dispatcher: Where replies go (the answer's are already there).
            tracker: The conversation.
            outcome: What ``answer()`` returned.
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
        self.after_outcome(dispatcher, tracker, outcome)
        return [SlotSet(FLOW_OUTCOME, outcome), *flow_done(*self.flow_slots)]
