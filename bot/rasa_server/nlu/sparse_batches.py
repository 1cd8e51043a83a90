"""A batch's sparse features as TensorFlow wants them, built with a few array calls.

Rasa's ``RasaDataGenerator._scipy_matrix_to_values`` turns a batch of sparse
matrices (one per message) into the ``(indices, values, shape)`` triple of a
``tf.SparseTensor``. It stacks three small arrays per message and then joins them:
on our training data that was ≈ 0.8 ms per feature of every batch, ≈ 14 s of a
training's CPU (py-spy, 2026-12-04), in the thread that prepares batches beside
TensorFlow on the same two cores. :func:`scipy_matrix_to_values` builds the same
arrays (same order, same dtypes) with one concatenation per column (≈ 0.25 ms).
Dialogue features (4 dimensions, TEDPolicy) keep Rasa's own conversion.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse
from rasa.utils.tensorflow.data_generator import RasaDataGenerator
from rasa.utils.tensorflow.model_data import FeatureArray


def scipy_matrix_to_values(array_of_sparse: FeatureArray) -> list[np.ndarray]:
    """Rasa's ``_scipy_matrix_to_values``, vectorised; same result.

    Args:
        array_of_sparse: One sparse matrix (sequence × features) per message.

    Returns:
        The ``int64`` indices (message, row, column) of every stored value, the
        ``float32`` values and the ``int64`` dense shape (messages, longest
        sequence, features).
    """
    if array_of_sparse.number_of_dimensions == 4:
        return RasaDataGenerator._4d_scipy_matrix_to_values(array_of_sparse)
    matrices = [
        x if isinstance(x, scipy.sparse.coo_matrix) else x.tocoo()
        for x in array_of_sparse
    ]
    sizes = [x.nnz for x in matrices]
    indices = np.empty((sum(sizes), 3), dtype=np.int64)
    indices[:, 0] = np.repeat(np.arange(len(matrices)), sizes)
    indices[:, 1] = np.concatenate([x.row for x in matrices])
    indices[:, 2] = np.concatenate([x.col for x in matrices])
    values = np.concatenate([x.data for x in matrices]).astype(np.float32)
    shape = np.array(
        (
            len(matrices),
            max(x.shape[0] for x in matrices),
            matrices[0].shape[-1],
        ),
        dtype=np.int64,
    )
    return [indices, values, shape]
