"""Rasa graph component that points entities back into what the shopper typed."""

from __future__ import annotations

import re
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.rasa_server.nlu.normalizer import (
    NORMALIZATION_SPANS,
    ORIGINAL_TEXT,
    ChineseTextNormalizer,
    normalization_of,
)

_NOT_A_DIGIT = re.compile(r"\D")


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=False
)
class OriginalTextRestorer(GraphComponent):
    """Undo the normaliser's text change once every other component has run.

    Put it last in the pipeline. Entity ``start``/``end`` are mapped from the
    normalised text back to the original, the message text becomes the original
    again, and identifier entities get their canonical form (order and serial
    numbers upper case, phone numbers digits only), whatever width or case the
    shopper typed them in.
    """

    def __init__(self, config: dict[str, Any]) -> None:
        self._upper = frozenset(config["uppercase_entities"])
        self._digits = frozenset(config["digits_only_entities"])

    @classmethod
    def required_components(cls) -> list[type]:
        """Return the components this one depends on."""
        return [ChineseTextNormalizer]

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """Return the default config: which entities to canonicalise how."""
        return {
            "uppercase_entities": ["order_id", "tracking_number", "serial_number"],
            "digits_only_entities": ["phone"],
        }

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> OriginalTextRestorer:
        """Create the component."""
        return cls({**cls.get_default_config(), **config})

    def process(self, messages: list[Message]) -> list[Message]:
        """Map entities back to the original text and restore it.

        Args:
            messages: Messages that went through the whole pipeline.

        Returns:
            The same messages, changed in place.
        """
        for message in messages:
            normalized = normalization_of(message)
            if normalized is None:
                continue
            entities = []
            for entity in message.get(ENTITIES, []):
                start, end = normalized.to_original(entity["start"], entity["end"])
                entities.append(
                    {
                        **entity,
                        "start": start,
                        "end": end,
                        "value": self._canonical(entity),
                    }
                )
            message.set(ENTITIES, entities, add_to_output=True)
            message.set(TEXT, normalized.original)
            message.data.pop(ORIGINAL_TEXT, None)
            message.data.pop(NORMALIZATION_SPANS, None)
        return messages

    def _canonical(self, entity: dict[str, Any]) -> Any:
        value = entity.get("value")
        if not isinstance(value, str):
            return value
        if entity["entity"] in self._upper:
            return value.upper()
        if entity["entity"] in self._digits:
            return _NOT_A_DIGIT.sub("", value)
        return value
