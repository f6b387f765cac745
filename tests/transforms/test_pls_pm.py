"""PLS path modelling (transforms.pls_pm, transforms.pls_bootstrap): independent checks."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import polars as pl
import pytest

from transforms.pls_bootstrap import bootstrap, resampled_correlations
from transforms.pls_fit import fit_correlations
from transforms.pls_pm import Layout, estimate, fit_correlation, total_effects

DATA = Path(__file__).resolve().parents[1] / "data"


def _zscore(x):
    return (x - x.mean(axis=0)) / x.std(axis=0)


def _chain(n=2000, seed=1):
    """A -> B -> C with two items each, plus A -> C."""
    rng = np.random.default_rng(seed)
    a = rng.normal(size=n)
    b = 0.6 * a + rng.normal(scale=0.8, size=n)
    c = 0.3 * a + 0.5 * b + rng.normal(scale=0.7, size=n)
    cols = [f + rng.normal(scale=s, size=n) for f in (a, b, c) for s in (0.5, 0.7)]
    x = 5.5 + 1.5 * np.column_stack(cols)
    model = SimpleNamespace(
        constructs={"A": ["a1", "a2"], "B": ["b1", "b2"], "C": ["c1", "c2"]},
        paths=[("A", "B"), ("B", "C"), ("A", "C")],
    )
    return x, model, ["a1", "a2", "b1", "b2", "c1", "c2"]


def test_single_indicator_model_is_ols_on_standardised_data():
    rng = np.random.default_rng(7)
    x = rng.normal(size=(500, 3)) @ np.array([[1, 0.5, 0.3], [0, 1, 0.4], [0, 0, 1.0]])
    model = SimpleNamespace(constructs={"X": ["x"], "Y": ["y"], "Z": ["z"]}, paths=[("X", "Z"), ("Y", "Z")])
    res = estimate(x, model, ["x", "y", "z"], 0, 1)
    z = _zscore(x)
    beta, *_ = np.linalg.lstsq(z[:, :2], z[:, 2], rcond=None)
    assert res.status == "ok"
    assert res.paths[("X", "Z")] == pytest.approx(beta[0], abs=1e-10)
    assert res.paths[("Y", "Z")] == pytest.approx(beta[1], abs=1e-10)
    resid = z[:, 2] - z[:, :2] @ beta
    assert res.r2["Z"] == pytest.approx(1 - resid.var() / z[:, 2].var(), abs=1e-10)
    assert res.loadings == pytest.approx({"x": 1.0, "y": 1.0, "z": 1.0})


def test_two_constructs_path_equals_correlation_of_composites():
    x, _, names = _chain()
    model = SimpleNamespace(constructs={"A": ["a1", "a2"], "B": ["b1", "b2"]}, paths=[("A", "B")])
    res = estimate(x[:, :4], model, names[:4], 1, 10)
    z = _zscore(x[:, :4])
    w = np.array([res.outer_weights[i] for i in names[:4]])
    sa, sb = z[:, :2] @ w[:2], z[:, 2:] @ w[2:]
    assert sa.std() == pytest.approx(1.0, abs=1e-9)  # unit-variance scores
    assert res.paths[("A", "B")] == pytest.approx(np.corrcoef(sa, sb)[0, 1], abs=1e-10)
    assert res.r2["B"] == pytest.approx(res.paths[("A", "B")] ** 2, abs=1e-10)
    # loadings are correlations of each item with its construct score
    assert res.loadings["a1"] == pytest.approx(np.corrcoef(x[:, 0], sa)[0, 1], abs=1e-10)
    assert res.loadings["b2"] == pytest.approx(np.corrcoef(x[:, 3], sb)[0, 1], abs=1e-10)


def test_total_effect_is_direct_plus_product_of_indirect_paths():
    x, model, names = _chain()
    res = estimate(x, model, names, 1, 10)
    p = res.paths
    assert res.total_effects[("A", "C")] == pytest.approx(p[("A", "C")] + p[("A", "B")] * p[("B", "C")])
    assert res.total_effects[("A", "B")] == pytest.approx(p[("A", "B")])
    assert ("C", "A") not in res.total_effects
    assert all(v > 0 for v in p.values())


def test_rescaling_and_shifting_items_leave_paths_unchanged():
    x, model, names = _chain()
    base = estimate(x, model, names, 1, 10)
    y = x * np.array([2.0, 1, 0.1, 1, 1, 7]) + np.array([-3.0, 0, 100, 0, 5, 0])
    moved = estimate(y, model, names, 1, 10)
    for key, value in base.paths.items():
        assert moved.paths[key] == pytest.approx(value, abs=1e-9)
    assert moved.outer_weights == pytest.approx(base.outer_weights, abs=1e-9)


def test_sign_convention_sum_of_loadings_positive():
    """Each construct is oriented so that the sum of its loadings is >= 0. Negating every
    item of block B therefore reverses the meaning of B: loadings stay positive, paths into
    and out of B change sign, their size and every other estimate stay the same."""
    x, model, names = _chain()
    base = estimate(x, model, names, 1, 10)
    y = x.copy()
    y[:, 2:4] *= -1  # whole block B reversed
    flipped = estimate(y, model, names, -10, 0)
    assert flipped.paths[("A", "B")] == pytest.approx(-base.paths[("A", "B")], abs=1e-9)
    assert flipped.paths[("B", "C")] == pytest.approx(-base.paths[("B", "C")], abs=1e-9)
    assert flipped.paths[("A", "C")] == pytest.approx(base.paths[("A", "C")], abs=1e-9)
    assert flipped.loadings == pytest.approx(base.loadings, abs=1e-9)
    assert flipped.r2 == pytest.approx(base.r2, abs=1e-9)
    y = x.copy()
    y[:, 4] *= -1  # one item of C reversed
    one = estimate(y, model, names, -10, 10)
    assert sum(v for k, v in one.loadings.items() if k.startswith("c")) >= 0
    assert one.loadings["c1"] * one.loadings["c2"] < 0  # the reversed item now loads against its twin


def test_index_uses_outer_weights_normalised_to_one():
    """METRICS 5: sum(w_i * (mean_i - min) / (max - min)) * 100, w = outer weights normalised to sum 1."""
    x, model, names = _chain()
    res = estimate(x, model, names, 1, 10)
    raw = np.array([res.outer_weights[i] for i in names])
    wa = raw[:2] / raw[:2].sum()
    expected = 100 * np.sum(wa * (x[:, :2].mean(axis=0) - 1) / 9)
    assert res.index["A"] == pytest.approx(expected)
    assert res.index_weights["a1"] + res.index_weights["a2"] == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("mutate", "status"),
    [
        (lambda x: x.__setitem__((slice(None), 3), 4.0), "degenerate: constant item b2"),
        (lambda x: None, "too_few_responses: 5 < 10"),
    ],
)
def test_degenerate_and_too_few_have_status_and_no_numbers(mutate, status):
    x, model, names = _chain()
    x = x[:5].copy() if status.startswith("too_few") else x.copy()
    mutate(x)
    res = estimate(x, model, names, 1, 10)
    assert res.status == status
    assert not res.ok
    assert res.paths == {} and res.outer_weights == {} and res.index == {} and res.r2 == {}
    assert bootstrap(x[:1], model, names, 50, 1).path_se == {}


def test_not_converged_reports_status():
    x, model, names = _chain()
    res = estimate(x, model, names, 1, 10, tol=1e-300, max_iter=3)
    assert res.status == "not_converged" and res.paths == {} and res.iterations == 3


def _mobi():
    frame = pl.read_csv(DATA / "mobi.csv").drop("")
    return frame.to_numpy().astype(float), frame.columns


def test_published_seminr_mobi_r_squared():
    """seminr (Ray, Danks & Calero Valdez), tests/testthat/test-metric.R: the mobi data,
    composites IMAG (IMAG1-5), CUEX (CUEX1-3), PERV (PERV1-2), CUSA (CUSA1-3), all mode A,
    seminr's default path weighting; Image, Expectation, Value -> Satisfaction.
    Published fixture tests/fixtures/V_3_6_0/rsquared1.csv: Rsq 0.590603320426892,
    AdjRsq 0.585610677993074 (n = 250, 3 predictors)."""
    x, names = _mobi()
    model = SimpleNamespace(
        constructs={
            "IMAG": [f"IMAG{i}" for i in range(1, 6)],
            "CUEX": ["CUEX1", "CUEX2", "CUEX3"],
            "PERV": ["PERV1", "PERV2"],
            "CUSA": ["CUSA1", "CUSA2", "CUSA3"],
        },
        paths=[("IMAG", "CUSA"), ("CUEX", "CUSA"), ("PERV", "CUSA")],
    )
    res = estimate(x, model, names, 1, 10)
    assert res.status == "ok" and res.n == 250
    assert round(res.r2["CUSA"], 3) == round(0.590603320426892, 3)
    assert res.r2["CUSA"] == pytest.approx(0.590603320426892, abs=1e-6)
    adj = 1 - (1 - res.r2["CUSA"]) * (250 - 1) / (250 - 3 - 1)
    assert adj == pytest.approx(0.585610677993074, abs=1e-6)


ECSI = SimpleNamespace(
    constructs={
        "IMAG": [f"IMAG{i}" for i in range(1, 6)],
        "CUEX": ["CUEX1", "CUEX2", "CUEX3"],
        "PERQ": [f"PERQ{i}" for i in range(1, 8)],
        "PERV": ["PERV1", "PERV2"],
        "CUSA": ["CUSA1", "CUSA2", "CUSA3"],
        "CUSCO": ["CUSCO"],
        "CUSL": ["CUSL1", "CUSL2", "CUSL3"],
    },
    paths=[("IMAG", "CUEX"), ("IMAG", "CUSA"), ("IMAG", "CUSL"), ("CUEX", "PERQ"), ("CUEX", "PERV"),
           ("CUEX", "CUSA"), ("PERQ", "PERV"), ("PERQ", "CUSA"), ("PERV", "CUSA"), ("CUSA", "CUSCO"),
           ("CUSA", "CUSL"), ("CUSCO", "CUSL")],
)  # fmt: skip


def test_full_ecsi_mobi_model_regression_values():
    """Full ECSI model on mobi (Tenenhaus et al. 2005, CSDA 48:159-205, figure of the ECSI
    model). Values pinned from this implementation (path weighting); not a published table."""
    x, names = _mobi()
    res = estimate(x, ECSI, names, 1, 10)
    assert res.status == "ok" and res.iterations < 20
    assert res.paths[("IMAG", "CUEX")] == pytest.approx(0.5049, abs=1e-4)
    assert res.paths[("PERQ", "CUSA")] == pytest.approx(0.5120, abs=1e-4)
    assert res.paths[("CUSA", "CUSCO")] == pytest.approx(0.5281, abs=1e-4)
    assert res.r2["CUSA"] == pytest.approx(0.6811, abs=1e-4)


def test_bootstrap_reasonable_and_reproducible():
    rng = np.random.default_rng(3)
    x, model, names = _chain(n=5000, seed=3)
    x = np.column_stack([x, x[:, [0, 1, 2, 3, 4, 5, 0, 1]] + rng.normal(size=(5000, 8))])  # 14 columns
    b = bootstrap(x, model, names + [f"extra{i}" for i in range(8)], resamples=200, seed=5)
    assert b.resamples_ok == 200 and b.resamples_failed == 0
    assert all(0 < se < 0.05 for se in b.path_se.values())
    assert set(b.total_effect_se) == {("A", "B"), ("B", "C"), ("A", "C")}
    again = bootstrap(x, model, names + [f"extra{i}" for i in range(8)], resamples=200, seed=5)
    assert again.path_se == b.path_se


def test_bootstrap_drops_failed_resamples():
    x, model, names = _chain(n=40)
    x[:, 0] = 1.0
    x[0, 0] = 2.0  # a1 is constant in any resample that misses row 0 (~36%)
    b = bootstrap(x, model, names, resamples=100, seed=2)
    assert b.resamples_failed > 10 and b.resamples_ok + b.resamples_failed == 100
    assert all(np.isfinite(v) for v in b.path_se.values())


@pytest.mark.parametrize("scheme", ["path", "centroid", "factorial"])
def test_batched_fit_equals_one_matrix_at_a_time(scheme):
    """The bootstrap fits all resamples in one batch; each must get exactly what a fit of its
    matrix alone gives (own iteration count, failures included)."""
    x, model, names = _chain(n=200, seed=4)
    lay = Layout.of(model, names)
    corr, _ = resampled_correlations(x, 40, seed=1)
    same = [0, 0, 0, 0, 4, 5]  # every item of A and B is (almost) a1: A and B collinear predictors of C
    dup = corr[0][np.ix_(same, same)]
    dup[:2, 2:4] = dup[2:4, :2] = 1.0 - 1e-13  # exactly 1 would make the inner solve raise
    stack = np.concatenate([corr, dup[None]])
    for tol, max_iter in ((1e-7, 300), (1e-300, 3)):
        status, iters, w, r, b = fit_correlations(stack, lay, tol, max_iter, scheme)
        assert len(set(iters.tolist())) > 1 or max_iter == 3
        for k in range(len(stack)):
            one = fit_correlation(stack[k], lay, tol, max_iter, scheme)
            assert (status[k], iters[k]) == one[:2]
            for batched, alone in zip((w[k], r[k], b[k]), one[2:], strict=True):
                if alone is None:
                    assert np.isnan(batched).all()
                else:
                    np.testing.assert_allclose(batched, alone, rtol=0, atol=1e-12)
    if scheme == "path":
        assert fit_correlations(dup[None], lay, 1e-7, 300)[0][0] == "degenerate: collinear construct scores"


def test_bootstrap_se_is_sd_over_the_single_resample_fits():
    x, model, names = _chain(n=300, seed=6)
    b = bootstrap(x, model, names, resamples=60, seed=9)
    lay = Layout.of(model, names)
    corr, usable = resampled_correlations(x, 60, seed=9)
    betas = np.stack([fit_correlation(corr[k], lay, 1e-7, 300)[4] for k in np.flatnonzero(usable)])
    assert b.resamples_ok == len(betas) == 60
    se = np.std(betas, axis=0, ddof=1)
    te = np.std(total_effects(betas), axis=0, ddof=1)
    for (i, j), v in b.path_se.items():
        assert v == pytest.approx(se[lay.constructs.index(i), lay.constructs.index(j)], abs=1e-12)
    for (i, j), v in b.total_effect_se.items():
        assert v == pytest.approx(te[lay.constructs.index(i), lay.constructs.index(j)], abs=1e-12)
