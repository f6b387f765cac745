"""mart_kano_quarterly (METRICS.md section 4): the evaluation table cell by cell, ties, Berger."""

from __future__ import annotations

from datetime import date, datetime

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from csi.catalog import load_catalog
from csi.settings import CONFIG_DIR
from csi.warehouse.frame_schema import validate_frame
from csi.warehouse.tables_marts_satisfaction import MART_KANO_QUARTERLY
from transforms.kano import EVALUATION_TABLE, build_kano_quarterly

CATALOG = load_catalog(CONFIG_DIR / "instruments.yaml")
Q1 = date(2026, 1, 1)
T = datetime(2026, 2, 10)
SCHEMA = {"response_id": pl.String, "question_id": pl.String, "submitted_at": pl.Datetime("us"),
          "answer": pl.Float64}  # fmt: skip

# (functional, dysfunctional) -> category, METRICS.md section 4, written out cell by cell.
CELLS = {
    (1, 1): "Q", (1, 2): "A", (1, 3): "A", (1, 4): "A", (1, 5): "O",
    (2, 1): "R", (2, 2): "I", (2, 3): "I", (2, 4): "I", (2, 5): "M",
    (3, 1): "R", (3, 2): "I", (3, 3): "I", (3, 4): "I", (3, 5): "M",
    (4, 1): "R", (4, 2): "I", (4, 3): "I", (4, 4): "I", (4, 5): "M",
    (5, 1): "R", (5, 2): "R", (5, 3): "R", (5, 4): "R", (5, 5): "Q",
}  # fmt: skip


def pair(rid: str, f: int, d: int, feature: str = "mobile_app", when: datetime = T) -> list[tuple]:
    return [(rid, f"kano_f_{feature}", when, float(f)), (rid, f"kano_d_{feature}", when, float(d))]


def build(data: list[tuple], **kw) -> pl.DataFrame:
    out = build_kano_quarterly(pl.LazyFrame(data, schema=SCHEMA, orient="row"), CATALOG.lazy(), **kw).collect()
    validate_frame(MART_KANO_QUARTERLY, out)
    return out


def test_evaluation_table_is_the_documented_5x5():
    assert {(f, d): c for f, d, c in EVALUATION_TABLE.iter_rows()} == CELLS


@pytest.mark.parametrize(("fd", "category"), sorted(CELLS.items()))
def test_each_cell_end_to_end(fd: tuple[int, int], category: str):
    out = build(pair("r1", *fd))
    assert out.select("n", "category").row(0) == (1, category)
    assert out.select(f"{category.lower()}_count").item() == 1


def test_all_25_cells_counts_and_berger():
    out = build([row for i, fd in enumerate(CELLS) for row in pair(f"r{i}", *fd)])
    # Q 2, A 3, O 1, M 3, I 9, R 7; better = (3 + 1) / 16 = 0.25; worse = -(1 + 3) / 16 = -0.25
    expected = pl.DataFrame(
        {
            "quarter": [Q1],
            "feature": ["mobile_app"],
            "n": [25],
            "a_count": [3],
            "o_count": [1],
            "m_count": [3],
            "i_count": [9],
            "r_count": [7],
            "q_count": [2],
            "category": ["I"],
            "better": [0.25],
            "worse": [-0.25],
        },  # fmt: skip
    )
    assert_frame_equal(out, expected)


@pytest.mark.parametrize(
    ("pairs", "winner"),
    [
        ([(2, 5), (2, 5), (1, 5), (1, 5)], "M"),  # M 2 = O 2
        ([(1, 5), (1, 5), (1, 2), (1, 2)], "O"),  # O 2 = A 2
        ([(1, 2), (2, 2)], "A"),  # A = I
        ([(2, 2), (2, 1)], "I"),  # I = R
        ([(2, 1), (1, 1)], "R"),  # R = Q
        ([(2, 5), (1, 1), (1, 1)], "Q"),  # Q most frequent
    ],
)
def test_tie_break_order(pairs: list[tuple[int, int]], winner: str):
    out = build([row for i, fd in enumerate(pairs) for row in pair(f"r{i}", *fd)])
    assert out["category"].item() == winner


def test_berger_null_without_a_o_m_i_and_incomplete_pairs_ignored():
    data = pair("r1", 2, 1) + pair("r2", 1, 1) + [("r3", "kano_f_mobile_app", T, 1.0)]
    out = build(data)
    assert out.select("n", "r_count", "q_count", "better", "worse").row(0) == (2, 1, 1, None, None)


def test_quarter_of_submitted_at_and_quarters_filter():
    data = pair("r1", 1, 2, when=datetime(2026, 3, 31, 23, 59)) + pair("r2", 1, 5, when=datetime(2026, 4, 1))
    out = build(data)
    assert out.select("quarter", "category").rows() == [(Q1, "A"), (date(2026, 4, 1), "O")]
    assert build(data, quarters=[date(2026, 5, 17)]).select("quarter").rows() == [(date(2026, 4, 1),)]


def test_features_come_from_the_catalog():
    out = build(pair("r1", 1, 5, "free_returns") + pair("r1", 2, 5, "live_chat"))
    assert out.select("feature", "category").rows() == [("free_returns", "O"), ("live_chat", "M")]


def test_missing_catalog_column_raises():
    with pytest.raises(ValueError, match=r"catalog: missing column\(s\) \['feature'\]"):
        build_kano_quarterly(pl.LazyFrame(schema=SCHEMA), CATALOG.drop("feature").lazy())
