"""Multinomial logistic regression over a sparse and a dense block of inputs.

``VectorVoteIntentClassifier`` learns one from ~5,000 examples: TF-IDF rows of
~14,000 n-gram columns (sparse, ~40 non-zero per row) beside a 512-dimension
sentence vector (dense). scikit-learn's ``LogisticRegression`` needs both in one
sparse matrix, so the dense vectors became sparse entries, 93 % of the matrix's
non-zeros, and every gradient went through scipy's sparse product: 20 s of a
full training (benchmarks/README.md, "Issue 17: the loop's waits, and the vote's
training"). Here the objective is scikit-learn's (1.1,
``solver="lbfgs"``, multinomial): the summed cross-entropy plus
``‖W‖² / (2C)`` (the bias not penalised), minimised by L-BFGS with
scikit-learn's stopping rule (no gradient entry above ``tol``); but each
gradient multiplies the sparse block as sparse and the dense block with BLAS,
and the optimiser is the unbounded L-BFGS of ``bot.rasa_server.nlu.lbfgs``
instead of scipy's L-BFGS-B, whose bookkeeping for bounds cost as much as the
gradients here. The optimum is the same (the problem is convex);
``tests/unit/nlu/test_softmax_regression.py`` compares the two.

Two classes get two rows (a softmax over two scores), where scikit-learn fits
one binary row: the same decision, a slightly different penalty.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse
from scipy.special import logsumexp

from bot.rasa_server.nlu.lbfgs import minimize_lbfgs


@dataclass(frozen=True)
class SoftmaxRegression:
    """A fitted regression: ``softmax(W · [sparse, dense] + b)`` over ``classes``."""

    classes: tuple[str, ...]
    weights: np.ndarray  # (classes, sparse columns + dense columns)
    bias: np.ndarray  # (classes,)
    iterations: int

    def probabilities(
        self, sparse: scipy.sparse.spmatrix, dense: np.ndarray
    ) -> np.ndarray:
        """Each row's class probabilities.

        Args:
            sparse: ``(rows, sparse columns)`` inputs.
            dense: ``(rows, dense columns)`` inputs.

        Returns:
            ``(rows, classes)``, each row summing to 1.
        """
        width = sparse.shape[1]
        scores = (
            np.asarray(sparse @ self.weights[:, :width].T)
            + dense @ self.weights[:, width:].T
            + self.bias
        )
        return np.exp(scores - logsumexp(scores, axis=1, keepdims=True))


def fit_softmax_regression(
    sparse: scipy.sparse.spmatrix,
    dense: np.ndarray,
    labels: Sequence[str],
    *,
    c: float,
    max_iter: int,
    tol: float = 1e-4,
) -> SoftmaxRegression:
    """Fit the regression (scikit-learn's objective and stopping rule).

    Args:
        sparse: ``(examples, sparse columns)`` inputs.
        dense: ``(examples, dense columns)`` inputs.
        labels: Each example's class.
        c: Inverse regularisation strength (scikit-learn's ``C``).
        max_iter: Most L-BFGS iterations.
        tol: Stop when no gradient entry exceeds this (scikit-learn's ``tol``).

    Returns:
        The fitted regression, classes sorted.

    Raises:
        ValueError: Fewer than two classes, or the blocks' rows differ.
    """
    classes, targets = np.unique(np.asarray(labels, dtype=str), return_inverse=True)
    if len(classes) < 2:
        raise ValueError("a softmax regression needs at least two classes")
    examples = len(targets)
    if sparse.shape[0] != examples or dense.shape[0] != examples:
        raise ValueError("the sparse block, the dense block and the labels differ")
    sparse_rows = scipy.sparse.csr_matrix(sparse, dtype=np.float64)
    sparse_columns = sparse_rows.T.tocsr()  # for the gradient: Xᵀ G
    dense_rows = np.ascontiguousarray(dense, dtype=np.float64)
    width, features = sparse_rows.shape[1], sparse_rows.shape[1] + dense.shape[1]
    one_hot = np.zeros((examples, len(classes)))
    one_hot[np.arange(examples), targets] = 1.0
    alpha = 1.0 / c

    def loss_and_gradient(flat: np.ndarray) -> tuple[float, np.ndarray]:
        coefficients = flat.reshape(len(classes), features + 1)
        weights, bias = coefficients[:, :features], coefficients[:, features]
        scores = (
            np.asarray(sparse_rows @ weights[:, :width].T)
            + dense_rows @ weights[:, width:].T
            + bias
        )
        normaliser = logsumexp(scores, axis=1)
        loss = normaliser.sum() - (one_hot * scores).sum()
        loss += 0.5 * alpha * float((weights * weights).sum())
        residual = np.exp(scores - normaliser[:, None]) - one_hot
        gradient = np.empty_like(coefficients)
        gradient[:, :width] = np.asarray(sparse_columns @ residual).T
        gradient[:, width:features] = residual.T @ dense_rows
        gradient[:, :features] += alpha * weights
        gradient[:, features] = residual.sum(axis=0)
        return float(loss), gradient.ravel()

    result = minimize_lbfgs(
        loss_and_gradient,
        np.zeros(len(classes) * (features + 1)),
        max_iter=max_iter,
        gtol=tol,
    )
    coefficients = result.x.reshape(len(classes), features + 1)
    return SoftmaxRegression(
        classes=tuple(str(name) for name in classes),
        weights=np.ascontiguousarray(coefficients[:, :features]),
        bias=coefficients[:, features].copy(),
        iterations=result.iterations,
    )
