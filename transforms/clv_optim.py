"""Shared maximum-likelihood driver for the CLV models (`bgnbd`, `gamma_gamma`).

Both models are fitted by minimising the *mean* negative log-likelihood over
log-parameters (so every parameter stays positive) with an analytic gradient:
L-BFGS-B first; if that does not reach a stationary point, Nelder-Mead from the
best point found and an L-BFGS-B polish. Starting values are deterministic, so a
fit is reproducible bit for bit.

Outcome classification (the ``status`` string of the fit dataclasses):
- ``converged``: finite optimum with max |gradient| <= ``GRAD_TOL``;
- ``degenerate: <why>``: a log-parameter diverged (|log| > ``DIVERGED_LOG`` in
  the models' rescaled units, i.e. a parameter outside [4.5e-5, 2.2e4]): the
  likelihood has no interior maximum, e.g. nobody ever drops out (a -> 0, b -> inf)
  or every order has the same value (p, q -> inf);
- ``not_converged: <why>``: anything else (iteration limit, line-search failure
  away from a stationary point, non-finite objective).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize

LOG_BOUND = 15.0  # |log parameter| limit, in the models' internal (rescaled) units
DIVERGED_LOG = 10.0  # |log parameter| beyond which the optimum is treated as a boundary one
GRAD_TOL = 1e-5  # max |d mean-LL / d log-parameter| accepted as stationary

Objective = Callable[[np.ndarray], tuple[float, np.ndarray]]


@dataclass(frozen=True)
class MleResult:
    log_params: np.ndarray
    converged: bool
    status: str
    iterations: int


def _lbfgsb(objective: Objective, x0: np.ndarray, max_iter: int):
    bounds = [(-LOG_BOUND, LOG_BOUND)] * len(x0)
    opts = {"maxiter": max_iter, "ftol": 1e-15, "gtol": 1e-9, "maxls": 50}
    return minimize(objective, x0, jac=True, method="L-BFGS-B", bounds=bounds, options=opts)


def _max_grad(objective: Objective, theta: np.ndarray) -> float:
    f, g = objective(theta)
    if not np.isfinite(f) or not np.all(np.isfinite(g)):
        return float("inf")
    # a component pressed against a bound is not required to be zero
    free = np.abs(theta) < LOG_BOUND - 1e-9
    return float(np.max(np.abs(g[free]), initial=0.0))


def maximise(objective: Objective, x0: np.ndarray, names: tuple[str, ...], max_iter: int) -> MleResult:
    """Minimise ``objective`` (mean negative LL and gradient over log-parameters)."""
    x0 = np.asarray(x0, dtype=float)
    res = _lbfgsb(objective, x0, max_iter)
    iterations = int(res.nit)
    best_theta, best_f = res.x, float(res.fun)
    if _max_grad(objective, best_theta) > GRAD_TOL:
        start = best_theta if np.isfinite(best_f) else x0
        nm = minimize(
            lambda th: objective(th)[0],
            start,
            method="Nelder-Mead",
            bounds=[(-LOG_BOUND, LOG_BOUND)] * len(x0),
            options={"maxiter": max_iter * len(x0), "xatol": 1e-10, "fatol": 1e-14},
        )
        polish = _lbfgsb(objective, nm.x, max_iter)
        iterations += int(nm.nit) + int(polish.nit)
        if np.isfinite(polish.fun) and (not np.isfinite(best_f) or polish.fun <= best_f):
            best_theta, best_f = polish.x, float(polish.fun)
    theta = np.asarray(best_theta, dtype=float)
    if not np.isfinite(best_f) or not np.all(np.isfinite(theta)):
        return MleResult(theta, False, "not_converged: non-finite log-likelihood", iterations)
    diverged = [n for n, th in zip(names, theta, strict=True) if abs(th) >= DIVERGED_LOG]
    if diverged:
        why = f"{', '.join(diverged)} diverged towards 0 or infinity (no interior maximum of the likelihood)"
        return MleResult(theta, False, f"degenerate: {why}", iterations)
    grad = _max_grad(objective, theta)
    if grad > GRAD_TOL:
        return MleResult(theta, False, f"not_converged: max |gradient| {grad:.2e} > {GRAD_TOL:g}", iterations)
    return MleResult(theta, True, "converged", iterations)
