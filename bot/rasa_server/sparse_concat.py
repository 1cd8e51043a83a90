"""Sparse features laid side by side without ``scipy.sparse.hstack``'s overhead.

Rasa combines a message's sparse features (the regex, lexical and two count
featurizers') with ``Features._combine_sparse_features``, which calls
``scipy.sparse.hstack``: about 220 µs for two small COO matrices, most of it
``bmat``'s general block bookkeeping. DIET and the response selector combine
six times per parsed message, and for every training example when they train.
For two COO matrices of the same dtype the result is simply their entries,
the second's columns shifted: the same ``data``, ``row`` and ``col`` arrays in
the same order as ``hstack`` gives (≈ 60 µs). Anything else (other formats,
mixed dtypes, index overflow) goes through Rasa's own code.
"""

from __future__ import annotations

from typing import Any

import numpy as np

#: Larger shapes need 64-bit indices, which ``hstack`` chooses itself.
_INT32_MAX = int(np.iinfo(np.int32).max)


def concat_coo(left: Any, right: Any) -> Any | None:
    """The COO matrix ``hstack([left, right])`` gives, or None if not a plain case.

    Args:
        left: A sparse matrix.
        right: A sparse matrix with as many rows.

    Returns:
        A ``scipy.sparse.coo_matrix`` with ``left``'s columns, then ``right``'s;
        None when either is not COO, their dtypes differ, or the result's size
        would need 64-bit indices.
    """
    import scipy.sparse

    if not (scipy.sparse.isspmatrix_coo(left) and scipy.sparse.isspmatrix_coo(right)):
        return None
    if left.dtype != right.dtype or left.row.dtype != right.row.dtype:
        return None
    rows, columns = left.shape[0], left.shape[1] + right.shape[1]
    if max(rows, columns, left.nnz + right.nnz) > _INT32_MAX:
        return None
    index = left.row.dtype
    return scipy.sparse.coo_matrix(
        (
            np.concatenate((left.data, right.data)),
            (
                np.concatenate((left.row, right.row)),
                np.concatenate((left.col, (right.col + left.shape[1]).astype(index))),
            ),
        ),
        shape=(rows, columns),
    )


#: Rasa's own combination, kept by the first install (for ``uninstall``).
_RASA_COMBINE: list[Any] = []


def install_fast_sparse_concat() -> None:
    """Make Rasa's sparse feature combination use ``concat_coo`` where it applies.

    Idempotent. The shape check and its error are Rasa's. A turn lever
    (``bot.rasa_server.turn_speedups``); the launcher also installs it for
    training.
    """
    from rasa.shared.nlu.training_data.features import Features

    if getattr(Features, "_xiaoke_fast_concat", False):
        return
    rasa_combine = Features._combine_sparse_features
    if not _RASA_COMBINE:
        _RASA_COMBINE.append(rasa_combine)

    def combine_sparse_features(self: Features, additional_features: Features) -> None:
        combined = None
        if self.features.shape[0] == additional_features.features.shape[0]:
            combined = concat_coo(self.features, additional_features.features)
        if combined is None:
            rasa_combine(self, additional_features)
            return
        self.features = combined
        self._cached_fingerprint = None

    Features._combine_sparse_features = combine_sparse_features
    Features._xiaoke_fast_concat = True


def uninstall_fast_sparse_concat() -> None:
    """Back to Rasa's combination (``scipy.sparse.hstack``)."""
    from rasa.shared.nlu.training_data.features import Features

    if _RASA_COMBINE:
        Features._combine_sparse_features = _RASA_COMBINE[0]
    Features._xiaoke_fast_concat = False
