"""NPS parts, score, standard error, interval and change test (METRICS.md section 2)."""

from __future__ import annotations

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from transforms.nps import nps_change_significant, nps_derived, nps_parts


def test_ten_answers_by_hand():
    # 4 promoters (9, 10, 9, 10), 3 passives (7, 8, 7), 3 detractors (0, 5, 6)
    # nps = 100 * (4 - 3) / 10 = 10.0
    # se = 100 * sqrt((0.4 + 0.3 - (0.4 - 0.3)^2) / 10) = 100 * sqrt(0.069) = 26.267851073127396
    # ci = 10 -/+ 1.96 * 26.267851073127396 = -41.4849881033297 / 61.4849881033297
    frame = pl.LazyFrame({"nps_answer": [9, 10, 9, 10, 7, 8, 7, 0, 5, 6]})
    out = frame.select(nps_parts()).with_columns(nps_derived(1.96)).collect()
    expected = pl.DataFrame(
        {
            "nps_n": [10],
            "promoters": [4],
            "passives": [3],
            "detractors": [3],
            "nps": [10.0],
            "nps_se": [26.267851073127396],
            "nps_ci_low": [-41.48498810332970],
            "nps_ci_high": [61.48498810332970],
        }
    )
    assert_frame_equal(out, expected)


def test_zero_n_gives_null_ratios():
    frame = pl.LazyFrame({"nps_answer": [None, None]}, schema={"nps_answer": pl.Int64})
    out = frame.select(nps_parts()).with_columns(nps_derived()).collect()
    assert out.row(0) == (0, 0, 0, 0, None, None, None, None)


def test_change_significance():
    # threshold = 1.96 * sqrt(5^2 + 5^2) = 13.859292911256333
    frame = pl.LazyFrame(
        {
            "nps_delta": [14.0, 13.8, -14.0, 20.0],
            "nps_se": [5.0, 5.0, 5.0, 5.0],
            "nps_se_prev": [5.0, 5.0, 5.0, None],
        }
    )
    out = frame.select(sig=nps_change_significant()).collect()
    assert out["sig"].to_list() == [True, False, True, None]


def test_missing_column_raises():
    with pytest.raises(pl.exceptions.ColumnNotFoundError):
        pl.LazyFrame({"answer": [1]}).select(nps_parts()).collect()
