"""PLS measurement-model quality (METRICS 11): transforms.pls_quality."""

from __future__ import annotations

import math
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import polars as pl
import pytest

from transforms.pls_pm import estimate
from transforms.pls_quality import QualityThresholds, cronbach_alpha, htmt, measurement_quality

DATA = Path(__file__).resolve().parents[1] / "data"

MOBI4 = SimpleNamespace(
    constructs={
        "IMAG": [f"IMAG{i}" for i in range(1, 6)],
        "CUEX": ["CUEX1", "CUEX2", "CUEX3"],
        "PERV": ["PERV1", "PERV2"],
        "CUSA": ["CUSA1", "CUSA2", "CUSA3"],
    },
    paths=[("IMAG", "CUSA"), ("CUEX", "CUSA"), ("PERV", "CUSA")],
)


def _mobi():
    frame = pl.read_csv(DATA / "mobi.csv").drop("")
    return frame.to_numpy().astype(float), frame.columns


def _value(q: pl.DataFrame, kind: str, **keys) -> tuple[float | None, str | None]:
    sel = q.filter(pl.col("kind") == kind, *[pl.col(k) == v for k, v in keys.items()])
    assert sel.height == 1, (kind, keys)
    return sel["estimate"][0], sel["flag"][0]


def test_mobi_reliability_matches_seminr():
    """seminr (sem-in-r/seminr) tests/fixtures/V_3_6_0/reliability.csv, written by
    tests/testthat/test-summary.R from summary(estimate_pls(mobi, ...))$reliability for this
    model (Image IMAG1-5, Expectation CUEX1-3, Value PERV1-2, Satisfaction CUSA1-3, mode A,
    path weighting; Image, Expectation, Value -> Satisfaction). Columns alpha, rhoC, AVE, rhoA.
    rho_C and AVE follow from the loadings (METRICS 11 formulas); alpha from the data alone."""
    published = {
        "IMAG": (0.722834595427083, 0.818325774056256, 0.477979834838268, 0.745291554480322),
        "CUEX": (0.451902555978063, 0.733177801505283, 0.480507046633952, 0.461657986928213),
        "PERV": (0.823631979352573, 0.917897281748515, 0.84831067540365, 0.857527048393235),
        "CUSA": (0.779195021918597, 0.871457927643628, 0.693363990925202, 0.784023593590752),
    }
    x, names = _mobi()
    res = estimate(x, MOBI4, names, 1, 10)
    q = measurement_quality(x, MOBI4, names, res)
    for c, (alpha, rho_c, ave, rho_a) in published.items():
        assert _value(q, "alpha", construct=c)[0] == pytest.approx(alpha, abs=1e-9)
        assert _value(q, "rho_c", construct=c)[0] == pytest.approx(rho_c, abs=1e-6)
        assert _value(q, "ave", construct=c)[0] == pytest.approx(ave, abs=1e-6)
        assert _value(q, "rho_a", construct=c)[0] == pytest.approx(rho_a, abs=1e-6)
    # flags: IMAG's AVE 0.478 < 0.5, CUEX's alpha 0.452 < 0.7, PERV all fine
    assert _value(q, "ave", construct="IMAG")[1] == "fail"
    assert _value(q, "alpha", construct="CUEX")[1] == "fail"
    assert set(q.filter(pl.col("construct") == "PERV", pl.col("kind") != "loading")["flag"]) == {"ok"}


def test_mobi_htmt_matches_seminr():
    """seminr tests/fixtures/V_3_6_0/boot_HTMT.csv, column 'PLS Est.' (the HTMT of the
    estimate; same mobi model, tests/testthat/test-bootstrap.R). Flags: < 0.85 ok, up to
    0.90 warning, above fail."""
    x, names = _mobi()
    q = measurement_quality(x, MOBI4, names, estimate(x, MOBI4, names, 1, 10))
    published = {
        ("IMAG", "CUEX"): (0.88803042750925, "warning"),
        ("IMAG", "PERV"): (0.651659392487802, "ok"),
        ("IMAG", "CUSA"): (0.910100923782741, "fail"),
        ("CUEX", "PERV"): (0.588628982316289, "ok"),
        ("CUEX", "CUSA"): (0.865108193553153, "warning"),
        ("PERV", "CUSA"): (0.740808927759395, "ok"),
    }
    for (a, b), (v, flag) in published.items():
        got, got_flag = _value(q, "htmt", from_construct=a, to_construct=b)
        assert got == pytest.approx(v, abs=1e-9)
        assert got_flag == flag


def test_single_item_constructs_have_null_reliability_with_a_reason():
    x, names = _mobi()
    ecsi = SimpleNamespace(
        constructs={"CUSA": ["CUSA1", "CUSA2", "CUSA3"], "CUSCO": ["CUSCO"], "CUSL": ["CUSL1", "CUSL2", "CUSL3"]},
        paths=[("CUSA", "CUSCO"), ("CUSA", "CUSL"), ("CUSCO", "CUSL")],
    )
    q = measurement_quality(x, ecsi, names, estimate(x, ecsi, names, 1, 10))
    single = q.filter(pl.col("construct") == "CUSCO", pl.col("kind") != "loading")
    assert sorted(single["kind"]) == ["alpha", "ave", "rho_a", "rho_c"]
    assert single["estimate"].null_count() == 4 and single["flag"].null_count() == 4
    assert single["note"].unique().to_list() == ["single-item construct: no reliability figures"]
    pair = q.filter(pl.col("kind") == "htmt", pl.col("to_construct") == "CUSCO")
    assert pair["estimate"][0] is None and "two or more items" in pair["note"][0]
    assert _value(q, "loading", item="CUSCO")[0] == pytest.approx(1.0)


def test_cronbach_alpha_hand_worked():
    """Three standardised items, every correlation 0.5: sum of S = 3 + 6 * 0.5 = 6,
    alpha = 3/2 * (1 - 3/6) = 0.75."""
    s = np.full((3, 3), 0.5) + 0.5 * np.eye(3)
    assert cronbach_alpha(s) == pytest.approx(0.75, abs=1e-15)


def test_htmt_hand_worked():
    """Block A (items 0, 1) r = 0.6, block B (items 2, 3) r = 0.4, cross correlations
    0.3, 0.3, -0.3, 0.3 (absolute values count): HTMT = 0.3 / sqrt(0.6 * 0.4) = 0.612372..."""
    s = np.array([[1, 0.6, 0.3, 0.3], [0.6, 1, -0.3, 0.3], [0.3, -0.3, 1, 0.4], [0.3, 0.3, 0.4, 1]])
    assert htmt(s, np.array([0, 1]), np.array([2, 3])) == pytest.approx(0.3 / math.sqrt(0.24), abs=1e-15)


def _exact_correlation(r: np.ndarray, n: int = 50, seed: int = 1) -> np.ndarray:
    """n rows whose sample correlation matrix is exactly r (whitened noise times chol(r)')."""
    z = np.random.default_rng(seed).normal(size=(n, r.shape[0]))
    z -= z.mean(axis=0)
    z = z @ np.linalg.inv(np.linalg.cholesky(np.cov(z, rowvar=False, bias=True))).T
    return 4.0 + z @ np.linalg.cholesky(r).T


def test_vif_and_f2_hand_worked():
    """Single-item constructs X1, X2 -> Y with r(X1, X2) = 0.5, r(X1, Y) = 0.6, r(X2, Y) = 0.4.
    VIF = 1 / (1 - 0.5^2) = 4/3 for both. Paths = [[1, .5], [.5, 1]]^-1 (.6, .4) = (8/15, 2/15),
    R^2 = (8/15)(.6) + (2/15)(.4) = 28/75; without X1: R^2 = 0.4^2 = 12/75; without X2:
    0.6^2 = 27/75. f2(X1) = (28 - 12)/(75 - 28) = 16/47, f2(X2) = (28 - 27)/47 = 1/47."""
    r = np.array([[1, 0.5, 0.6], [0.5, 1, 0.4], [0.6, 0.4, 1]])
    x = _exact_correlation(r)
    model = SimpleNamespace(constructs={"X1": ["x1"], "X2": ["x2"], "Y": ["y"]}, paths=[("X1", "Y"), ("X2", "Y")])
    res = estimate(x, model, ["x1", "x2", "y"], 0, 10)
    assert res.r2["Y"] == pytest.approx(28 / 75, abs=1e-12)
    q = measurement_quality(x, model, ["x1", "x2", "y"], res)
    assert _value(q, "vif", from_construct="X1", to_construct="Y") == (pytest.approx(4 / 3, abs=1e-12), "ok")
    assert _value(q, "vif", from_construct="X2", to_construct="Y")[0] == pytest.approx(4 / 3, abs=1e-12)
    assert _value(q, "f2", from_construct="X1", to_construct="Y") == (pytest.approx(16 / 47, abs=1e-12), None)
    assert _value(q, "f2", from_construct="X2", to_construct="Y")[0] == pytest.approx(1 / 47, abs=1e-12)
    # thresholds are configuration: with vif_max 1.2, VIF 4/3 is a warning up to 1.4 and a fail past 1.3
    strict = measurement_quality(
        x, model, ["x1", "x2", "y"], res, thresholds=QualityThresholds(vif_max=1.2, vif_warn=1.4)
    )
    assert _value(strict, "vif", from_construct="X1", to_construct="Y")[1] == "warning"
    stricter = measurement_quality(
        x, model, ["x1", "x2", "y"], res, thresholds=QualityThresholds(vif_max=1.2, vif_warn=1.3)
    )
    assert _value(stricter, "vif", from_construct="X1", to_construct="Y")[1] == "fail"


def test_loading_flags_and_weighted_quality(pls_chain):
    """Loading flag: >= 0.708 ok. Weighted: quality of a weighted estimate uses the weighted
    correlations, so integer weights give the figures of the repeated rows."""
    x, model, names = pls_chain
    reps = np.arange(len(x)) % 3 + 1
    res = estimate(x, model, names, 1, 10, weights=reps)
    q = measurement_quality(x, model, names, res, weights=reps)
    rep = np.repeat(x, reps, axis=0)
    q_rep = measurement_quality(rep, model, names, estimate(rep, model, names, 1, 10))
    np.testing.assert_allclose(q["estimate"].to_numpy(), q_rep["estimate"].to_numpy(), atol=1e-10)
    assert q["flag"].to_list() == q_rep["flag"].to_list()
    loads = q.filter(pl.col("kind") == "loading")
    assert all((f == "ok") == (v >= 0.708) for v, f in zip(loads["estimate"], loads["flag"], strict=True))


def test_not_estimated_model_has_no_quality_rows(pls_chain):
    x, model, names = pls_chain
    res = estimate(x[:5], model, names, 1, 10)
    assert not res.ok
    assert measurement_quality(x[:5], model, names, res).is_empty()
