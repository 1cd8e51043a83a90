"""Hand the conversation to a human agent: summary, queue, pause.

Every trigger ends in ``action_handoff``: the shopper asks (``human_handoff``),
accepts a person after a complaint, after two fallbacks in a row, after
"signed but not received", after a backend failure, after a product question
the catalogue does not answer (售前), or an action marks the
conversation as needing a person (:func:`request_handoff`).

An action that wants a person returns ``request_handoff(reason)``. Offers of a
person made inside custom actions (backend failure, signed but not received)
are recognised from the bot's last response, so the shopper's 转人工 or 好的
hands off with the right reason.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import (
    ConversationPaused,
    EventType,
    FollowupAction,
    SlotSet,
)
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.binding import channel_identity, verified_customer
from actions.clients.console import ConsoleClient, HandoffRequest, HandoffSummary
from actions.clients.errors import BackendError
from actions.common import FLOW_BOOKKEEPING, latest_text

logger = logging.getLogger(__name__)

ACTION_HANDOFF = "action_handoff"
#: Set by an action that wants a person now (any reason code or short text).
HANDOFF_REASON = "handoff_reason"

#: Reason code → what the agent reads.
REASONS: dict[str, str] = {
    "shopper_request": "顾客要求转人工",
    "complaint": "顾客投诉",
    "repeated_fallback": "连续两次没听懂顾客",
    "repeated_failures": "多次核实/校验失败",
    "backend_unavailable": "系统故障，顾客接受人工",
    "signed_not_received": "物流显示签收但顾客没收到",
    "developer": "流程标记需要人工",
    "presales_question": "售前问题，商品信息里没有写到",
}

#: The bot's last offer of a person (its ``utter_action``) → reason code.
OFFERS: dict[str, str] = {
    "utter_complain_apology": "complaint",
    "utter_offer_handoff": "repeated_fallback",
    "utter_offer_handoff_after_retries": "repeated_failures",
    "utter_backend_unavailable": "backend_unavailable",
    "utter_signed_not_received": "signed_not_received",
    "utter_product_info_missing": "presales_question",
}

#: Slots that are bookkeeping, not facts about the shopper.
_HIDDEN_SLOTS = frozenset(
    {
        *FLOW_BOOKKEEPING,
        HANDOFF_REASON,
        "requested_slot",
        "session_started_metadata",
        # What the last pre-sales question asked (actions/presales.py); the
        # agent reads the shopper's messages instead.
        "product_question",
    }
)
_ORDER_NUMBER = re.compile(r"XK\d{12}", re.IGNORECASE)
INTENT_HISTORY = 10
#: Parse-data key the NLU sets when an explicit request for a person overrode
#: the intent (``bot.rasa_server.nlu.person_override``): it keeps the intent
#: the rest of the message had.
PERSON_REQUEST = "person_request"
_NOT_A_QUESTION = frozenset({"", "nlu_fallback", "human_handoff"})


def request_handoff(reason: str) -> list[EventType]:
    """Events an action returns to hand the conversation to a person now.

    Args:
        reason: A code of :data:`REASONS` or a short text for the agent.

    Returns:
        ``SlotSet(handoff_reason)`` and ``FollowupAction(action_handoff)``.
    """
    return [SlotSet(HANDOFF_REASON, reason), FollowupAction(ACTION_HANDOFF)]


def _user_events(tracker: Tracker) -> list[dict[str, Any]]:
    return [event for event in tracker.events if event.get("event") == "user"]


def _last_offer(tracker: Tracker) -> str | None:
    """Reason code of the bot's offer of a person just before the latest message."""
    seen_latest_user = False
    for event in reversed(tracker.events):
        kind = event.get("event")
        if kind == "user":
            if seen_latest_user:
                return None
            seen_latest_user = True
        elif kind == "bot" and seen_latest_user:
            utter = (event.get("metadata") or {}).get("utter_action")
            if utter in OFFERS:
                return OFFERS[utter]
        elif kind == "action" and seen_latest_user:
            if event.get("name") in OFFERS:
                return OFFERS[event["name"]]
    return None


def handoff_reason(tracker: Tracker) -> str | None:
    """Why this conversation goes to a person (a code of :data:`REASONS` or text).

    A reason an action set wins; then the bot's offer of a person just before
    the shopper's message; else the shopper asked (``human_handoff``). An
    ``affirm`` with no offer before it is no request for a person.

    Args:
        tracker: The conversation.

    Returns:
        The reason, or ``None`` when nobody asked for a person.
    """
    marked = tracker.get_slot(HANDOFF_REASON)
    if marked:
        return str(marked)
    offer = _last_offer(tracker)
    if offer:
        return offer
    if (tracker.latest_message.get("intent") or {}).get("name") == "affirm":
        return None
    return "shopper_request"


def order_numbers(tracker: Tracker) -> list[str]:
    """Every order number the conversation mentioned, first mention first."""
    found: list[str] = []
    candidates: list[str] = []
    for event in _user_events(tracker):
        parse = event.get("parse_data") or {}
        candidates += [
            str(entity.get("value"))
            for entity in parse.get("entities") or []
            if entity.get("entity") == "order_id"
        ]
        candidates += _ORDER_NUMBER.findall(str(event.get("text") or ""))
    if tracker.get_slot("order_id"):
        candidates.append(str(tracker.get_slot("order_id")))
    for number in candidates:
        number = number.upper()
        if number not in found:
            found.append(number)
    return found


def _message_intents(parse: dict[str, Any]) -> list[str]:
    """The intents of one parsed message, the question asked beside 转人工 first.

    Args:
        parse: A user event's ``parse_data``.

    Returns:
        The intent's name, preceded by the intent a request for a person
        replaced when the message asked something else too.
    """
    name = str((parse.get("intent") or {}).get("name") or "")
    override = parse.get(PERSON_REQUEST) or {}
    replaced = str((override.get("replaced_intent") or {}).get("name") or "")
    if replaced not in _NOT_A_QUESTION and replaced != name:
        return [replaced, name]
    return [name]


def build_summary(tracker: Tracker, reason: str) -> HandoffSummary:
    """The short summary the agent reads before answering.

    Args:
        tracker: The conversation.
        reason: Why it is handed off.

    Returns:
        Reason, the last intents (with the question a 转人工 message asked
        besides), filled slots, order numbers and the last message as typed.
    """
    intents = [
        intent
        for event in _user_events(tracker)
        for intent in _message_intents(event.get("parse_data") or {})
    ]
    slots = {
        name: value
        for name, value in sorted(tracker.slots.items())
        if value not in (None, "", []) and name not in _HIDDEN_SLOTS
    }
    return HandoffSummary(
        reason=reason,
        reason_label=REASONS.get(reason, reason),
        intents=[intent for intent in intents if intent][-INTENT_HISTORY:],
        slots=slots,
        order_numbers=order_numbers(tracker),
        last_message=latest_text(tracker),
    )


class ActionHandoff(Action):
    """Queue the conversation for a person, tell the shopper, pause the bot.

    Domain: slot ``handoff_reason``; responses ``utter_handoff_queued``,
    ``utter_handoff_queued_next``, ``utter_handoff_after_hours``,
    ``utter_handoff_unavailable`` and ``utter_handoff_not_offered`` (an
    ``affirm`` after a delivery answer that offered nobody).
    """

    def __init__(self, client: ConsoleClient | None = None) -> None:
        self._client = client

    def name(self) -> str:
        """Return the action's name."""
        return ACTION_HANDOFF

    @property
    def client(self) -> ConsoleClient:
        """The console client (built on first use, from the environment)."""
        if self._client is None:
            self._client = ConsoleClient()
        return self._client

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Queue, tell the shopper, and pause; keep serving if the console is down."""
        reason = handoff_reason(tracker)
        if reason is None:
            dispatcher.utter_message(response="utter_handoff_not_offered")
            return []
        # Set, then cleared: the event history keeps why (the analytics count it).
        cleared: list[EventType] = [
            SlotSet(HANDOFF_REASON, reason),
            SlotSet(HANDOFF_REASON, None),
        ]
        try:
            customer_id = await verified_customer(tracker)
        except BackendError as error:
            # The agent can still help; they just don't see the account.
            logger.warning("customer of %s not checked: %s", tracker.sender_id, error)
            customer_id = None
        request = HandoffRequest(
            conversation_id=tracker.sender_id,
            channel=channel_identity(tracker).channel,
            reason=reason,
            summary=build_summary(tracker, reason),
            customer_id=str(customer_id) if customer_id else None,
        )
        try:
            ticket = await self.client.request_handoff(request)
        except BackendError as error:
            logger.warning("handoff of %s not queued: %s", tracker.sender_id, error)
            dispatcher.utter_message(response="utter_handoff_unavailable")
            return cleared
        if not ticket["service_open"]:
            dispatcher.utter_message(
                response="utter_handoff_after_hours",
                opens_at=ticket["opens_at"],
                service_hours=ticket["service_hours"],
            )
        elif ticket["position"] == 0:
            dispatcher.utter_message(response="utter_handoff_queued_next")
        else:
            dispatcher.utter_message(
                response="utter_handoff_queued",
                ahead=ticket["position"],
                wait_minutes=ticket["estimated_wait_minutes"],
            )
        return [*cleared, ConversationPaused()]
