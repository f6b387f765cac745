"""mart_acsi_model: the ACSI/ECSI cause-and-effect model per quarter (METRICS.md 5).

One row per estimate. Every (quarter, site_id) that is reported has exactly one
kind='status' row (n, iterations, status); when status == 'ok' the estimate rows follow
with the same status. site_id 'ALL' pools all sites and is reported for every quarter
(even with too few responses, so the quarter says so); a site is reported only in
quarters where it has >= site_min complete responses. See docs/acsi-model.md.
"""

from __future__ import annotations

from datetime import date
from typing import Protocol

import numpy as np
import polars as pl

from transforms.mart_columns import ACSI_MODEL_SCHEMA as MART_SCHEMA
from transforms.pls_bootstrap import BootstrapResult, bootstrap
from transforms.pls_pm import ModelLike, PlsResult, estimate


class SatisfactionModel(ModelLike, Protocol):
    """What the mart needs of a configured model (csi.catalog.SatisfactionModel has it): transforms
    import nothing from csi."""

    name: str

    @property
    def items(self) -> list[str]: ...



def complete_responses(answers: pl.LazyFrame, items: list[str]) -> pl.LazyFrame:
    """Wide frame (response_id, site_id, quarter, *items) of responses answering every item.

    A response's quarter is that of its latest answer (as fct_survey_response.submitted_at).
    """
    per_item = [
        pl.col("answer").filter(pl.col("question_id") == item).drop_nulls().first().alias(item)
        for item in items
    ]
    return (
        answers.group_by("response_id")
        .agg(
            pl.col("site_id").sort_by("submitted_at").last(),
            pl.col("submitted_at").max().dt.truncate("1q").cast(pl.Date).alias("quarter"),
            *per_item,
        )
        .drop_nulls(items)
    )


def _rows(res: PlsResult, boot: BootstrapResult | None, model: SatisfactionModel, base: dict) -> list[dict]:
    st = {"n": res.n, "iterations": res.iterations, "status": res.status}
    rows = [{**base, **st, "kind": "status"}]
    if not res.ok:
        return rows
    owner = {i: c for c, its in model.constructs.items() for i in its}
    for kind, values in (
        ("outer_weight", res.outer_weights),
        ("loading", res.loadings),
        ("index_weight", res.index_weights),
    ):
        rows += [
            {**base, **st, "kind": kind, "construct": owner[i], "item": i, "estimate": v}
            for i, v in values.items()
        ]
    path_se = boot.path_se if boot else {}
    total_se = boot.total_effect_se if boot else {}
    for kind, values, ses in (("path", res.paths, path_se), ("total_effect", res.total_effects, total_se)):
        rows += [
            {
                **base,
                **st,
                "kind": kind,
                "from_construct": a,
                "to_construct": b,
                "estimate": v,
                "std_error": ses.get((a, b)),
            }
            for (a, b), v in values.items()
        ]
    rows += [{**base, **st, "kind": "r2", "construct": c, "estimate": v} for c, v in res.r2.items()]
    rows += [{**base, **st, "kind": "index", "construct": c, "estimate": v} for c, v in res.index.items()]
    return rows


def build_acsi_model(
    answers: pl.LazyFrame,
    model: SatisfactionModel,
    catalog: pl.LazyFrame,
    quarters: list[date] | None = None,
    min_complete: int = 100,
    site_min: int = 200,
    tol: float = 1e-7,
    max_iter: int = 300,
    resamples: int = 200,
    seed: int = 20261123,
) -> pl.LazyFrame:
    """mart_acsi_model from fct_survey_answer (columns in MART_SCHEMA order)."""
    items = model.items
    scales = (
        catalog.filter(pl.col("question_id").is_in(items))
        .select("question_id", "scale_min", "scale_max")
        .collect()
    )
    lookup = {r["question_id"]: (r["scale_min"], r["scale_max"]) for r in scales.iter_rows(named=True)}
    missing = [i for i in items if i not in lookup]
    if missing:
        raise ValueError(f"catalog lacks scales for model items {missing}")
    lo = np.array([lookup[i][0] for i in items], dtype=float)
    hi = np.array([lookup[i][1] for i in items], dtype=float)
    wide = complete_responses(answers, items).collect().sort("response_id")  # the bootstrap depends on row order
    if quarters is None:
        quarters = sorted(wide["quarter"].unique().to_list())
    rows: list[dict] = []
    for q in quarters:
        cell = wide.filter(pl.col("quarter") == q)
        counts = cell.group_by("site_id").len().filter(pl.col("len") >= site_min)
        for site in ["ALL", *sorted(counts["site_id"].to_list())]:
            sub = cell if site == "ALL" else cell.filter(pl.col("site_id") == site)
            x = sub.select(items).to_numpy().astype(float)
            res = estimate(x, model, items, lo, hi, tol, max_iter, min_n=min_complete)
            boot = bootstrap(x, model, items, resamples, seed, tol, max_iter) if res.ok else None
            base = {"quarter": q, "site_id": site, "model_name": model.name}
            rows += _rows(res, boot, model, base)
    return pl.DataFrame(rows, schema=MART_SCHEMA).lazy()


def sat_weights(
    mart: pl.LazyFrame, construct: str, model_name: str | None = None, site_id: str | None = None
) -> pl.LazyFrame:
    """(quarter, site_id, item, weight): the index construct's normalised weights (sum 1).

    `construct` is the configured model's index construct (SatisfactionModel.index_construct),
    `model_name` its name (mart rows of another model are left out). These are the construct's
    outer weights normalised to sum 1 (METRICS 2 and 5), the weights of its 0-100 index, for
    satisfaction_model_weights.apply_model_weights, which uses a site's own weights where
    they exist and the 'ALL' ones otherwise. Only cells whose model was estimated ('ok') have
    weights; site_id=None keeps every reported site, a site_id only that one.
    """
    sel = mart.filter(
        (pl.col("kind") == "index_weight") & (pl.col("construct") == construct) & (pl.col("status") == "ok")
    )
    if model_name is not None:
        sel = sel.filter(pl.col("model_name") == model_name)
    if site_id is not None:
        sel = sel.filter(pl.col("site_id") == site_id)
    return sel.select("quarter", "site_id", "item", pl.col("estimate").alias("weight")).sort(
        "quarter", "site_id", "item"
    )
