"""A message's features combined without a deep copy: Rasa's result, nothing shared."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pytest
import scipy.sparse
from rasa.shared.nlu.constants import (
    FEATURE_TYPE_SENTENCE,
    FEATURE_TYPE_SEQUENCE,
    TEXT,
)
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message

from bot.rasa_server.feature_combine import (
    combine_features,
    install_shallow_feature_combine,
    uninstall_shallow_feature_combine,
)


def _sparse(columns: int, seed: int, kind: str = FEATURE_TYPE_SEQUENCE) -> Features:
    rng = np.random.default_rng(seed)
    rows = 4 if kind == FEATURE_TYPE_SEQUENCE else 1
    matrix = scipy.sparse.coo_matrix(
        (
            rng.random(6).astype(np.float32),
            (rng.integers(0, rows, 6), rng.integers(0, columns, 6)),
        ),
        shape=(rows, columns),
    )
    return Features(matrix, kind, TEXT, f"featurizer-{seed}")


def _dense(columns: int, seed: int) -> Features:
    rng = np.random.default_rng(seed)
    return Features(
        rng.random((1, columns)).astype(np.float32),
        FEATURE_TYPE_SENTENCE,
        TEXT,
        f"dense-{seed}",
    )


def _rasa_combine(features: list[Features], featurizers: list[str]) -> Any:
    combined = None
    for feature in features:
        if combined is None:
            combined = copy.deepcopy(feature)
            combined.origin = featurizers
        else:
            combined.combine_with_features(feature)
    return combined


def _array(features: Features) -> np.ndarray:
    matrix = features.features
    return matrix.toarray() if scipy.sparse.issparse(matrix) else matrix


def _arrays_of(matrix: Any) -> list[np.ndarray]:
    if scipy.sparse.issparse(matrix):
        return [matrix.data, matrix.row, matrix.col]
    return [matrix]


@pytest.mark.parametrize(
    "make",
    [
        lambda: [_sparse(30, 1)],
        lambda: [_sparse(30, 1), _sparse(50, 2)],
        lambda: [_sparse(30, 1), _sparse(50, 2), _sparse(8, 3)],
        lambda: [_dense(16, 4)],
        lambda: [_dense(16, 4), _dense(32, 5)],
    ],
)
def test_the_result_equals_rasas_and_shares_no_array_with_the_message(make) -> None:
    features = make()
    originals = [copy.deepcopy(feature) for feature in features]
    names = ["a", "b"]

    expected = _rasa_combine(make(), names)
    combined = combine_features(features, names)

    assert combined is not None
    assert type(combined) is type(expected)
    assert (combined.type, combined.attribute, combined.origin) == (
        expected.type,
        expected.attribute,
        expected.origin,
    )
    assert combined.features.shape == expected.features.shape
    np.testing.assert_array_equal(_array(combined), _array(expected))
    assert combined.fingerprint() == expected.fingerprint()
    for feature, original in zip(features, originals, strict=True):
        assert feature.origin == original.origin
        np.testing.assert_array_equal(_array(feature), _array(original))
        for mine in _arrays_of(combined.features):
            for theirs in _arrays_of(feature.features):
                assert not np.shares_memory(mine, theirs)


def test_nothing_to_combine_gives_none() -> None:
    assert combine_features([], ["a"]) is None


def test_installed_a_message_gives_rasas_features_and_uninstalled_rasas_again() -> None:
    rasa_method = Message.__dict__["_combine_features"]
    message = Message(data={TEXT: "我的快递到哪了"})
    for feature in (_sparse(30, 1), _sparse(50, 2)):
        message.add_features(feature)
    message.add_features(_sparse(20, 3, FEATURE_TYPE_SENTENCE))
    expected = message.get_sparse_features(TEXT)

    install_shallow_feature_combine()
    try:
        assert Message._combine_features is combine_features
        sequence, sentence = message.get_sparse_features(TEXT)
    finally:
        uninstall_shallow_feature_combine()

    assert Message.__dict__["_combine_features"] is rasa_method
    for got, want in zip((sequence, sentence), expected, strict=True):
        np.testing.assert_array_equal(_array(got), _array(want))
        assert got.origin == want.origin
