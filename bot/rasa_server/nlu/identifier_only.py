"""Rasa graph component: a message that is only an identifier informs.

Shoppers answer "请提供手机号" or "订单号是多少" with the number alone. The
classifiers see no words in such a message, only digits and letters they never
saw, and their confidence scatters (0.45–0.98 for order numbers; a serial number
or a phone number now and then under the fallback threshold), so a shopper in
the middle of verification could be told 没听懂. When the identifiers the regex
extractor found (order, tracking, phone, serial number) cover everything in the
message but spaces and punctuation, the intent is ``inform`` with confidence 1.0.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import (
    ENTITIES,
    ENTITY_ATTRIBUTE_END,
    ENTITY_ATTRIBUTE_START,
    ENTITY_ATTRIBUTE_TYPE,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message

from bot.rasa_server.nlu.intent_override import put_intent_first


def only_identifiers(text: str, spans: list[tuple[int, int]]) -> bool:
    """Whether the spans cover every character of ``text`` but spaces and punctuation.

    Args:
        text: The (normalised) message text.
        spans: ``(start, end)`` of the identifiers found in it.

    Returns:
        True if there is at least one span and nothing else that is a letter,
        a digit, a Chinese character or a symbol.
    """
    if not spans:
        return False
    covered = [False] * len(text)
    for start, end in spans:
        for index in range(max(start, 0), min(end, len(text))):
            covered[index] = True
    return all(
        covered[index]
        or character.isspace()
        or unicodedata.category(character).startswith("P")
        for index, character in enumerate(text)
    )


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False
)
class IdentifierOnlyInform(GraphComponent, IntentClassifier):
    """Set ``inform`` (confidence 1.0) on a message that is only identifiers.

    Put it after the intent classifiers and the regex entity extractor, before
    ``FallbackClassifier``. The rest of the ranking keeps its order with
    confidence 0: the rule is certain, and a second intent left near 1.0 would
    make ``FallbackClassifier`` call the message ambiguous (``XK…`` read as
    ``track_delivery`` at 0.99 beside ``inform`` at 1.0 → ``nlu_fallback``).
    """

    def __init__(self, config: dict[str, Any]) -> None:
        self._intent = str(config["intent"])
        self._entities = frozenset(str(name) for name in config["entities"])

    @classmethod
    def required_components(cls) -> list[type]:
        """Return the components this one depends on (an intent classifier)."""
        return [IntentClassifier]

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """Return the default config: the intent and the identifier entities."""
        return {
            "intent": "inform",
            "entities": ["order_id", "tracking_number", "phone", "serial_number"],
        }

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> IdentifierOnlyInform:
        """Create the component."""
        return cls({**cls.get_default_config(), **config})

    def process(self, messages: list[Message]) -> list[Message]:
        """Set the intent of every message that is only identifiers.

        Args:
            messages: Messages the classifiers and extractors have processed.

        Returns:
            The same messages, changed in place where they are only identifiers.
        """
        for message in messages:
            spans = [
                (int(entity[ENTITY_ATTRIBUTE_START]), int(entity[ENTITY_ATTRIBUTE_END]))
                for entity in message.get(ENTITIES) or []
                if entity.get(ENTITY_ATTRIBUTE_TYPE) in self._entities
                and entity.get(ENTITY_ATTRIBUTE_START) is not None
                and entity.get(ENTITY_ATTRIBUTE_END) is not None
            ]
            if not only_identifiers(str(message.get(TEXT) or ""), spans):
                continue
            put_intent_first(message, self._intent, keep_confidences=False)
        return messages
