"""Rasa graph component: an explicit request for a person wins the intent."""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.rasa_server.nlu.intent_override import put_intent_first
from bot.rasa_server.nlu.person_request import find_person_request

#: Parse-data key that records an override: the words that asked and the
#: intent the classifiers had chosen (the rest of the message's question).
PERSON_REQUEST = "person_request"


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
    """

    def __init__(self, config: dict[str, Any]) -> None:
        self._intent = str(config["intent"])

    @classmethod
    def required_components(cls) -> list[type]:
        """Return the components this one depends on (an intent classifier)."""
        return [IntentClassifier]

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """Return the default config: the handoff intent's name."""
        return {"intent": "human_handoff"}

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
            request = find_person_request(str(message.get(TEXT) or ""))
            if request is None:
                continue
            previous = put_intent_first(message, self._intent)
            message.set(
                PERSON_REQUEST,
                {"phrase": request.phrase, "replaced_intent": previous},
                add_to_output=True,
            )
        return messages
