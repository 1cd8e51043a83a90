"""The vote's regression on two blocks: scikit-learn's optimum, found faster."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse
from sklearn.linear_model import LogisticRegression

from bot.rasa_server.nlu.softmax_regression import fit_softmax_regression


def _problem(
    classes: int, seed: int
) -> tuple[scipy.sparse.csr_matrix, np.ndarray, list[str]]:
    """Sparse counts and dense vectors whose classes overlap (no perfect split)."""
    rng = np.random.default_rng(seed)
    examples = 240
    labels = [f"intent_{i % classes}" for i in range(examples)]
    centres = rng.normal(size=(classes, 8))
    dense = np.array([centres[i % classes] for i in range(examples)])
    dense += rng.normal(scale=1.5, size=dense.shape)
    sparse = scipy.sparse.random(
        examples, 60, density=0.08, random_state=seed, format="csr"
    )
    return sparse, dense, labels


def _objective(weights, bias, inputs, labels, classes, c) -> float:
    """scikit-learn's multinomial objective: cross-entropy + ‖W‖² / (2C)."""
    scores = inputs @ weights.T + bias
    scores -= scores.max(axis=1, keepdims=True)
    log_p = scores - np.log(np.exp(scores).sum(axis=1, keepdims=True))
    rows = np.arange(len(labels))
    columns = np.array([classes.index(label) for label in labels])
    return float(-log_p[rows, columns].sum() + (weights**2).sum() / (2 * c))


@pytest.mark.parametrize(("classes", "c"), [(3, 4.0), (5, 32.0)])
def test_the_probabilities_are_scikit_learns(classes: int, c: float) -> None:
    sparse, dense, labels = _problem(classes, seed=classes)
    reference = LogisticRegression(C=c, max_iter=3000, tol=1e-8).fit(
        scipy.sparse.hstack([sparse, scipy.sparse.csr_matrix(dense)]).tocsr(), labels
    )

    fitted = fit_softmax_regression(sparse, dense, labels, c=c, max_iter=3000, tol=1e-8)

    assert fitted.classes == tuple(reference.classes_)
    np.testing.assert_allclose(
        fitted.probabilities(sparse, dense),
        reference.predict_proba(
            scipy.sparse.hstack([sparse, scipy.sparse.csr_matrix(dense)]).tocsr()
        ),
        atol=5e-4,
    )
    # At C = 32 the objective is flat in some directions: where L-BFGS stops
    # there depends on the BLAS kernel's rounding (0.0056 apart on one machine,
    # 0.0003 on another), while a penalty 5 % off moves weights by 0.05–0.15.
    np.testing.assert_allclose(fitted.weights, reference.coef_, atol=2e-2)
    np.testing.assert_allclose(fitted.bias, reference.intercept_, atol=2e-2)
    inputs = scipy.sparse.hstack([sparse, scipy.sparse.csr_matrix(dense)]).tocsr()
    ours = _objective(fitted.weights, fitted.bias, inputs, labels, fitted.classes, c)
    theirs = _objective(
        reference.coef_, reference.intercept_, inputs, labels, fitted.classes, c
    )
    assert ours <= theirs * (1 + 1e-6)


def test_the_penalty_pulls_the_weights_in() -> None:
    sparse, dense, labels = _problem(3, seed=7)

    loose = fit_softmax_regression(sparse, dense, labels, c=100.0, max_iter=3000)
    tight = fit_softmax_regression(sparse, dense, labels, c=0.01, max_iter=3000)

    assert np.abs(tight.weights).sum() < 0.1 * np.abs(loose.weights).sum()


def test_two_classes_decide_as_scikit_learn() -> None:
    sparse, dense, labels = _problem(2, seed=11)
    inputs = scipy.sparse.hstack([sparse, scipy.sparse.csr_matrix(dense)]).tocsr()
    reference = LogisticRegression(C=4.0, max_iter=3000).fit(inputs, labels)

    fitted = fit_softmax_regression(sparse, dense, labels, c=4.0, max_iter=3000)

    probabilities = fitted.probabilities(sparse, dense)
    assert probabilities.shape == (240, 2)
    predicted = [fitted.classes[i] for i in probabilities.argmax(axis=1)]
    agree = np.mean(np.array(predicted) == reference.predict(inputs))
    assert agree >= 0.98


def test_one_class_or_mismatched_rows_are_refused() -> None:
    sparse, dense, labels = _problem(3, seed=1)

    with pytest.raises(ValueError, match="two classes"):
        fit_softmax_regression(sparse, dense, ["a"] * 240, c=1.0, max_iter=10)
    with pytest.raises(ValueError, match="differ"):
        fit_softmax_regression(sparse, dense[:-1], labels, c=1.0, max_iter=10)
