"""mart_churn_signals: churn signals, risk score, band and reasons per snapshot.

Grain: one row per customer x as_of_date for every customer with >= 1 order
(sale) on or before D. Source: METRICS.md sections 0 and 8.

- recency_ratio = recency_days / median gap in whole days between consecutive
  orders up to D: every order counts, so n orders give n - 1 gaps and two orders
  on one day a gap of 0 (linear median); null with fewer than 2 orders or a
  median gap of 0.
- spend_trend = net revenue (returns included) in (D-90, D] / in (D-180, D-90];
  null when the earlier window is 0. revenue_90d and revenue_prev_90d are published.
- latest_nps / previous_nps by submitted_at then response_id; is_detractor null
  without an NPS answer; nps_drop = latest - previous.
- open_complaints: opened by D, closed_at null or on a later date than D.
  unresolved_90d: opened in (D-90, D] and not (is_resolved and closed by D).
  fct_complaint keeps only each complaint's latest version, so both use the
  *current* status and closed_at, not the state the complaint had on D.
- A signal with a null value is not triggered. risk_score = min(100, sum of the
  weights of triggered signals); risk_band low < medium_band_min <= medium <
  high_band_min <= high. reasons: triggered signals in words, by weight
  descending, ties in SIGNALS order, joined with '; ' (null when none).
Batched: running totals + as-of joins (customer_snapshots), no loop over dates;
churn_signals_from reuses a History already reduced from the facts (chunked refresh).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import polars as pl

from transforms import customer_snapshots as cs
from transforms.vocab import RISK_BANDS

LOW, MEDIUM, HIGH = RISK_BANDS

SIGNALS = ("recency_ratio", "p_alive", "spend_trend", "detractor", "nps_drop", "open_complaints", "unresolved_90d")
DEFAULT_WEIGHTS = (30.0, 25.0, 15.0, 10.0, 5.0, 10.0, 5.0)


@dataclass(frozen=True)
class ChurnParams:
    recency_ratio_threshold: float = 2.0
    p_alive_threshold: float = 0.5
    spend_trend_threshold: float = 0.5
    detractor_max_nps: int = 6
    nps_drop_threshold: float = -3.0
    weights: tuple[tuple[str, float], ...] = tuple(zip(SIGNALS, DEFAULT_WEIGHTS, strict=True))
    medium_band_min: float = 40.0
    high_band_min: float = 70.0
    window_days: int = 90

    @classmethod
    def with_weights(cls, weights: Mapping[str, float], **kw: float) -> ChurnParams:
        """Weights given override the defaults; an unknown signal name is refused later."""
        merged = dict(zip(SIGNALS, DEFAULT_WEIGHTS, strict=True)) | {k: float(v) for k, v in weights.items()}
        return cls(weights=tuple(merged.items()), **kw)

    @classmethod
    def from_settings(cls, churn: Any) -> ChurnParams:
        """From csi.settings.ChurnSettings (duck-typed: transforms never import csi.settings)."""
        names = ("recency_ratio_threshold", "p_alive_threshold", "spend_trend_threshold", "detractor_max_nps",
                 "nps_drop_threshold", "medium_band_min", "high_band_min")  # fmt: skip
        return cls.with_weights(churn.weights, **{n: getattr(churn, n) for n in names})

    def ordered_weights(self) -> list[tuple[str, float]]:
        """(signal, weight) by weight descending, ties in SIGNALS order; ValueError if invalid."""
        w = dict(self.weights)
        if set(w) != set(SIGNALS) or any(v < 0 for v in w.values()):
            raise ValueError(f"churn weights need exactly {SIGNALS} with weights >= 0, got {w}")
        if not 0 < self.medium_band_min < self.high_band_min:
            raise ValueError("churn bands need 0 < medium_band_min < high_band_min")
        return sorted(w.items(), key=lambda kv: (-kv[1], SIGNALS.index(kv[0])))


def complaint_stream(complaints: pl.LazyFrame, window_days: int = 90) -> pl.LazyFrame:
    """Running open / unresolved counts per _k (keyed complaints): +1 over [start, end) of dates."""
    c = complaints.select(
        cs.K,
        opened=pl.col("opened_at").dt.date(),
        closed=pl.col("closed_at").dt.date(),
        resolved_at=pl.when(pl.col("is_resolved").fill_null(False)).then(pl.col("closed_at").dt.date()),
    )
    unresolved_end = pl.min_horizontal(pl.col("opened") + pl.duration(days=window_days), "resolved_at")
    one = pl.lit(1, pl.Int64)
    events = pl.concat([
        c.select(cs.K, _d="opened", open_complaints=one, unresolved_90d=one),
        c.filter(pl.col("closed").is_not_null()).select(cs.K, _d="closed", open_complaints=-one,
                                                        unresolved_90d=0 * one),
        c.select(cs.K, _d=pl.max_horizontal(unresolved_end, "opened"), open_complaints=0 * one,
                 unresolved_90d=-one),
    ])  # fmt: skip
    return cs.running_totals(events, "_d", ["open_complaints", "unresolved_90d"])


def _reason_texts() -> dict[str, pl.Expr]:
    def count(col: str, one: str, many: str) -> pl.Expr:
        return pl.when(pl.col(col) == 1).then(pl.lit(one)).otherwise(pl.format(many, pl.col(col)))

    return {
        "recency_ratio": pl.format("long time since last order ({}x usual gap)", pl.col("recency_ratio").round(1)),
        "p_alive": pl.format("low chance still active (p_alive {}%)", (pl.col("p_alive") * 100).round(0).cast(pl.Int64)),
        "spend_trend": pl.format("spending down {}%", ((1 - pl.col("spend_trend")) * 100).round(0).cast(pl.Int64)),
        "detractor": pl.format("detractor (latest NPS {})", pl.col("latest_nps")),
        "nps_drop": pl.format("NPS dropped {} points ({} to {})", -pl.col("nps_drop"), pl.col("previous_nps"),
                              pl.col("latest_nps")),
        "open_complaints": count("open_complaints", "1 open complaint", "{} open complaints"),
        "unresolved_90d": count("unresolved_90d", "1 complaint unresolved in 90 days",
                                "{} complaints unresolved in 90 days"),
    }  # fmt: skip


def build_churn_signals(
    sales: pl.LazyFrame, responses: pl.LazyFrame, complaints: pl.LazyFrame, as_of_dates: list[date],
    p_alive: pl.LazyFrame | None = None, params: ChurnParams = ChurnParams(),
) -> pl.LazyFrame:  # fmt: skip
    """mart_churn_signals. `p_alive`: (as_of_date, customer_id, p_alive), e.g. mart_customer_value."""
    return churn_signals_from(cs.history(sales, responses, complaints), as_of_dates, p_alive, params)


def churn_signals_from(
    hist: cs.History, as_of_dates: list[date], p_alive: pl.LazyFrame | None = None,
    params: ChurnParams = ChurnParams(),
) -> pl.LazyFrame:  # fmt: skip
    """build_churn_signals from facts already reduced by customer_snapshots.history."""
    order = params.ordered_weights()
    w = params.window_days
    snap, stream = cs.snapshots(hist, as_of_dates, first="first_sale"), hist.sales
    cols = ["cum_orders", "cum_revenue"]
    base = snap.attach(snap.grid, stream, [*cols, "last_order_date", "median_gap"], zero=cols)
    base = snap.attach(base, stream, ["cum_revenue"], lag_days=w, suffix="_1", zero=["cum_revenue"])
    base = snap.attach(base, stream, ["cum_revenue"], lag_days=2 * w, suffix="_2", zero=["cum_revenue"])
    base = snap.attach(base, hist.nps, ["latest_nps", "previous_nps"])
    counts = ["open_complaints", "unresolved_90d"]
    base = snap.attach(base, complaint_stream(hist.complaints, w), counts, zero=counts)
    if p_alive is None:
        base = base.with_columns(p_alive=pl.lit(None, pl.Float64))
    else:
        base = base.join(p_alive.select(cs.D, cs.CID, "p_alive"), on=[cs.D, cs.CID], how="left")
    gap = pl.when(pl.col("median_gap") > 0).then(pl.col("median_gap"))
    out = base.filter(pl.col("cum_orders") >= 1).with_columns(
        recency_days=(pl.col(cs.D) - pl.col("last_order_date")).dt.total_days(),
        revenue_90d=cs.window("cum_revenue", "cum_revenue_1"),
        revenue_prev_90d=cs.window("cum_revenue_1", "cum_revenue_2"),
        nps_drop=pl.col("latest_nps") - pl.col("previous_nps"),
        is_detractor=pl.col("latest_nps") <= params.detractor_max_nps,
    )
    out = out.with_columns(
        recency_ratio=pl.col("recency_days") / gap,
        spend_trend=pl.col("revenue_90d") / pl.when(pl.col("revenue_prev_90d") != 0).then(pl.col("revenue_prev_90d")),
    )  # fmt: skip
    flags = {
        "recency_ratio": ("is_recency_signal", pl.col("recency_ratio") > params.recency_ratio_threshold),
        "p_alive": ("is_p_alive_signal", pl.col("p_alive") < params.p_alive_threshold),
        "spend_trend": ("is_spend_signal", pl.col("spend_trend") < params.spend_trend_threshold),
        "detractor": ("is_detractor", pl.col("is_detractor")),
        "nps_drop": ("is_nps_drop_signal", pl.col("nps_drop") <= params.nps_drop_threshold),
        "open_complaints": ("is_open_complaints_signal", pl.col("open_complaints") > 0),
        "unresolved_90d": ("is_unresolved_signal", pl.col("unresolved_90d") > 0),
    }
    out = out.with_columns(e.fill_null(False).alias(n) for s, (n, e) in flags.items() if s != "detractor")
    hit = {s: pl.col(n).fill_null(False) for s, (n, _) in flags.items()}
    score = pl.min_horizontal(pl.sum_horizontal(pl.when(hit[s]).then(wt).otherwise(0.0) for s, wt in order), 100.0)
    texts = _reason_texts()
    reasons = pl.concat_str([pl.when(hit[s]).then(texts[s]) for s, _ in order], separator="; ", ignore_nulls=True)
    band = pl.col("risk_score")
    out = out.with_columns(risk_score=score, reasons=pl.when(reasons != "").then(reasons)).with_columns(
        risk_band=pl.when(band >= params.high_band_min).then(pl.lit(HIGH))
        .when(band >= params.medium_band_min).then(pl.lit(MEDIUM)).otherwise(pl.lit(LOW))
    )  # fmt: skip
    return out.sort(cs.ORDER).select(COLUMNS)


COLUMNS = (
    "as_of_date", "customer_id", "recency_days", "recency_ratio", "is_recency_signal", "p_alive",
    "is_p_alive_signal", "revenue_90d", "revenue_prev_90d", "spend_trend", "is_spend_signal", "latest_nps",
    "previous_nps", "is_detractor", "nps_drop", "is_nps_drop_signal", "open_complaints",
    "is_open_complaints_signal", "unresolved_90d", "is_unresolved_signal", "risk_score", "risk_band", "reasons",
)  # fmt: skip
