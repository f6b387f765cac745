"""Linear-interpolation percentiles (METRICS.md section 0)."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from transforms.quantile import median, percentile


def test_even_count_median_is_mean_of_middle_two_and_p90_interpolates():
    # sorted 1, 2, 3, 10: median = (2 + 3) / 2 = 2.5; p90: h = 3 * 0.9 = 2.7 -> 3 + 0.7 * (10 - 3) = 7.9
    frame = pl.LazyFrame({"x": [10.0, 1.0, 3.0, 2.0]})
    out = frame.select(median=median("x"), p90=percentile("x", 0.9), p0=percentile("x", 0.0)).collect()
    assert_frame_equal(out, pl.DataFrame({"median": [2.5], "p90": [7.9], "p0": [1.0]}))
    assert out["p90"][0] == pytest.approx(np.quantile([1, 2, 3, 10], 0.9))  # numpy default agrees


def test_polars_default_interpolation_differs():
    frame = pl.DataFrame({"x": [1.0, 2.0, 3.0, 10.0]})
    assert frame.select(pl.col("x").quantile(0.5)).item() != frame.select(median("x")).item()


def test_per_group_ignores_nulls_and_empty_group_is_null():
    frame = pl.LazyFrame({"g": ["a", "a", "a", "b"], "x": [1, None, 4, None]})
    out = frame.group_by("g").agg(m=median("x")).sort("g").collect()
    assert_frame_equal(out, pl.DataFrame({"g": ["a", "b"], "m": [2.5, None]}))


def test_q_out_of_range_raises():
    with pytest.raises(ValueError, match="q must be in"):
        percentile("x", 1.5)


def test_matches_duckdb_quantile_cont():
    import duckdb

    values = [7.0, 1.0, 4.0, 4.0, 10.0, 2.5]
    con = duckdb.connect()
    con.execute("CREATE TABLE t AS SELECT unnest(?::DOUBLE[]) AS x", [values])
    expected = con.execute("SELECT quantile_cont(x, 0.5), quantile_cont(x, 0.9) FROM t").fetchone()
    got = pl.DataFrame({"x": values}).select(median("x"), percentile("x", 0.9).alias("p90")).row(0)
    assert got == pytest.approx(expected)  # (4.0, 8.5): sorted 1, 2.5, 4, 4, 7, 10; h = 4.5 -> 7 + 0.5 * 3
