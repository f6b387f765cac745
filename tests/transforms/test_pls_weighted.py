"""Weighted PLS (METRICS 10, Becker & Ismail 2016): transforms.pls_pm / pls_bootstrap with weights."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest

from transforms.pls_bootstrap import bootstrap
from transforms.pls_pm import estimate


def _same(a, b, tol):
    for field in ("outer_weights", "loadings", "paths", "r2", "total_effects", "index_weights", "index"):
        assert getattr(a, field) == pytest.approx(getattr(b, field), abs=tol), field


def test_equal_weights_give_the_unweighted_result(pls_chain):
    x, model, names = pls_chain
    plain = estimate(x, model, names, 1, 10)
    weighted = estimate(x, model, names, 1, 10, weights=np.full(len(x), 2.5))
    assert plain.ok and weighted.ok and plain.weight_sum is None
    assert weighted.weight_sum == pytest.approx(2.5 * len(x))
    _same(plain, weighted, 1e-12)
    assert weighted.iterations == plain.iterations


def test_integer_weights_give_the_result_of_repeating_rows(pls_chain):
    x, model, names = pls_chain
    reps = np.arange(len(x)) % 4 + 1  # 1, 2, 3, 4, 1, ...
    weighted = estimate(x, model, names, 1, 10, weights=reps)
    repeated = estimate(np.repeat(x, reps, axis=0), model, names, 1, 10)
    _same(weighted, repeated, 1e-10)
    assert weighted.n == len(x) and repeated.n == reps.sum() == weighted.weight_sum
    # and the weighting does change the estimate (the rows are not exchangeable)
    assert abs(weighted.paths[("A", "B")] - estimate(x, model, names, 1, 10).paths[("A", "B")]) > 1e-6


def test_hand_worked_two_construct_case():
    """x = (1, 2, 3), y = (1, 3, 2), weights (1, 2, 1); single-item constructs X -> Y, scale 1-3.
    Normalised weights p = (1/4, 1/2, 1/4): weighted means 2 and 9/4; weighted variances
    1/4 + 1/4 = 1/2 and (1/4)(25/16) + (1/2)(9/16) + (1/4)(1/16) = 11/16; covariance
    (1/4)(-1)(-5/4) + 0 + (1/4)(1)(-1/4) = 1/4. Path = corr = (1/4) / sqrt(11/32), R^2 = 2/11;
    index X = (2 - 1)/2 * 100 = 50, Y = (9/4 - 1)/2 * 100 = 62.5. (Unweighted: corr = 0.5.)"""
    model = SimpleNamespace(constructs={"X": ["x"], "Y": ["y"]}, paths=[("X", "Y")])
    data = np.array([[1.0, 1.0], [2.0, 3.0], [3.0, 2.0]])
    res = estimate(data, model, ["x", "y"], 1, 3, min_n=2, weights=[1, 2, 1])
    assert res.paths[("X", "Y")] == pytest.approx(0.25 / math.sqrt(11 / 32), abs=1e-12)
    assert res.r2["Y"] == pytest.approx(2 / 11, abs=1e-12)
    assert res.index == pytest.approx({"X": 50.0, "Y": 62.5}, abs=1e-12)
    assert res.weight_sum == 4.0
    assert estimate(data, model, ["x", "y"], 1, 3, min_n=2).paths[("X", "Y")] == pytest.approx(0.5)


def test_bootstrap_with_equal_weights_equals_the_unweighted_bootstrap(pls_chain):
    x, model, names = pls_chain
    plain = bootstrap(x, model, names, resamples=40, seed=3)
    weighted = bootstrap(x, model, names, resamples=40, seed=3, weights=np.full(len(x), 7.0))
    assert weighted.resamples_ok == plain.resamples_ok == 40
    assert weighted.path_se == pytest.approx(plain.path_se, abs=1e-10)
    assert weighted.total_effect_se == pytest.approx(plain.total_effect_se, abs=1e-10)


def test_bootstrap_resamples_responses_with_their_weights(pls_chain):
    """A resample is drawn as without weights (same seed, same counts); each drawn response
    carries its weight, so its SE differs from the unweighted one but stays of the same size."""
    x, model, names = pls_chain
    w = np.where(np.arange(len(x)) % 3 == 0, 5.0, 1.0)
    plain = bootstrap(x, model, names, resamples=60, seed=4)
    weighted = bootstrap(x, model, names, resamples=60, seed=4, weights=w)
    assert weighted.resamples_ok == 60
    for key, se in weighted.path_se.items():
        assert 0.3 * plain.path_se[key] < se < 3 * plain.path_se[key]
        assert se != pytest.approx(plain.path_se[key], rel=1e-6)


@pytest.mark.parametrize(
    ("weights", "message"),
    [([1.0, 2.0], "weights: 2 values for 300 responses"), (None, "weights must be finite and > 0")],
)
def test_bad_weights_are_refused_in_one_line(pls_chain, weights, message):
    x, model, names = pls_chain
    if weights is None:
        weights = np.ones(len(x))
        weights[5] = 0.0
    with pytest.raises(ValueError, match=message):
        estimate(x, model, names, 1, 10, weights=weights)
