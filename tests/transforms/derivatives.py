"""Finite-difference check of an objective's analytic gradient and Hessian (CLV model tests)."""

from __future__ import annotations

import numpy as np

EPS = 1e-6


def assert_derivatives_match(objective, theta: np.ndarray) -> None:
    """`objective(theta, with_hessian)` -> (value, gradient, Hessian): central differences of the
    value and of the gradient must give the analytic gradient and Hessian; the Hessian is symmetric."""
    _, grad, hess = objective(theta, True)
    steps = EPS * np.eye(len(theta))
    fd_grad = [(objective(theta + e)[0] - objective(theta - e)[0]) / (2 * EPS) for e in steps]
    fd_hess = np.array([(objective(theta + e)[1] - objective(theta - e)[1]) / (2 * EPS) for e in steps])
    np.testing.assert_allclose(grad, fd_grad, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(hess, fd_hess, rtol=1e-5, atol=1e-7)
    np.testing.assert_array_equal(hess, hess.T)
