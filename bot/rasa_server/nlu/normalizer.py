"""Rasa graph component that normalises shoppers' Chinese text before tokenisation."""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.rasa_server.nlu.normalization import NormalizedText, TextNormalizer

# Message attributes the normaliser leaves for ``OriginalTextRestorer``.
ORIGINAL_TEXT = "xiaoke_original_text"
NORMALIZATION_SPANS = "xiaoke_normalization_spans"


def normalization_of(message: Message) -> NormalizedText | None:
    """Return the normalisation the normaliser recorded on a message, if any.

    Args:
        message: A message that went through ``ChineseTextNormalizer``.

    Returns:
        The recorded normalisation, or ``None`` if the message has none.
    """
    original = message.get(ORIGINAL_TEXT)
    spans = message.get(NORMALIZATION_SPANS)
    if original is None or spans is None:
        return None
    return NormalizedText(
        original=original,
        text=message.get(TEXT),
        spans=tuple((start, end) for start, end in spans),
    )


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=False
)
class ChineseTextNormalizer(GraphComponent):
    """Normalise text (traditional → simplified, full width → half width, …).

    Put it first in the pipeline. Training examples are normalised the same way
    (with their entity annotations moved to match), so training and prediction
    see the same text. At prediction time the original text and an offset map
    are kept on the message; ``OriginalTextRestorer`` at the end of the
    pipeline uses them to point entities back into what the shopper typed.
    """

    def __init__(self, normalizer: TextNormalizer) -> None:
        self._normalizer = normalizer

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """Return the default config (the component has no options)."""
        return {}

    @staticmethod
    def required_packages() -> list[str]:
        """Return the packages the component needs."""
        return ["opencc", "cn2an"]

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> ChineseTextNormalizer:
        """Create the component, loading the OpenCC and cn2an tables once."""
        return cls(TextNormalizer.default())

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Normalise every training example and move its entity annotations.

        Args:
            training_data: The NLU training data.

        Returns:
            The same training data, normalised in place.
        """
        for example in training_data.training_examples:
            text = example.get(TEXT)
            if not text:
                continue
            normalized = self._normalizer.normalize(text)
            entities = example.get(ENTITIES)
            if entities:
                example.set(ENTITIES, _move_entities(entities, normalized))
            example.set(TEXT, normalized.text)
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        """Normalise incoming messages, keeping the original text and offset map.

        Args:
            messages: Messages to normalise.

        Returns:
            The same messages, normalised in place.
        """
        for message in messages:
            text = message.get(TEXT)
            if not text:
                continue
            normalized = self._normalizer.normalize(text)
            message.set(ORIGINAL_TEXT, normalized.original)
            message.set(NORMALIZATION_SPANS, [list(span) for span in normalized.spans])
            message.set(TEXT, normalized.text)
        return messages


def _move_entities(
    entities: list[dict[str, Any]], normalized: NormalizedText
) -> list[dict[str, Any]]:
    moved = []
    for entity in entities:
        start, end = normalized.to_normalized(entity["start"], entity["end"])
        surface = normalized.original[entity["start"] : entity["end"]]
        updated = {**entity, "start": start, "end": end}
        if entity.get("value") == surface:
            # A plain annotation: its value is what the text says, normalised.
            updated["value"] = normalized.text[start:end]
        moved.append(updated)
    return moved
