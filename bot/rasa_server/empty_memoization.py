"""MemoizationPolicy with nothing memorised answers without featurising the tracker.

This assistant's dialogue is all rules: MemoizationPolicy learns from stories
and its lookup is empty, so it can only ever predict nothing. Rasa 3.6 still
computes the states of the whole session for it before every prediction (a
replay of the session) and deep-copies them for a debug log line whatever the
log level. With an empty lookup, ``predict_action_probabilities`` here returns
the policy's default prediction at once: the prediction Rasa's path ends with
when nothing is recalled. With a memory it is Rasa's method.
"""

from __future__ import annotations

from typing import Any

from rasa.core.policies.memoization import MemoizationPolicy
from rasa.core.policies.policy import PolicyPrediction

#: Rasa's method (``uninstall``; tests compare both).
RASA_PREDICT = MemoizationPolicy.predict_action_probabilities


def predict_without_memories(
    self: MemoizationPolicy,
    tracker: Any,
    domain: Any,
    rule_only_data: dict[str, Any] | None = None,
    **kwargs: Any,
) -> PolicyPrediction:
    """Rasa's prediction; with an empty lookup, its "nothing recalled" at once.

    Args:
        self: The policy.
        tracker: The conversation.
        domain: The domain.
        rule_only_data: As Rasa's.
        **kwargs: As Rasa's.

    Returns:
        The policy's prediction.
    """
    if self.lookup:
        return RASA_PREDICT(self, tracker, domain, rule_only_data, **kwargs)
    return self._prediction(self._default_predictions(domain))


def install_empty_memoization() -> None:
    """Make every MemoizationPolicy skip the states when it has no memories."""
    MemoizationPolicy.predict_action_probabilities = predict_without_memories


def uninstall_empty_memoization() -> None:
    """Back to Rasa's method."""
    MemoizationPolicy.predict_action_probabilities = RASA_PREDICT
