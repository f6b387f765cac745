"""Shared maximum-likelihood driver for the CLV models (`bgnbd`, `gamma_gamma`).

Both models are fitted by minimising the *mean* negative log-likelihood over
log-parameters (so every parameter stays positive) with analytic gradient and
Hessian: a projected Newton method with Levenberg-Marquardt damping on the box
|log parameter| <= ``LOG_BOUND``. If that diverges or stops short of a stationary
point, L-BFGS-B from the same start (the better of the two is kept); if the best is
still interior but not stationary, Nelder-Mead from it and a Newton polish.
Starting values are deterministic, so a fit is reproducible bit for bit.

Why Newton first: with 3-4 parameters it needs ~10 evaluations where L-BFGS-B needs
~25-50, and scipy >= 1.15's L-BFGS-B calls LAPACK on tiny matrices through a
multi-threaded OpenBLAS whose spinning worker threads cost more CPU than the
likelihood itself (scipy issues 22438, 23191).

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
NEWTON_GTOL = 1e-9  # Newton stops below this max |gradient| ...
NEWTON_FTOL = 1e-15  # ... or when the predicted decrease is this small relative to |f| (rounding level)
MAX_STEP = 2.0  # largest Newton step per log-parameter (a factor e^2)

# objective(theta, hessian) -> (f, gradient, Hessian if asked else None) of the function to minimise
Objective = Callable[[np.ndarray, bool], tuple[float, np.ndarray, np.ndarray | None]]


@dataclass(frozen=True)
class MleResult:
    log_params: np.ndarray
    converged: bool
    status: str
    iterations: int


def dot(u: np.ndarray, v: np.ndarray) -> float:
    """Inner product without BLAS: OpenBLAS threads long dot products and its idle worker
    threads then spin, which multiplied the fits' CPU time on a busy machine."""
    return float(np.einsum("i,i->", u, v))


def penalised(mean_loglik: Callable, penalizer: float) -> Objective:
    """Objective for `maximise`: -mean_loglik(theta, hessian) + penalizer * |theta|^2."""

    def objective(theta: np.ndarray, hess: bool) -> tuple[float, np.ndarray, np.ndarray | None]:
        ll, g, h = mean_loglik(theta, hess)
        f, g = -ll + penalizer * float(theta @ theta), -g + 2.0 * penalizer * theta
        return f, g, (None if h is None else -h + 2.0 * penalizer * np.eye(theta.size))

    return objective


def _finite(*values) -> bool:
    return all(np.all(np.isfinite(v)) for v in values)


def _newton(objective: Objective, x0: np.ndarray, max_iter: int) -> tuple[np.ndarray, float, np.ndarray, int]:
    """(theta, f, gradient, iterations): projected, damped Newton from x0 on the box."""
    theta = np.clip(x0, -LOG_BOUND, LOG_BOUND)
    f, g, h = objective(theta, True)
    mu, it = 0.0, 0
    while it < max_iter and _finite(f, g, h):
        it += 1
        # a component at a bound whose gradient points outwards stays there
        free = ~(((theta <= -LOG_BOUND) & (g > 0)) | ((theta >= LOG_BOUND) & (g < 0)))
        gf, hf = g[free], h[np.ix_(free, free)]
        # diverging (a boundary optimum, judged with L-BFGS-B's help in maximise) or stationary
        if np.max(np.abs(gf), initial=0.0) <= NEWTON_GTOL or np.abs(theta).max() >= DIVERGED_LOG:
            break
        lowest = float(np.linalg.eigvalsh(hf)[0])
        shift = max(mu, 1e-8 * max(1.0, float(np.abs(np.diag(hf)).max())) - lowest)  # positive definite
        step = np.zeros_like(theta)
        step[free] = -np.linalg.solve(hf + shift * np.eye(gf.size), gf)
        step *= min(1.0, MAX_STEP / float(np.abs(step).max()))
        s = np.clip(theta + step, -LOG_BOUND, LOG_BOUND) - theta
        predicted = -float(g @ s + 0.5 * s @ h @ s)
        if shift == mu == 0.0 and predicted <= NEWTON_FTOL * max(abs(f), 1.0):
            break
        ft, gt, ht = objective(theta + s, True)
        if _finite(ft, gt, ht) and ft <= f + 1e-4 * float(g @ s):
            theta, f, g, h = theta + s, ft, gt, ht
            mu = mu / 4.0 if mu > 1e-12 else 0.0
        elif np.abs(s).max() < 1e-12:
            break
        else:  # damp towards a shorter, more gradient-like step
            mu = max(4.0 * mu, 1e-3 * max(1.0, float(np.abs(np.diag(hf)).max())))
    return theta, float(f), g, it


def _max_grad(theta: np.ndarray, f: float, g: np.ndarray) -> float:
    if not _finite(f, g):
        return float("inf")
    # a component pressed against a bound is not required to be zero
    free = np.abs(theta) < LOG_BOUND - 1e-9
    return float(np.max(np.abs(g[free]), initial=0.0))


def _better(cur: tuple, new: tuple) -> tuple:
    """The (theta, f, gradient, iterations) candidate with the lower finite f; ties keep cur."""
    better = np.isfinite(new[1]) and (not np.isfinite(cur[1]) or new[1] < cur[1])
    return (*(new if better else cur)[:3], cur[3] + new[3])


def maximise(objective: Objective, x0: np.ndarray, names: tuple[str, ...], max_iter: int) -> MleResult:
    """Minimise ``objective`` (mean negative LL, gradient, Hessian over log-parameters)."""
    x0 = np.asarray(x0, dtype=float)
    best = _newton(objective, x0, max_iter)
    if np.any(np.abs(best[0]) >= DIVERGED_LOG) or _max_grad(*best[:3]) > GRAD_TOL:
        # From the same start L-BFGS-B can end in another basin (an interior maximum where
        # Newton ran off to a, b -> inf, or the reverse), so a boundary or failed fit tries both.
        lb = minimize(
            lambda th: objective(th, False)[:2],
            x0,
            jac=True,
            method="L-BFGS-B",
            bounds=[(-LOG_BOUND, LOG_BOUND)] * len(x0),
            options={"maxiter": max_iter, "ftol": 1e-15, "gtol": 1e-9, "maxls": 50},
        )
        best = _better(best, (lb.x, float(lb.fun), objective(lb.x, False)[1], int(lb.nit)))
    if _max_grad(*best[:3]) > GRAD_TOL and np.abs(best[0]).max() < DIVERGED_LOG:
        nm = minimize(
            lambda th: objective(th, False)[0],
            best[0] if np.isfinite(best[1]) else x0,
            method="Nelder-Mead",
            bounds=[(-LOG_BOUND, LOG_BOUND)] * len(x0),
            options={"maxiter": max_iter * len(x0), "xatol": 1e-10, "fatol": 1e-14},
        )
        polish = _newton(objective, nm.x, max_iter)
        best = _better(best, (*polish[:3], polish[3] + int(nm.nit)))
    theta, f, g, iterations = best
    theta = np.asarray(theta, dtype=float)
    if not np.isfinite(f) or not np.all(np.isfinite(theta)):
        return MleResult(theta, False, "not_converged: non-finite log-likelihood", iterations)
    diverged = [n for n, th in zip(names, theta, strict=True) if abs(th) >= DIVERGED_LOG]
    if diverged:
        why = f"{', '.join(diverged)} diverged towards 0 or infinity (no interior maximum of the likelihood)"
        return MleResult(theta, False, f"degenerate: {why}", iterations)
    grad = _max_grad(theta, f, g)
    if grad > GRAD_TOL:
        return MleResult(theta, False, f"not_converged: max |gradient| {grad:.2e} > {GRAD_TOL:g}", iterations)
    return MleResult(theta, True, "converged", iterations)
