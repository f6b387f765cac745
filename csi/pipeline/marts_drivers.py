"""The insight families of the two models: key drivers and measurement quality of the
satisfaction model (METRICS 10 and 11), and the CLV model's holdout validation (METRICS 12).

Drivers and quality (`refresh_drivers`, quarterly): one cell per (quarter, site_id) that
mart_acsi_model reports, so they run after the ACSI model and, for the CLV weights, after the
customer snapshots. Per cell two estimates of the configured model:
- `equal`: the model of mart_acsi_model re-estimated on the same complete responses (cheap: no
  bootstrap), with the total effects' bootstrap standard errors taken from mart_acsi_model, so
  the two marts agree and the bootstrap is not paid twice;
- `clv`: weighted PLS on the cell's responses of identified customers, each weighted by the
  customer's clv_365d in the latest mart_customer_value snapshot on or before the quarter's
  last day (for the running quarter: the newest snapshot); responses of anonymous customers,
  of customers not in that snapshot or with clv_365d null or <= 0 are left out; bootstrapped
  with the configured resamples and seed, each response keeping its weight.
A quarter's rows depend on its responses and on that snapshot, so they are recomputed from the
quarter of the earliest dirty date of either grain ('date': the responses, 'snapshot': the
customer snapshots, which every load dirties from its business date on).

CLV validation (`refresh_clv_validation`, per as-of date): every snapshot date D at least
clv_holdout_days after the first order (METRICS 12); the rows of D read the orders on or before
D only, so the dates from the dirty snapshot date on are recomputed (a nightly run: one date).
Responses are sorted by response_id before estimating, so the bootstrap draws the same
resamples in an incremental and in a full refresh.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import polars as pl
from threadpoolctl import threadpool_limits

from csi.catalog import SatisfactionModel, load_catalog, load_model
from csi.pipeline.marts_customers import snapshot_dates
from csi.settings import Settings
from csi.warehouse import mart_inputs as inputs
from csi.warehouse import tables_marts_drivers as dm
from csi.warehouse.dirty_periods import dirty_since
from csi.warehouse.engine import Tx
from transforms.acsi_model import complete_responses
from transforms.calendar import quarter_start
from transforms.clv_validation import VALIDATION_SCHEMA, clv_validation, validation_dates
from transforms.driver_importance import DRIVER_SCHEMA, driver_table
from transforms.pls_bootstrap import BootstrapResult, bootstrap
from transforms.pls_pm import PlsResult, estimate
from transforms.pls_quality import QUALITY_SCHEMA, QualityThresholds, measurement_quality

CELL = {"quarter": pl.Date, "site_id": pl.String, "model_name": pl.String, "weighting": pl.String}


def quarter_end(q: date) -> date:
    """The last day of the quarter starting on q."""
    nxt = date(q.year + 1, 1, 1) if q.month == 10 else date(q.year, q.month + 3, 1)
    return nxt - timedelta(days=1)


def thresholds(settings: Settings) -> QualityThresholds:
    c = settings.acsi_model
    return QualityThresholds(
        loading_min=c.quality_loading_min, reliability_min=c.quality_reliability_min, ave_min=c.quality_ave_min,
        htmt_max=c.quality_htmt_max, htmt_warn=c.quality_htmt_warn, vif_max=c.quality_vif_max,
        vif_warn=c.quality_vif_warn)  # fmt: skip


def item_scales(settings: Settings, items: list[str]) -> tuple[np.ndarray, np.ndarray]:
    scales = load_catalog(settings.instrument_catalog).filter(pl.col("question_id").is_in(items))
    lookup = {r["question_id"]: (r["scale_min"], r["scale_max"]) for r in scales.iter_rows(named=True)}
    missing = [i for i in items if i not in lookup]
    if missing:
        raise ValueError(f"{settings.instrument_catalog}: the catalog lacks scales for model items {missing}")
    return (np.array([lookup[i][0] for i in items], dtype=float), np.array([lookup[i][1] for i in items], dtype=float))


def clv_weights(tx: Tx, quarter: date) -> tuple[date | None, pl.DataFrame]:
    """(snapshot date, customer_id -> clv_365d > 0) of the latest snapshot on or before the quarter's end."""
    snap = inputs.latest_value_snapshot(tx, quarter_end(quarter))
    if snap is None:
        return None, pl.DataFrame(schema={"customer_id": pl.String, "clv_365d": pl.Float64})
    return snap, inputs.positive_clv_of_snapshot(tx, snap).collect()


class _Cells:
    """Estimates one cell's model under a weighting and collects both marts' rows."""

    def __init__(self, settings: Settings, model: SatisfactionModel) -> None:
        self.cfg, self.model, self.items = settings.acsi_model, model, model.items
        self.lo, self.hi = item_scales(settings, model.items)
        self.thresholds = thresholds(settings)
        self.loyalty = self.cfg.loyalty_construct
        self.drivers: list[pl.DataFrame] = []
        self.quality: list[pl.DataFrame] = []

    def estimate(self, x: np.ndarray, weights: np.ndarray | None) -> PlsResult:
        c = self.cfg
        return estimate(x, self.model, self.items, self.lo, self.hi, c.tolerance, c.max_iterations,
                        min_n=c.min_complete_responses, weights=weights)

    def add(self, cell: dict, x: np.ndarray, res: PlsResult, boot: BootstrapResult | None,
            weights: np.ndarray | None, snap: date | None) -> None:  # fmt: skip
        base = [pl.lit(v, dtype=t).alias(k) for k, t in CELL.items() for v in [cell[k]]]
        drivers = driver_table(res, boot, x, self.model, self.items, self.lo, self.hi, self.model.index_construct,
                               self.loyalty, weights)
        self.drivers.append(drivers.with_columns(*base, pl.lit(snap, dtype=pl.Date).alias("weights_as_of_date")))
        quality = measurement_quality(x, self.model, self.items, res, weights, self.thresholds)
        self.quality.append(quality.with_columns(*base, pl.lit(res.n, dtype=pl.Int64).alias("n")))

    def frames(self) -> tuple[pl.DataFrame, pl.DataFrame]:
        empty_d = pl.DataFrame(schema={**CELL, **DRIVER_SCHEMA, "weights_as_of_date": pl.Date})
        empty_q = pl.DataFrame(schema={**CELL, **QUALITY_SCHEMA, "n": pl.Int64})
        return (pl.concat([empty_d, *self.drivers], how="diagonal"),
                pl.concat([empty_q, *self.quality], how="diagonal"))


def _published_se(mart: pl.DataFrame) -> dict[tuple[date, str], dict[tuple[str, str], float]]:
    """(quarter, site_id) -> total-effect bootstrap SEs of mart_acsi_model."""
    out: dict[tuple[date, str], dict[tuple[str, str], float]] = {}
    for r in mart.filter((pl.col("kind") == "total_effect") & pl.col("std_error").is_not_null()).iter_rows(
            named=True):
        out.setdefault((r["quarter"], r["site_id"]), {})[(r["from_construct"], r["to_construct"])] = r["std_error"]
    return out


def refresh_drivers(tx: Tx, settings: Settings, since: date) -> None:
    """mart_driver_importance and mart_pls_quality from the quarter of the earliest dirty date on."""

    q0 = quarter_start(min(d for d in (since, dirty_since(tx, "date"), dirty_since(tx, "snapshot")) if d))
    cfg = settings.acsi_model
    model = load_model(cfg.model)

    answers = inputs.answers_of_responses_since(tx, q0, ("response_id", "site_id", "submitted_at", "question_id",
                                                         "answer"))
    customers = inputs.identified_responses_since(tx, q0).collect()
    wide = (complete_responses(answers, model.items).collect()
            .join(customers, on="response_id", how="left").sort("response_id"))  # fmt: skip
    published = inputs.acsi_status_and_effects_since(tx, q0, model.name).collect()
    ses = _published_se(published)
    cells = _Cells(settings, model)
    status_rows = published.filter(pl.col("kind") == "status").sort("quarter", "site_id")
    weights_of: dict[date, tuple[date | None, pl.DataFrame]] = {}
    for q, site in status_rows.select("quarter", "site_id").iter_rows():
        sub = wide.filter(pl.col("quarter") == q)
        if site != "ALL":
            sub = sub.filter(pl.col("site_id") == site)
        x = sub.select(model.items).to_numpy().astype(float)
        res = cells.estimate(x, None)
        boot = BootstrapResult(0, 0, total_effect_se=ses.get((q, site), {})) if res.ok else None
        cell = {"quarter": q, "site_id": site, "model_name": model.name}
        cells.add({**cell, "weighting": "equal"}, x, res, boot, None, None)

        if q not in weights_of:
            weights_of[q] = clv_weights(tx, q)
        snap, values = weights_of[q]
        weighted = sub.join(values, on="customer_id", how="inner").sort("response_id")
        xw = weighted.select(model.items).to_numpy().astype(float)
        w = weighted["clv_365d"].to_numpy().astype(float)
        res_w = cells.estimate(xw, w) if snap is not None else PlsResult(
            f"no_clv_snapshot: no mart_customer_value snapshot on or before {quarter_end(q)}", 0, 0)
        boot_w = bootstrap(xw, model, model.items, cfg.bootstrap_resamples, cfg.bootstrap_seed, cfg.tolerance,
                           cfg.max_iterations, weights=w) if res_w.ok else None  # fmt: skip
        cells.add({**cell, "weighting": "clv"}, xw, res_w, boot_w, w, snap)
    drivers, quality = cells.frames()
    tx.replace_partitions_from(dm.MART_DRIVER_IMPORTANCE, drivers.lazy(), q0)
    tx.replace_partitions_from(dm.MART_PLS_QUALITY, quality.lazy(), q0)


def sale_orders(tx: Tx) -> pl.DataFrame:
    """One row per sale order (customer_id, order_date: the order's first date), as section 7 counts them."""
    lines = inputs.sale_lines_of_customers(tx).collect()
    return lines.group_by("customer_id", "order_id").agg(pl.col("order_date").min()).sort("customer_id", "order_id")


def refresh_clv_validation(tx: Tx, settings: Settings, since: date) -> None:
    """mart_clv_validation for every validation as-of date from `since` on (METRICS 12)."""
    holdout = settings.customer_value.clv_holdout_days
    orders = sale_orders(tx)
    first = orders["order_date"].min() if orders.height else None
    dates = validation_dates(snapshot_dates(tx, settings, since), first, holdout)
    frames = [pl.DataFrame(schema=VALIDATION_SCHEMA)]
    with threadpool_limits(limits=1, user_api="blas"):  # small LAPACK calls: as transforms.clv, one thread
        frames += [clv_validation(orders, d, holdout).rows for d in dates]
    tx.replace_partitions_from(dm.MART_CLV_VALIDATION, pl.concat(frames).lazy(), since)
