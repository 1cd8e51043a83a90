"""Rasa graph component: one ResponseSelector for all retrieval intents, run if needed.

Rasa's usual set-up is one ``ResponseSelector`` per retrieval intent (``faq``,
``chitchat``), each a TensorFlow model that runs on every message: two
inference calls per turn (≈ 6 ms of a ≈ 30 ms turn, benchmarks/README.md)
although only FAQ and small-talk messages use their answer. This selector is
trained once on all retrieval intents and runs only on messages the intent
classifier put in one of them. Its answer is filed under that retrieval intent
(``response_selector["faq"]``), as a selector per intent would file it, and is
always one of that intent's responses: a FAQ message never gets a small-talk
answer.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.constants import (
    RESPONSE_SELECTOR_DEFAULT_INTENT,
    RESPONSE_SELECTOR_PREDICTION_KEY,
    RESPONSE_SELECTOR_PROPERTY_NAME,
    RESPONSE_SELECTOR_RANKING_KEY,
    RESPONSE_SELECTOR_RESPONSES_KEY,
    RESPONSE_SELECTOR_UTTER_ACTION_KEY,
)
from rasa.nlu.selectors.response_selector import ResponseSelector
from rasa.shared.nlu.constants import (
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RESPONSE_KEY,
    PREDICTED_CONFIDENCE_KEY,
)
from rasa.shared.nlu.training_data import util
from rasa.shared.nlu.training_data.message import Message

from bot.rasa_server.nlu.bucketed_batches import BucketedTraining


def restrict_to_intent(
    prediction: dict[str, Any],
    retrieval_intent: str,
    responses: dict[str, list[dict[str, Any]]],
) -> dict[str, Any]:
    """Keep only the candidates of one retrieval intent in a selector's prediction.

    Args:
        prediction: A ResponseSelector's prediction (``response`` and ``ranking``),
            over the responses of every retrieval intent.
        retrieval_intent: The intent the classifier chose, e.g. ``faq``.
        responses: The selector's responses by template key (``utter_faq/…``).

    Returns:
        The prediction over ``retrieval_intent``'s responses only: its best
        candidate as the response, the others as the ranking. Unchanged when
        the ranking holds none of them.
    """
    prefix = f"{retrieval_intent}/"
    ranking = [
        label
        for label in prediction.get(RESPONSE_SELECTOR_RANKING_KEY, [])
        if str(label.get(INTENT_RESPONSE_KEY, "")).startswith(prefix)
    ]
    if not ranking:
        return prediction
    best = ranking[0]
    key = str(best[INTENT_RESPONSE_KEY])
    template = util.intent_response_key_to_template_key(key)
    return {
        RESPONSE_SELECTOR_PREDICTION_KEY: {
            RESPONSE_SELECTOR_RESPONSES_KEY: responses.get(template, [{"text": key}]),
            PREDICTED_CONFIDENCE_KEY: best.get(PREDICTED_CONFIDENCE_KEY, 0.0),
            INTENT_RESPONSE_KEY: key,
            RESPONSE_SELECTOR_UTTER_ACTION_KEY: template,
        },
        RESPONSE_SELECTOR_RANKING_KEY: ranking,
    }


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True
)
class RetrievalResponseSelector(BucketedTraining, ResponseSelector):
    """A ResponseSelector over all retrieval intents, run where one was classified.

    Put it after the intent classifier (``DIETClassifier``) and leave
    ``retrieval_intent`` unset; ``ranking_length: 0`` keeps every candidate so
    that the best one of the classified intent is always found. Trained on
    batches of messages of similar length (:mod:`.bucketed_batches`).
    """

    def _retrieval_intent_of(self, message: Message) -> str | None:
        intent = message.get(INTENT) or {}
        name = intent.get(INTENT_NAME_KEY)
        return name if name in self.all_retrieval_intents else None

    def process(self, messages: list[Message]) -> list[Message]:
        """Select a response for the messages classified into a retrieval intent.

        Args:
            messages: Messages the intent classifier has labelled.

        Returns:
            The same messages; those of a retrieval intent carry the selected
            response under ``response_selector[<retrieval intent>]``.
        """
        wanted = [m for m in messages if self._retrieval_intent_of(m) is not None]
        if not wanted:
            return messages
        super().process(wanted)
        for message in wanted:
            retrieval_intent = self._retrieval_intent_of(message)
            properties = dict(message.get(RESPONSE_SELECTOR_PROPERTY_NAME) or {})
            prediction = properties.pop(RESPONSE_SELECTOR_DEFAULT_INTENT, None)
            if retrieval_intent is None or prediction is None:
                continue
            properties[retrieval_intent] = restrict_to_intent(
                prediction, retrieval_intent, self.responses
            )
            message.set(RESPONSE_SELECTOR_PROPERTY_NAME, properties, add_to_output=True)
        return messages
