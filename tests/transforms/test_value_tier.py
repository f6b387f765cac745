"""Value tiers at exact cut-off boundaries and with negative margins (METRICS.md section 7)."""

from __future__ import annotations

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from transforms.value_tier import TierCutoffs, value_tiers


def test_exact_boundaries_of_ten():
    # n = 10, margins 100, 90, ..., 10: rank_share = rank/10.
    # rank 2 -> 0.2 <= 0.20 platinum; 3 -> gold; 5 -> 0.5 gold; 6 -> iron; 8 -> 0.8 iron; 9 -> lead.
    # (in floats 3/10 = 0.30000000000000004 etc.; the integer test is exact)
    ids = [f"c{i:02d}" for i in range(10)]
    frame = pl.LazyFrame(
        {"as_of_date": [1] * 10, "customer_id": ids, "frequency": [1] * 10,
         "margin_365d": [100.0 - 10 * i for i in range(10)]}
    )  # fmt: skip
    out = value_tiers(frame).sort("rank_365d").collect()
    expected = pl.DataFrame(
        {
            "customer_id": ids,
            "rank_365d": list(range(1, 11)),
            "rank_share": [i / 10 for i in range(1, 11)],
            "value_tier": ["platinum"] * 2 + ["gold"] * 3 + ["iron"] * 3 + ["lead"] * 2,
        }
    )
    assert_frame_equal(out.select(expected.columns), expected)


def test_ties_by_customer_id_bytes_and_negative_margin_is_lead():
    # Margins: B=50, a=50 (tie: "B" < "a" in bytes), z=0 (no activity), n=-1 (negative), p prospect.
    # n = 4: B rank 1 (0.25 -> gold), a rank 2 (0.5 gold), z rank 3 (0.75 iron), n rank 4 lead.
    # With cut-offs platinum 0.25: B platinum. A negative margin is lead even at rank 1.
    frame = pl.LazyFrame(
        {"as_of_date": [1] * 5, "customer_id": ["a", "B", "z", "n", "p"], "frequency": [2, 1, 1, 3, None],
         "margin_365d": [50.0, 50.0, 0.0, -1.0, None]}
    )  # fmt: skip
    out = value_tiers(frame, TierCutoffs.from_mapping({"gold": 0.5, "platinum": 0.25, "iron": 0.8}))
    out = out.sort("customer_id").collect().select("customer_id", "rank_365d", "value_tier")
    expected = pl.DataFrame(
        {"customer_id": ["B", "a", "n", "p", "z"], "rank_365d": [1, 2, 4, None, 3],
         "value_tier": ["platinum", "gold", "lead", None, "iron"]}
    )  # fmt: skip
    assert_frame_equal(out, expected)
    alone = pl.LazyFrame({"as_of_date": [1], "customer_id": ["x"], "frequency": [1], "margin_365d": [-0.01]})
    assert value_tiers(alone).collect()["value_tier"].to_list() == ["lead"]


@pytest.mark.parametrize("bounds", [{"platinum": 0.5, "gold": 0.5}, {"platinum": 1.2}, {"lead": 0.3}])
def test_bad_cutoffs_are_refused(bounds):
    frame = pl.LazyFrame({"as_of_date": [1], "customer_id": ["x"], "frequency": [1], "margin_365d": [1.0]})
    with pytest.raises(ValueError, match="tier cut-offs"):
        value_tiers(frame, TierCutoffs.from_mapping(bounds))
