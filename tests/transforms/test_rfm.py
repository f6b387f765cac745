"""R/F/M scores with ties and the R x F segment grid (METRICS.md section 7)."""

from __future__ import annotations

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from transforms.rfm import DEFAULT_RFM_GRID, SEGMENTS, rfm_scores, rfm_segment, validate_grid


def test_scores_with_ties_by_hand():
    # n = 6 in the population (p, a prospect, has frequency null and gets no scores).
    # R (larger recency worse): recency 30,30,10,10,5,1 -> rank_min 1,1,3,3,5,6
    #   score = 1 + floor(5*(rank-1)/6): rank1 -> 1, rank3 -> 1 + 10//6 = 2, rank5 -> 1 + 20//6 = 4,
    #   rank6 -> 1 + 25//6 = 5
    # F (smaller worse): freq 1,1,1,2,5,5 -> rank_min 1,1,1,4,5,5 -> 1,1,1, 1+15//6=3, 4, 4
    # M (smaller worse): monetary 10,50,50,50,200,-5 -> rank_min 2,3,3,3,6,1
    #   -> 1+5//6=1, 1+10//6=2, 2, 2, 5, 1
    frame = pl.LazyFrame(
        {
            "as_of_date": [1] * 7,
            "customer_id": ["a", "b", "c", "d", "e", "f", "p"],
            "recency_days": [30, 30, 10, 10, 5, 1, None],
            "frequency": [1, 1, 1, 2, 5, 5, None],
            "monetary": [10.0, 50.0, 50.0, 50.0, 200.0, -5.0, None],
        }
    )
    out = rfm_segment(rfm_scores(frame)).sort("customer_id").collect()
    expected = pl.DataFrame(
        {
            "customer_id": ["a", "b", "c", "d", "e", "f", "p"],
            "r_score": [1, 1, 2, 2, 4, 5, None],
            "f_score": [1, 1, 1, 3, 4, 4, None],
            "m_score": [1, 2, 2, 2, 5, 1, None],
            # grid: 1,1 Lost; 2,1 Hibernating; 2,3 At risk; 4,4 Loyal; 5,4 Champions
            "rfm_segment": ["Lost", "Lost", "Hibernating", "At risk", "Loyal", "Champions", None],
        },
        schema_overrides={"r_score": pl.Int8, "f_score": pl.Int8, "m_score": pl.Int8},
    )
    assert_frame_equal(out.select(expected.columns), expected)


def test_scores_are_per_snapshot():
    frame = pl.LazyFrame(
        {"as_of_date": [1, 1, 2], "recency_days": [1, 2, 9], "frequency": [1, 1, 1], "monetary": [1.0, 2.0, 3.0]}
    )
    out = rfm_scores(frame).sort("as_of_date", "recency_days").collect()
    # date 1: n=2, R ranks (desc recency) 2 -> 1+5//2=3, 1 -> 1; date 2 alone: rank 1 -> 1
    assert out["r_score"].to_list() == [3, 1, 1]


def test_default_grid_covers_all_cells_and_segments():
    assert len(DEFAULT_RFM_GRID) == 25
    assert set(DEFAULT_RFM_GRID.values()) == set(SEGMENTS)
    assert DEFAULT_RFM_GRID["5,5"] == "Champions" and DEFAULT_RFM_GRID["1,5"] == "Cannot lose"


def test_incomplete_or_unknown_grid_is_refused():
    grid = dict(DEFAULT_RFM_GRID)
    del grid["3,3"]
    with pytest.raises(ValueError, match=r"missing keys \['3,3'\]"):
        validate_grid(grid)
    with pytest.raises(ValueError, match="unknown segments"):
        validate_grid({**DEFAULT_RFM_GRID, "3,3": "VIP"})
