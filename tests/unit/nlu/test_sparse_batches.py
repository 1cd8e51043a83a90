"""The vectorised sparse conversion gives Rasa's arrays exactly, only in training."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse
from rasa.utils.tensorflow.data_generator import RasaDataGenerator
from rasa.utils.tensorflow.model_data import FeatureArray

from bot.rasa_server.nlu.bucketed_batches import bucketed_training
from bot.rasa_server.nlu.sparse_batches import scipy_matrix_to_values

RASA = RasaDataGenerator.__dict__["_scipy_matrix_to_values"].__func__


def _batch(lengths: list[int], fmt: str, seed: int) -> FeatureArray:
    rng = np.random.default_rng(seed)
    matrices = [
        scipy.sparse.random(
            n, 300, density=0.05, format=fmt, random_state=int(rng.integers(10**9))
        )
        for n in lengths
    ]
    return FeatureArray(np.array(matrices, dtype=object), number_of_dimensions=3)


@pytest.mark.parametrize("fmt", ["coo", "csr"])
@pytest.mark.parametrize("lengths", [[1], [3, 7, 2, 9], [5] * 16, [12, 1, 1, 4, 30, 2]])
def test_the_arrays_equal_rasas_in_values_order_and_dtype(
    fmt: str, lengths: list[int]
) -> None:
    batch = _batch(lengths, fmt, seed=len(lengths))

    ours = scipy_matrix_to_values(batch)
    theirs = RASA(batch)

    assert len(ours) == len(theirs) == 3
    for mine, rasa in zip(ours, theirs, strict=True):
        assert mine.dtype == rasa.dtype
        assert mine.shape == rasa.shape
        assert np.array_equal(mine, rasa)


def test_messages_without_any_feature_keep_their_place() -> None:
    empty = scipy.sparse.coo_matrix((4, 300))
    full = _batch([2, 3], "coo", seed=1)
    batch = FeatureArray(
        np.array([empty, full[0], empty, full[1]], dtype=object),
        number_of_dimensions=3,
    )

    ours = scipy_matrix_to_values(batch)

    for mine, rasa in zip(ours, RASA(batch), strict=True):
        assert np.array_equal(mine, rasa)
    assert set(ours[0][:, 0].tolist()) == {1, 3}


def test_the_conversion_is_swapped_only_while_training() -> None:
    with bucketed_training():
        inside = RasaDataGenerator._scipy_matrix_to_values

    assert inside is scipy_matrix_to_values
    assert RasaDataGenerator.__dict__["_scipy_matrix_to_values"].__func__ is RASA
