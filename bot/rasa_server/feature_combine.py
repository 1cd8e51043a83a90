"""A message's features combined without deep-copying the first one.

Rasa's ``Message._combine_features`` starts each combination with
``copy.deepcopy(features[0])``: a SciPy sparse matrix deep-copied through
Python's generic ``__reduce_ex__`` machinery, ≈ 100 µs each, several times per
parsed message (DIET and the response selector each combine the sequence and
sentence features of the text). py-spy put 5 % of a production worker's
GIL-held time in it under load (benchmarks/README.md).

What a deep copy protects is the message's own feature objects: the combined
one gets another ``origin`` and, through ``combine_with_features``, another
matrix, and Rasa's ``combine_with_features`` always builds a new matrix rather
than changing the one it holds. So a shallow copy of the ``Features`` object is
enough when there is something to combine it with; when there is a single
feature its matrix is copied (``matrix.copy()``, a few µs) so that the result
still shares no array with the message. The result is equal to Rasa's: same
class, type, attribute, origin and matrix entries. Two differences no caller
sees: the cached fingerprint is cleared (Rasa's copy keeps the first feature's,
computed for its old origin), and a single sparse matrix's copy drops SciPy's
``has_canonical_format`` flag.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np

#: Rasa's own method, kept by the first install (for ``uninstall``).
_RASA_COMBINE: list[Any] = []


def combine_features(features: list[Any], featurizers: list[str]) -> Any | None:
    """Rasa's ``Message._combine_features`` without the deep copy.

    Args:
        features: ``Features`` of one attribute and type, in Rasa's order.
        featurizers: The names the combined features are said to come from.

    Returns:
        The combined ``Features``, or None when there are none.
    """
    if not features:
        return None
    combined = copy.copy(features[0])
    combined.origin = featurizers
    for additional in features[1:]:
        combined.combine_with_features(additional)
    if combined.features is features[0].features:
        matrix = features[0].features
        # order="K": an ndarray keeps its memory layout, as a deep copy does.
        combined.features = (
            matrix.copy(order="K") if isinstance(matrix, np.ndarray) else matrix.copy()
        )
    combined._cached_fingerprint = None
    return combined


def install_shallow_feature_combine() -> None:
    """Make ``Message._combine_features`` use ``combine_features``. Idempotent."""
    from rasa.shared.nlu.training_data.message import Message

    if not _RASA_COMBINE:
        _RASA_COMBINE.append(Message.__dict__["_combine_features"])
    Message._combine_features = staticmethod(combine_features)


def uninstall_shallow_feature_combine() -> None:
    """Back to Rasa's combination (a deep copy of the first feature)."""
    from rasa.shared.nlu.training_data.message import Message

    if _RASA_COMBINE:
        Message._combine_features = _RASA_COMBINE[0]
