"""The NumPy L-BFGS finds the minima scipy's L-BFGS-B finds, and stops as told."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.optimize

from bot.rasa_server.nlu.lbfgs import minimize_lbfgs


def _quadratic(size: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    basis = rng.normal(size=(size, size))
    hessian = basis @ basis.T + np.diag(rng.uniform(0.1, 10.0, size))
    return hessian, rng.normal(size=size)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_quadratic_reaches_its_solution(seed: int) -> None:
    hessian, linear = _quadratic(40, seed)

    def fun(x: np.ndarray) -> tuple[float, np.ndarray]:
        return 0.5 * float(x @ hessian @ x) - float(linear @ x), hessian @ x - linear

    result = minimize_lbfgs(fun, np.zeros(40), max_iter=2000, gtol=1e-8)
    assert result.converged
    np.testing.assert_allclose(result.x, np.linalg.solve(hessian, linear), atol=1e-6)


def test_rosenbrock_as_scipy_finds_it() -> None:
    start = np.array([-1.2, 1.0, -0.5, 0.8])
    ours = minimize_lbfgs(
        lambda x: (scipy.optimize.rosen(x), scipy.optimize.rosen_der(x)),
        start,
        max_iter=5000,
        gtol=1e-7,
    )
    theirs = scipy.optimize.minimize(
        scipy.optimize.rosen, start, jac=scipy.optimize.rosen_der, method="L-BFGS-B"
    )
    assert ours.converged
    np.testing.assert_allclose(ours.x, np.ones(4), atol=1e-5)
    assert ours.fun <= theirs.fun + 1e-10


def test_it_stops_at_max_iter_unconverged() -> None:
    hessian, linear = _quadratic(30, 5)

    def fun(x: np.ndarray) -> tuple[float, np.ndarray]:
        return 0.5 * float(x @ hessian @ x) - float(linear @ x), hessian @ x - linear

    result = minimize_lbfgs(fun, np.zeros(30), max_iter=3, gtol=1e-12)
    assert result.iterations == 3
    assert not result.converged


def test_a_start_at_the_minimum_takes_no_step() -> None:
    calls = []

    def fun(x: np.ndarray) -> tuple[float, np.ndarray]:
        calls.append(x.copy())
        return float(x @ x), 2 * x

    start = np.zeros(5)
    result = minimize_lbfgs(fun, start, max_iter=100, gtol=1e-6)
    assert (result.iterations, result.converged, len(calls)) == (0, True, 1)
    assert result.x is not start  # the caller's array is left alone
