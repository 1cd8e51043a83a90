"""The 满意度 rating (1-5) the bot asks for at the end of a resolved flow.

A flow's final action that mixes in :class:`AsksForRating` asks
(``utter_ask_satisfaction``, one tap per score) once per session; the
shopper's answer arrives as ``rate_service`` with a ``satisfaction`` entity
(the buttons) or as text (``5分``, ``五星``, ``非常满意``). The rating is kept
as the ``satisfaction`` slot event, which the analytics count.
"""

from __future__ import annotations

import re
from typing import ClassVar

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import latest_text
from actions.contract import FLOW_OUTCOME

SATISFACTION = "satisfaction"
#: One tap per score, best first (WeChat shows them as a numbered menu).
RATING_BUTTONS = [
    {"title": title, "payload": f'/rate_service{{"satisfaction":"{score}"}}'}
    for score, title in (
        (5, "5分 非常满意"),
        (4, "4分 满意"),
        (3, "3分 一般"),
        (2, "2分 不满意"),
        (1, "1分 非常不满意"),
    )
]
_NUMERALS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5}
_SCORE = re.compile(r"(?<![0-9])([1-5一二两三四五])\s*(?:分|星|颗星)")
_DIGIT_ONLY = re.compile(r"^\s*([1-5])\s*$")
# Longest first: 非常不满意 before 不满意 before 满意.
_WORDS = (
    ("非常不满意", 1),
    ("很不满意", 1),
    ("太差", 1),
    ("很差", 1),
    ("不太满意", 2),
    ("不满意", 2),
    ("差评", 2),
    ("一般", 3),
    ("还行", 3),
    ("非常满意", 5),
    ("很满意", 5),
    ("超满意", 5),
    ("好评", 5),
    ("满意", 4),
)


def parse_rating(entity: object, text: str) -> int | None:
    """The rating 1-5 from the button's entity or the shopper's words.

    Args:
        entity: The ``satisfaction`` entity value, if any.
        text: The message text.

    Returns:
        The score, or ``None`` when there is no score from 1 to 5.
    """
    if entity is not None:
        value = str(entity).strip()
        return int(value) if value in {"1", "2", "3", "4", "5"} else None
    match = _SCORE.search(text) or _DIGIT_ONLY.match(text)
    if match:
        value = match.group(1)
        return _NUMERALS.get(value) or int(value)
    for word, score in _WORDS:
        if word in text:
            return score
    return None


def rating_may_follow(
    dispatcher: CollectingDispatcher, tracker: Tracker, asks_shopper: frozenset[str]
) -> bool:
    """Whether to ask for a rating now: once per session, not on another question.

    Args:
        dispatcher: The replies so far this turn.
        tracker: The conversation.
        asks_shopper: Replies that already ask the shopper something.

    Returns:
        ``False`` when a reply asks something already or a flow of this session
        had an outcome before the shopper's latest message, else ``True``.
    """
    answered = {message.get("response") for message in dispatcher.messages}
    if answered & asks_shopper:
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


class AsksForRating:
    """Mixin for a flow's final action: ask for the rating after an outcome.

    Listed before the contract's ``ShopperAction``, e.g.
    ``class ActionTrackDelivery(AsksForRating, ShopperAction)``; it implements
    the ``after_outcome()`` hook. The domain needs ``utter_ask_satisfaction``.
    """

    asks_shopper: ClassVar[frozenset[str]]

    def after_outcome(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, outcome: str
    ) -> None:
        """Ask for the rating, unless it is not the moment (``rating_may_follow``).

        Args:
            dispatcher: Where replies go (the answer's are already there).
            tracker: The conversation.
            outcome: The flow's outcome (any: every resolved flow is rated).
        """
        if rating_may_follow(dispatcher, tracker, self.asks_shopper):
            dispatcher.utter_message(
                response="utter_ask_satisfaction", buttons=RATING_BUTTONS
            )


class ActionRecordSatisfaction(Action):
    """Keep the shopper's rating; thank them, or apologise for a low one."""

    def name(self) -> str:
        """Return the action's name."""
        return "action_record_satisfaction"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Record a valid rating; ask again for one from 1 to 5 otherwise."""
        entity = next(tracker.get_latest_entity_values(SATISFACTION), None)
        score = parse_rating(entity, latest_text(tracker))
        if score is None:
            dispatcher.utter_message(response="utter_ask_rating_again")
            return []
        response = "utter_rating_sorry" if score <= 2 else "utter_thanks_rating"
        dispatcher.utter_message(response=response, rating=score)
        return [SlotSet(SATISFACTION, float(score))]
