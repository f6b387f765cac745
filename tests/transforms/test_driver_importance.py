"""Key drivers and importance-performance (METRICS 10): transforms.driver_importance."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from transforms.driver_importance import driver_importance, driver_table, drivers, quadrant
from transforms.pls_bootstrap import BootstrapResult
from transforms.pls_pm import estimate

NAMES = ["x1", "x2", "y", "l"]
MODEL = SimpleNamespace(
    constructs={"X1": ["x1"], "X2": ["x2"], "Y": ["y"], "L": ["l"]},
    paths=[("X1", "Y"), ("X2", "Y"), ("Y", "L")],
)


def _exact(r: np.ndarray, n: int = 60, seed: int = 2) -> np.ndarray:
    """n rows, mean 0, population sds 1, sample correlation matrix exactly r."""
    z = np.random.default_rng(seed).normal(size=(n, r.shape[0]))
    z -= z.mean(axis=0)
    z = z @ np.linalg.inv(np.linalg.cholesky(np.cov(z, rowvar=False, bias=True))).T
    return z @ np.linalg.cholesky(r).T


def _hand_data() -> np.ndarray:
    r = np.array([[1, 0.5, 0.6, 0.3], [0.5, 1, 0.4, 0.2], [0.6, 0.4, 1, 0.5], [0.3, 0.2, 0.5, 1]])
    z = _exact(r)
    return np.array([4.0, 6.0, 5.0, 5.0]) + z * np.array([1.0, 1.0, 2.0, 1.0])  # means, sds


def test_hand_worked_drivers():
    """Single-item constructs on 0-10: r(X1,X2) = .5, r(X1,Y) = .6, r(X2,Y) = .4, r(Y,L) = .5.
    Paths into Y = [[1,.5],[.5,1]]^-1 (.6,.4) = (8/15, 2/15); Y -> L = .5, so the total
    effects on L are 8/15 * .5 = 4/15 and 2/15 * .5 = 1/15.
    Performance = (mean - 0)/10 * 100: X1 mean 4 -> 40, X2 mean 6 -> 60.
    Impact = 5 * total effect * sd(Y score)/sd(X score), sds 2 and 1 (x 100/10 both):
    X1 5 * 8/15 * 2 = 16/3, X2 5 * 2/15 * 2 = 4/3.
    Quadrant against the means 1/3 (importance) and 50 (performance): X1 more important and
    worse -> concentrate_here; X2 less important and better -> possible_overkill.
    Significance from the given SEs: t = (8/15)/0.2 = 2.67 yes, (2/15)/0.1 = 1.33 no,
    (4/15)/0.1 = 2.67 yes, (1/15)/0.05 = 1.33 no."""
    x = _hand_data()
    res = estimate(x, MODEL, NAMES, 0, 10, min_n=10)
    boot = BootstrapResult(
        200, 0, total_effect_se={("X1", "Y"): 0.2, ("X2", "Y"): 0.1, ("X1", "L"): 0.1, ("X2", "L"): 0.05}
    )
    t = driver_table(res, boot, x, MODEL, NAMES, 0, 10, "Y", "L").sort("driver").to_dicts()
    assert [r["driver"] for r in t] == ["X1", "X2"]
    x1, x2 = t
    assert x1["total_effect_index"] == pytest.approx(8 / 15, abs=1e-12)
    assert x2["total_effect_index"] == pytest.approx(2 / 15, abs=1e-12)
    assert x1["total_effect_loyalty"] == pytest.approx(4 / 15, abs=1e-12)
    assert x2["total_effect_loyalty"] == pytest.approx(1 / 15, abs=1e-12)
    assert (x1["performance"], x2["performance"]) == (pytest.approx(40.0), pytest.approx(60.0))
    assert x1["impact_5pt"] == pytest.approx(16 / 3, abs=1e-10)
    assert x2["impact_5pt"] == pytest.approx(4 / 3, abs=1e-10)
    assert (x1["quadrant"], x2["quadrant"]) == ("concentrate_here", "possible_overkill")
    assert (x1["is_significant_index"], x2["is_significant_index"]) == (True, False)
    assert (x1["is_significant_loyalty"], x2["is_significant_loyalty"]) == (True, False)
    assert x1["total_effect_index_se"] == 0.2 and x1["n"] == 60 and x1["weight_sum"] is None
    assert x1["status"] == "ok"


@pytest.mark.parametrize(
    ("importance", "performance", "expected"),
    [(0.5, 70, "keep_up"), (0.5, 30, "concentrate_here"), (0.1, 30, "low_priority"), (0.1, 70, "possible_overkill"),
     (0.3, 50, "low_priority")],  # equal to both means counts as below
)  # fmt: skip
def test_quadrant_against_the_means(importance, performance, expected):
    assert quadrant(importance, performance, 0.3, 50.0) == expected


def test_drivers_are_the_constructs_with_a_direct_path_to_the_index():
    assert drivers(MODEL, "Y") == ["X1", "X2"]
    assert drivers(MODEL, "L") == ["Y"]
    with pytest.raises(ValueError, match="index construct 'SAT' is not a construct of the model"):
        drivers(MODEL, "SAT")


def test_clv_weighting_with_equal_weights_is_the_equal_weighting(pls_chain):
    x, model, names = pls_chain
    equal = driver_importance(x, model, names, 1, 10, "C", None, resamples=30, seed=1)
    same = driver_importance(x, model, names, 1, 10, "C", None, np.full(len(x), 3.0), resamples=30, seed=1)
    numeric = ["total_effect_index", "total_effect_index_se", "performance", "impact_5pt"]
    np.testing.assert_allclose(equal.select(numeric).to_numpy(), same.select(numeric).to_numpy(), atol=1e-10)
    assert equal["quadrant"].to_list() == same["quadrant"].to_list()
    assert equal["weight_sum"].null_count() == 2 and same["weight_sum"].to_list() == [900.0, 900.0]
    assert equal["total_effect_loyalty"].null_count() == 2  # no loyalty construct named


def test_integer_clv_weights_are_repeated_responses(pls_chain):
    """The point estimates (not the bootstrap, which resamples n responses) of integer weights
    equal those of each response repeated that many times."""
    x, model, names = pls_chain
    reps = np.arange(len(x)) % 4 + 1
    res_w = estimate(x, model, names, 1, 10, weights=reps)
    rep = np.repeat(x, reps, axis=0)
    res_r = estimate(rep, model, names, 1, 10)
    w = driver_table(res_w, None, x, model, names, 1, 10, "C", "C", reps)
    r = driver_table(res_r, None, rep, model, names, 1, 10, "C", "C")
    cols = ["total_effect_index", "total_effect_loyalty", "performance", "impact_5pt"]
    np.testing.assert_allclose(w.select(cols).to_numpy(), r.select(cols).to_numpy(), atol=1e-10)
    assert w["total_effect_index_se"].null_count() == 2 and w["is_significant_index"].null_count() == 2


def test_model_not_estimated_gives_status_rows(pls_chain):
    x, model, names = pls_chain
    out = driver_importance(x[:20], model, names, 1, 10, "C", None, min_n=100)
    assert out["driver"].to_list() == ["A", "B"]
    assert out["status"].to_list() == ["too_few_responses: 20 < 100"] * 2
    assert out["total_effect_index"].null_count() == 2 and out["n"].to_list() == [20, 20]
