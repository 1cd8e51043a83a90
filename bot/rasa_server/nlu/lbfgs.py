"""Unbounded L-BFGS in NumPy, for smooth objectives over many parameters.

scipy's ``minimize(method="L-BFGS-B")`` runs the bounded algorithm's Fortran
code, whose bookkeeping per iteration (the Cauchy point, the subspace
minimisation) costs as much as our objective's whole gradient when there are
hundreds of thousands of parameters and no bounds: half of
``VectorVoteIntentClassifier``'s fit went there (benchmarks/README.md, "The
vote's regression without L-BFGS-B's bookkeeping"). Without bounds the
algorithm reduces to the textbook two-loop recursion, a few BLAS dot products
per stored pair: this module.

The search direction is the two-loop recursion over the last ``memory`` pairs,
scaled by ``sᵀy / yᵀy`` (Nocedal & Wright, Algorithm 7.4); the step is the
largest of 1, ½, ¼, … that satisfies Armijo's condition, taken first as 1
(the first iteration's direction is ``−g / ‖g‖``, as L-BFGS-B starts). Pairs
without positive curvature are not kept. It stops when no gradient entry
exceeds ``gtol`` (L-BFGS-B's ``pgtol`` without bounds) or when a step lowers
the objective by less than ``ftol`` relative to it.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

#: Armijo's sufficient-decrease constant (as L-BFGS-B's line search).
_ARMIJO = 1e-4
#: Halvings of the step before the search gives up.
_MAX_HALVINGS = 40


@dataclass(frozen=True)
class LbfgsResult:
    """Where the minimisation stopped.

    Attributes:
        x: The parameters.
        fun: The objective there.
        iterations: Steps taken.
        converged: Whether it stopped on ``gtol`` or ``ftol`` (not on
            ``max_iter`` or a failed line search).
    """

    x: np.ndarray
    fun: float
    iterations: int
    converged: bool


def _direction(
    gradient: np.ndarray, pairs: deque[tuple[np.ndarray, np.ndarray, float]]
) -> np.ndarray:
    """``−H·g`` by the two-loop recursion over the stored ``(s, y, 1/sᵀy)``."""
    q = gradient.copy()
    alphas = []
    for s, y, rho in reversed(pairs):
        alpha = rho * float(s @ q)
        q -= alpha * y
        alphas.append(alpha)
    s, y, _ = pairs[-1]
    q *= float(s @ y) / float(y @ y)
    for (s, y, rho), alpha in zip(pairs, reversed(alphas), strict=True):
        beta = rho * float(y @ q)
        q += (alpha - beta) * s
    return -q


def minimize_lbfgs(
    fun_and_gradient: Callable[[np.ndarray], tuple[float, np.ndarray]],
    x0: np.ndarray,
    *,
    max_iter: int,
    gtol: float,
    ftol: float = 64 * float(np.finfo(float).eps),
    memory: int = 10,
) -> LbfgsResult:
    """Minimise a smooth function of unbounded parameters.

    Args:
        fun_and_gradient: The objective and its gradient at a point.
        x0: Where to start (not changed).
        max_iter: Most steps.
        gtol: Stop when no gradient entry exceeds this.
        ftol: Stop when a step lowers the objective by less than this, relative
            to the objective's size.
        memory: Pairs kept for the Hessian estimate (L-BFGS-B's ``maxcor``).

    Returns:
        The last point and how the search ended.
    """
    x = np.array(x0, dtype=np.float64)
    f, g = fun_and_gradient(x)
    pairs: deque[tuple[np.ndarray, np.ndarray, float]] = deque(maxlen=memory)
    for iteration in range(max_iter):
        if float(np.max(np.abs(g))) <= gtol:
            return LbfgsResult(x, float(f), iteration, True)
        if pairs:
            direction = _direction(g, pairs)
        else:
            direction = -g / float(np.linalg.norm(g))
        slope = float(g @ direction)
        if slope >= 0:  # not a descent direction: start the estimate afresh
            pairs.clear()
            direction = -g / float(np.linalg.norm(g))
            slope = float(g @ direction)
        step = 1.0
        for _ in range(_MAX_HALVINGS):
            x_new = x + step * direction
            f_new, g_new = fun_and_gradient(x_new)
            if f_new <= f + _ARMIJO * step * slope:
                break
            step *= 0.5
        else:
            return LbfgsResult(x, float(f), iteration, False)
        s, y = x_new - x, g_new - g
        curvature = float(s @ y)
        if curvature > 1e-10 * float(y @ y):
            pairs.append((s, y, 1.0 / curvature))
        decrease = (f - f_new) / max(abs(f), abs(f_new), 1.0)
        x, f, g = x_new, f_new, g_new
        if decrease <= ftol:
            return LbfgsResult(x, float(f), iteration + 1, True)
    return LbfgsResult(x, float(f), max_iter, float(np.max(np.abs(g))) <= gtol)
