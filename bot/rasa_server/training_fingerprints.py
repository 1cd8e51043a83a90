"""Fingerprint featurized training data by how it was made, not by its content.

Rasa's training cache (``rasa.engine.training.hooks.TrainingHook``) stores, for
every node it runs, a fingerprint of the node's output; the next node's cache
key is computed from it. For the NLU pipeline's ``process_training_data`` nodes
(tokenizers and featurizers) that output is the whole training data with every
message's tokens and feature matrices, and Rasa hashes all of it, message by
message and token by token, after each featurizer (a featurizer changes the
messages, which drops their cached fingerprints). That was about a fifth of a
full training's samples (benchmarks/README.md, "Training: fingerprints of
featurized data").

A ``process_training_data`` node computes its output from its inputs, its
configuration and its code, which is exactly what its cache key
(``fingerprint_key``) covers; Rasa reuses a cached output whenever that key
matches, so it already treats the output as determined by the key. Here that
output's fingerprint is derived from the key instead of the content, and the
next node's key is computed from the recorded fingerprint (as Rasa's
fingerprint run does with the cached one) instead of hashing the data again.
The only thing given up is Rasa's cut-off when a changed input produces an
identical featurized output; unchanged inputs still hit the cache (a change to
stories or the domain alone still reuses the NLU), and changed NLU data still
retrains. Trained components' outputs (``Resource``) and the data providers'
outputs keep Rasa's fingerprints.
"""

from __future__ import annotations

import hashlib
from typing import Any

#: The graph function whose outputs are fingerprinted by their key.
KEYED_FUNCTION = "process_training_data"
#: Attribute of a ``TrainingHook`` holding the fingerprints it derived.
_RECORDED = "_xiaoke_keyed_outputs"


class RecordedFingerprint:
    """A node output stood in for by the fingerprint recorded for it."""

    def __init__(self, value: str) -> None:
        """Keep the fingerprint.

        Args:
            value: The output's recorded fingerprint.
        """
        self._value = value

    def fingerprint(self) -> str:
        """Return the recorded fingerprint (what Rasa hashes into a cache key)."""
        return self._value


def keyed_output_fingerprint(fingerprint_key: str) -> str:
    """The fingerprint of an output determined by its node's cache key.

    Args:
        fingerprint_key: The producing node's cache key.

    Returns:
        A hex digest distinct from the key itself.
    """
    return hashlib.sha256(f"keyed-output:{fingerprint_key}".encode()).hexdigest()


def _recorded(hook: Any) -> dict[str, str]:
    recorded: dict[str, str] | None = getattr(hook, _RECORDED, None)
    if recorded is None:
        recorded = {}
        setattr(hook, _RECORDED, recorded)
    return recorded


def install_keyed_fingerprints() -> None:
    """Make Rasa's training hook fingerprint featurized data by its cache key.

    Idempotent. Only training uses the hook; serving never runs it.
    """
    from rasa.engine.training.components import PrecomputedValueProvider
    from rasa.engine.training.hooks import TrainingHook

    if getattr(TrainingHook, "_xiaoke_keyed", False):
        return
    rasa_before = TrainingHook.on_before_node
    rasa_after = TrainingHook.on_after_node

    def on_before_node(
        self: TrainingHook,
        node_name: str,
        execution_context: Any,
        config: dict[str, Any],
        received_inputs: dict[str, Any],
    ) -> dict:
        recorded = _recorded(self)
        needs = execution_context.graph_schema.nodes[node_name].needs
        inputs = {
            parameter: (
                RecordedFingerprint(recorded[needs[parameter]])
                if needs.get(parameter) in recorded
                else value
            )
            for parameter, value in received_inputs.items()
        }
        return rasa_before(self, node_name, execution_context, config, inputs)

    def on_after_node(
        self: TrainingHook,
        node_name: str,
        execution_context: Any,
        config: dict[str, Any],
        output: Any,
        input_hook_data: dict,
    ) -> None:
        node = self._pruned_schema.nodes[node_name]
        if node.fn != KEYED_FUNCTION or node.uses == PrecomputedValueProvider:
            rasa_after(
                self, node_name, execution_context, config, output, input_hook_data
            )
            return
        fingerprint_key = input_hook_data["fingerprint_key"]
        output_fingerprint = keyed_output_fingerprint(fingerprint_key)
        _recorded(self)[node_name] = output_fingerprint
        self._cache.cache_output(
            fingerprint_key=fingerprint_key,
            output=output,
            output_fingerprint=output_fingerprint,
            model_storage=self._model_storage,
        )

    TrainingHook.on_before_node = on_before_node
    TrainingHook.on_after_node = on_after_node
    TrainingHook._xiaoke_keyed = True
