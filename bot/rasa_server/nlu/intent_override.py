"""Put one intent first on a message (for components that override the classifiers)."""

from __future__ import annotations

from typing import Any

from rasa.shared.nlu.constants import (
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
)
from rasa.shared.nlu.training_data.message import Message


def put_intent_first(
    message: Message, name: str, *, keep_confidences: bool = True
) -> dict[str, Any]:
    """Make ``name`` the message's intent with confidence 1.0, first in its ranking.

    The rest of the ranking stays in the classifiers' order (without ``name``).

    Args:
        message: A classified message (changed in place).
        name: The intent that wins.
        keep_confidences: Keep the rest's confidences (a component after
            ``FallbackClassifier``, whose summary shows what was displaced), or
            set them to 0 (before it: a second intent near 1.0 would make the
            fallback call the message ambiguous).

    Returns:
        The intent the message had before (empty if none).
    """
    previous = message.get(INTENT) or {}
    winner = {INTENT_NAME_KEY: name, PREDICTED_CONFIDENCE_KEY: 1.0}
    ranking = [
        entry if keep_confidences else {**entry, PREDICTED_CONFIDENCE_KEY: 0.0}
        for entry in message.get(INTENT_RANKING_KEY) or []
        if entry.get(INTENT_NAME_KEY) != name
    ]
    message.set(INTENT, winner, add_to_output=True)
    message.set(INTENT_RANKING_KEY, [winner, *ranking], add_to_output=True)
    return previous
