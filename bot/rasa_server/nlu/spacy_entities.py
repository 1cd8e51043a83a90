"""Rasa's spaCy entity extractor, reporting the EntityRuler pattern id as value."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.extractors.spacy_entity_extractor import SpacyEntityExtractor

if TYPE_CHECKING:
    from spacy.tokens import Doc


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR],
    is_trainable=False,
    model_from="SpacyNLP",
)
class CanonicalSpacyEntityExtractor(SpacyEntityExtractor):
    """Extract spaCy entities with the canonical name as value.

    Patterns in ``bot/rasa_server/nlu/resources/entity_patterns.jsonl`` carry an ``id``
    (``顺丰速运`` and ``sf`` both have the id ``顺丰``), so the patterns file is the
    one place that says which surface forms mean the same carrier or category.
    """

    @staticmethod
    def _extract_entities(doc: Doc) -> list[dict[str, Any]]:
        return [
            {
                "entity": ent.label_,
                "value": ent.ent_id_ or ent.text,
                "start": ent.start_char,
                "confidence": None,
                "end": ent.end_char,
            }
            for ent in doc.ents
        ]
