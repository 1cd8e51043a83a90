"""Rasa graph component: an explicit request for a person wins the intent."""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import (
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message

from bot.rasa_server.nlu.intent_override import put_intent_first
from bot.rasa_server.nlu.person_request import find_person_request, refuses_person

#: Parse-data key that records an override: the words that asked and the
#: intent the classifiers had chosen (the rest of the message's question).
PERSON_REQUEST = "person_request"
#: Parse-data key that records a refusal the classifiers had read as a request.
PERSON_REFUSAL = "person_refusal"
#: The fallback's intent: never what a refusal turns into.
_FALLBACK = "nlu_fallback"


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False
)
class PersonRequestOverride(GraphComponent, IntentClassifier):
    """Set the handoff intent when a message explicitly asks for a person.

    Put it after the classifiers and ``FallbackClassifier`` and before
    ``OriginalTextRestorer`` (it reads the normalised text). When
    :func:`~bot.rasa_server.nlu.person_request.find_person_request` finds a
    request (我要转人工, 找个真人, 打我电话 …, not 不用转人工), the intent becomes
    ``intent`` with confidence 1.0, first in the ranking; the rest of the ranking
    stays as the classifiers left it, and ``person_request`` records the words
    and the intent they displaced, so the agent's summary can show what else the
    shopper asked.

    The other way round, a message that declines a person (不用转人工, 人工就不用了)
    never hands off: when the classifiers chose ``intent`` for one, the next
    intent of the ranking takes its place if it has ``refusal_min_confidence``,
    otherwise ``refusal_intent`` (``deny``: the answer to an offer of a person).
    ``person_refusal`` records the intent replaced.
    """

    def __init__(self, config: dict[str, Any]) -> None:
        config = {**self.get_default_config(), **config}
        self._intent = str(config["intent"])
        self._refusal_intent = str(config["refusal_intent"])
        self._refusal_min_confidence = float(config["refusal_min_confidence"])

    @classmethod
    def required_components(cls) -> list[type]:
        """Return the components this one depends on (an intent classifier)."""
        return [IntentClassifier]

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """Return the default config: the handoff intent's name and refusals'."""
        return {
            "intent": "human_handoff",
            "refusal_intent": "deny",
            # FallbackClassifier's threshold in config.yml: this component runs
            # after it, so an intent under it must not win here either.
            "refusal_min_confidence": 0.3,
        }

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> PersonRequestOverride:
        """Create the component."""
        return cls({**cls.get_default_config(), **config})

    def process(self, messages: list[Message]) -> list[Message]:
        """Override the intent of every message that asks for a person.

        Args:
            messages: Messages the classifiers have labelled.

        Returns:
            The same messages, changed in place where a person was asked for.
        """
        for message in messages:
            text = str(message.get(TEXT) or "")
            request = find_person_request(text)
            if request is None:
                if self._chose_person(message) and refuses_person(text):
                    self._decline(message)
                continue
            previous = put_intent_first(message, self._intent)
            message.set(
                PERSON_REQUEST,
                {"phrase": request.phrase, "replaced_intent": previous},
                add_to_output=True,
            )
        return messages

    def _chose_person(self, message: Message) -> bool:
        """Whether the classifiers' intent is the handoff intent."""
        return (message.get(INTENT) or {}).get(INTENT_NAME_KEY) == self._intent

    def _decline(self, message: Message) -> None:
        """Replace the handoff intent of a refusal by the next one or ``deny``."""
        following = [
            entry
            for entry in message.get(INTENT_RANKING_KEY) or []
            if entry.get(INTENT_NAME_KEY) not in (self._intent, _FALLBACK)
        ]
        name = self._refusal_intent
        if (
            following
            and float(following[0].get(PREDICTED_CONFIDENCE_KEY) or 0.0)
            >= self._refusal_min_confidence
        ):
            name = str(following[0][INTENT_NAME_KEY])
        # The handoff intent leaves the ranking: nothing downstream should
        # read it as the message's second choice.
        message.set(
            INTENT_RANKING_KEY,
            [
                entry
                for entry in message.get(INTENT_RANKING_KEY) or []
                if entry.get(INTENT_NAME_KEY) != self._intent
            ],
            add_to_output=True,
        )
        previous = put_intent_first(message, name)
        message.set(PERSON_REFUSAL, {"replaced_intent": previous}, add_to_output=True)
