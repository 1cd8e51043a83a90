"""Rasa's sparse features combined without hstack's overhead, with hstack's result."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse

from bot.rasa_server.sparse_concat import concat_coo, install_fast_sparse_concat


def coo(rows: int, columns: int, entries: int, seed: int, dtype=np.float32):
    rng = np.random.default_rng(seed)
    return scipy.sparse.coo_matrix(
        (
            rng.random(entries).astype(dtype),
            (rng.integers(0, rows, entries), rng.integers(0, columns, entries)),
        ),
        shape=(rows, columns),
    )


@pytest.mark.parametrize(
    ("rows", "left", "right", "entries"),
    [(1, 40, 60, 5), (9, 500, 1200, 40), (3, 7, 1, 0), (12, 2000, 3000, 300)],
)
def test_the_same_arrays_as_hstack(rows, left, right, entries):
    a, b = coo(rows, left, entries, 1), coo(rows, right, entries * 2, 2)

    expected = scipy.sparse.hstack([a, b])
    combined = concat_coo(a, b)

    assert combined is not None
    assert combined.format == expected.format == "coo"
    assert combined.shape == expected.shape
    assert combined.dtype == expected.dtype
    for name in ("data", "row", "col"):
        assert getattr(combined, name).dtype == getattr(expected, name).dtype
        np.testing.assert_array_equal(getattr(combined, name), getattr(expected, name))


def test_other_formats_and_mixed_dtypes_are_left_to_rasa():
    a, b = coo(3, 10, 4, 1), coo(3, 20, 4, 2)
    assert concat_coo(a.tocsr(), b) is None
    assert concat_coo(a, coo(3, 20, 4, 2, dtype=np.float64)) is None


def test_rasa_features_combine_as_before(monkeypatch):
    from rasa.shared.nlu.training_data.features import Features

    monkeypatch.setattr(
        Features, "_combine_sparse_features", Features._combine_sparse_features
    )
    monkeypatch.setattr(Features, "_xiaoke_fast_concat", False, raising=False)

    def combined_with(install: bool):
        if install:
            install_fast_sparse_concat()
        first = Features(coo(4, 30, 6, 3), "sequence", "text", "regex")
        first.combine_with_features(
            Features(coo(4, 50, 9, 4), "sequence", "text", "cv")
        )
        return first.features

    before = combined_with(install=False)
    after = combined_with(install=True)
    assert Features._xiaoke_fast_concat is True
    assert (before != after).nnz == 0
    np.testing.assert_array_equal(before.col, after.col)

    mismatched = Features(coo(4, 30, 6, 3), "sequence", "text", "regex")
    with pytest.raises(ValueError, match="sequence dimensions do not match"):
        mismatched.combine_with_features(
            Features(coo(5, 50, 9, 4), "sequence", "text", "cv")
        )
