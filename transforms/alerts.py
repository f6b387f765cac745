"""The alert rules of METRICS 9: each rule maps mart or ops frames to alert rows.

Every function returns the ALERT_SCHEMA columns, one row per condition that holds
(rule, subject, period): csi.alerts.evaluate merges them into mart_alerts. The
"previous month" is the calendar month before (as nps_prev in
mart_satisfaction_monthly); a cell without that month's row has no previous and
never alerts. Numbers in messages are rounded to one decimal; the columns are not.
"""

from __future__ import annotations

import polars as pl

from transforms.float_sums import stable_sum
from transforms.vocab import ALERT_RULES as RULES  # noqa: F401  (alerts.RULES: the rules this module writes)
from transforms.vocab import ALERT_SEVERITIES as SEVERITIES  # noqa: F401
from transforms.vocab import RISK_BANDS, SOURCES, VALUE_TIERS

VALUABLE_TIERS = VALUE_TIERS[:2]  # platinum and gold
HIGH_BAND = RISK_BANDS[-1]
ALL = "ALL"

ALERT_SCHEMA: dict[str, pl.DataType] = {
    "rule": pl.String(), "severity": pl.String(), "subject": pl.String(), "period": pl.Date(),
    "period_grain": pl.String(), "metric": pl.String(), "value": pl.Float64(), "previous": pl.Float64(),
    "threshold": pl.Float64(), "clv_365d_sum": pl.Float64(), "message": pl.String(),
}
KEY = ("rule", "subject", "period")


def _r1(expr: pl.Expr) -> pl.Expr:
    """One decimal as text: 25.456 -> '25.5', 42 -> '42.0'."""
    return expr.cast(pl.Float64).round(1).cast(pl.String)


def _int(expr: pl.Expr) -> pl.Expr:
    return expr.cast(pl.Int64).cast(pl.String)


def _who(site: pl.Expr = pl.col("site_id")) -> pl.Expr:
    return pl.when(site == ALL).then(pl.lit("All sites")).otherwise(pl.format("Site {}", site))


def _month_text(col: str = "month") -> pl.Expr:
    return pl.col(col).dt.strftime("%Y-%m")


def _out(frame: pl.LazyFrame, rule: str, grain: str, metric: str, **cols: pl.Expr) -> pl.LazyFrame:
    exprs = {"rule": pl.lit(rule), "period_grain": pl.lit(grain), "metric": pl.lit(metric),
             "previous": pl.lit(None), "threshold": pl.lit(None), "clv_365d_sum": pl.lit(None), **cols}
    return frame.select([exprs[name].cast(dtype).alias(name) for name, dtype in ALERT_SCHEMA.items()])


def _with_previous_month(frame: pl.LazyFrame, columns: list[str]) -> pl.LazyFrame:
    """Each site x month row joined to the same site's row of the month before (`prev_<col>`)."""
    prev = frame.select(
        pl.col("site_id"), pl.col("month").dt.offset_by("1mo").alias("month"),
        *[pl.col(c).alias(f"prev_{c}") for c in columns])
    return frame.join(prev, on=["site_id", "month"], how="inner")


def nps_drop(satisfaction: pl.LazyFrame, low_sample_n: int, critical_delta: float) -> pl.LazyFrame:
    """Significant NPS falls: nps_change_significant and nps_delta < 0, both months with
    nps_n >= low_sample_n; critical when nps_delta <= critical_delta (-10)."""
    cells = _with_previous_month(satisfaction, ["nps_n"]).filter(
        pl.col("nps_change_significant") & (pl.col("nps_delta") < 0)
        & (pl.col("nps_n") >= low_sample_n) & (pl.col("prev_nps_n") >= low_sample_n))
    return _out(
        cells, "nps_drop", "month", "nps",
        severity=pl.when(pl.col("nps_delta") <= critical_delta).then(pl.lit("critical")).otherwise(pl.lit("warning")),
        subject=pl.col("site_id"), period=pl.col("month"), value=pl.col("nps"), previous=pl.col("nps_prev"),
        message=pl.format("{}: NPS fell from {} to {} ({} points, a significant change) in {} (n = {} vs {}).",
                          _who(), _r1(pl.col("nps_prev")), _r1(pl.col("nps")), _r1(pl.col("nps_delta")),
                          _month_text(), _int(pl.col("nps_n")), _int(pl.col("prev_nps_n"))))


def csat_drop(satisfaction: pl.LazyFrame, low_sample_n: int, z: float) -> pl.LazyFrame:
    """CSAT top-2-box share down by more than z standard errors of the difference of two
    proportions, sqrt(p1 (1 - p1) / n1 + p0 (1 - p0) / n0); both months csat_n >= low_sample_n."""
    cells = _with_previous_month(satisfaction, ["csat_n", "csat_top2_count"]).with_columns(
        p1=pl.col("csat_top2_count") / pl.col("csat_n"),
        p0=pl.col("prev_csat_top2_count") / pl.col("prev_csat_n"),
    ).with_columns(
        se=((pl.col("p1") * (1 - pl.col("p1")) / pl.col("csat_n"))
            + (pl.col("p0") * (1 - pl.col("p0")) / pl.col("prev_csat_n"))).sqrt(),
    ).filter(
        (pl.col("csat_n") >= low_sample_n) & (pl.col("prev_csat_n") >= low_sample_n)
        & ((pl.col("p0") - pl.col("p1")) > z * pl.col("se")))
    return _out(
        cells, "csat_drop", "month", "csat_top2_pct", severity=pl.lit("warning"),
        subject=pl.col("site_id"), period=pl.col("month"), value=100 * pl.col("p1"), previous=100 * pl.col("p0"),
        threshold=100 * z * pl.col("se"),
        message=pl.format("{}: CSAT top-2-box fell from {} % to {} % in {} ({} points, more than {} standard errors"
                          " = {} points; n = {} vs {}).", _who(), _r1(100 * pl.col("p0")), _r1(100 * pl.col("p1")),
                          _month_text(), _r1(100 * (pl.col("p1") - pl.col("p0"))), pl.lit(str(z)),
                          _r1(100 * z * pl.col("se")), _int(pl.col("csat_n")), _int(pl.col("prev_csat_n"))))


def sla_breach(complaints: pl.LazyFrame, warning_pct: float, critical_pct: float, min_closed: int) -> pl.LazyFrame:
    """sla_met_pct below warning_pct (80) with at least min_closed (10) closed complaints;
    critical below critical_pct (60)."""
    cells = complaints.filter((pl.col("closed_count") >= min_closed) & (pl.col("sla_met_pct") < warning_pct))
    return _out(
        cells, "sla_breach", "month", "sla_met_pct",
        severity=pl.when(pl.col("sla_met_pct") < critical_pct).then(pl.lit("critical")).otherwise(pl.lit("warning")),
        subject=pl.col("site_id"), period=pl.col("month"), value=pl.col("sla_met_pct"),
        threshold=pl.lit(warning_pct),
        message=pl.format("{}: only {} % of the {} complaints closed in {} met their SLA (threshold {} %).",
                          _who(), _r1(pl.col("sla_met_pct")), _int(pl.col("closed_count")), _month_text(),
                          _r1(pl.lit(warning_pct))))


def backlog_growth(complaints: pl.LazyFrame, growth_pct: float, min_open: int) -> pl.LazyFrame:
    """open_at_month_end up by growth_pct (50) % or more vs the previous month, with at least
    min_open (10) open; from a previous backlog of 0 any backlog of min_open counts as growth."""
    cells = _with_previous_month(complaints, ["open_at_month_end"]).filter(
        (pl.col("open_at_month_end") >= min_open)
        & (pl.col("open_at_month_end") >= pl.col("prev_open_at_month_end") * (1 + growth_pct / 100)))
    prev = pl.col("prev_open_at_month_end")
    growth = pl.when(prev > 0).then(pl.format("up {} %", _r1(100 * (pl.col("open_at_month_end") - prev) / prev))) \
        .otherwise(pl.lit("up from none"))
    return _out(
        cells, "backlog_growth", "month", "open_at_month_end", severity=pl.lit("warning"),
        subject=pl.col("site_id"), period=pl.col("month"), value=pl.col("open_at_month_end"), previous=prev,
        threshold=pl.lit(growth_pct),
        message=pl.format("{}: {} complaints open at the end of {}, {} from {} a month earlier (threshold +{} %).",
                          _who(), _int(pl.col("open_at_month_end")), _month_text(), growth, _int(prev),
                          _r1(pl.lit(growth_pct))))


def feed_missing(run_dates: pl.LazyFrame, files: pl.LazyFrame) -> pl.LazyFrame:
    """A source with no file in the drop of a business date that was run (`run_dates`:
    business_date) or that another source's drop exists for (`files`: drop_date, source)."""
    dates = pl.concat([run_dates.select(pl.col("business_date").alias("period")),
                       files.select(pl.col("drop_date").alias("period"))]).unique()
    expected = dates.join(pl.LazyFrame({"subject": list(SOURCES)}), how="cross")
    present = files.select(pl.col("drop_date").alias("period"), pl.col("source").alias("subject")).unique()
    cells = expected.join(present, on=["period", "subject"], how="anti")
    return _out(
        cells, "feed_missing", "date", "files", severity=pl.lit("critical"), subject=pl.col("subject"),
        period=pl.col("period"), value=pl.lit(0.0),
        message=pl.format("No {} file arrived in the drop of {}.", pl.col("subject"),
                          pl.col("period").dt.strftime("%Y-%m-%d")))


def quarantine_spike(runs: pl.LazyFrame, threshold_pct: float, min_rows: int) -> pl.LazyFrame:
    """A source's quarantined share of a drop above threshold_pct (1) %, judged like the rejecting
    threshold only from min_rows (100) rows read: `runs` holds one row per business date (the run
    that loaded it) with <source>_rows_read and <source>_rows_quarantined."""
    per_source = pl.concat([
        runs.select(pl.col("business_date").alias("period"), pl.lit(s).alias("subject"),
                    pl.col(f"{s}_rows_read").cast(pl.Int64).alias("read"),
                    pl.col(f"{s}_rows_quarantined").cast(pl.Int64).alias("quarantined"))
        for s in SOURCES
    ]).filter(pl.col("read") >= max(min_rows, 1)).with_columns(pct=100 * pl.col("quarantined") / pl.col("read"))
    cells = per_source.filter(pl.col("pct") > threshold_pct)
    return _out(
        cells, "quarantine_spike", "date", "quarantined_pct", severity=pl.lit("warning"),
        subject=pl.col("subject"), period=pl.col("period"), value=pl.col("pct"), threshold=pl.lit(threshold_pct),
        message=pl.format("{} % of the {} records of the drop of {} were quarantined ({} of {}; threshold {} %).",
                          _r1(pl.col("pct")), pl.col("subject"), pl.col("period").dt.strftime("%Y-%m-%d"),
                          _int(pl.col("quarantined")), _int(pl.col("read")), _r1(pl.lit(threshold_pct))))


def valuable_at_risk(signals: pl.LazyFrame, snapshots: pl.LazyFrame, critical_count: int) -> pl.LazyFrame:
    """Platinum or gold customers in the high risk band at a snapshot who were not in it at the
    previous snapshot (or not scored there): one row per snapshot with any, counting them and
    summing their clv_365d (a null CLV adds nothing); critical from critical_count (10) customers.
    The first snapshot has no previous one and never alerts.

    signals: as_of_date, customer_id, risk_band, value_tier (at that snapshot), clv_365d;
    snapshots: as_of_date of every snapshot."""
    order = snapshots.select("as_of_date").unique().sort("as_of_date").with_columns(
        prev_as_of_date=pl.col("as_of_date").shift(1)).drop_nulls("prev_as_of_date")
    high = signals.filter(pl.col("risk_band") == HIGH_BAND)
    entering = (
        high.filter(pl.col("value_tier").is_in(VALUABLE_TIERS))
        .join(order, on="as_of_date", how="inner")
        .join(high.select(pl.col("as_of_date").alias("prev_as_of_date"), "customer_id"),
              on=["prev_as_of_date", "customer_id"], how="anti")
    )
    cells = entering.group_by("as_of_date").agg(
        customers=pl.len(), clv=stable_sum(pl.col("clv_365d")))  # the joins' row order: a fixed order
    return _out(
        cells, "valuable_at_risk", "date", "customers",
        severity=pl.when(pl.col("customers") >= critical_count).then(pl.lit("critical")).otherwise(pl.lit("warning")),
        subject=pl.lit(ALL), period=pl.col("as_of_date"), value=pl.col("customers"),
        threshold=pl.lit(float(critical_count)), clv_365d_sum=pl.col("clv"),
        message=pl.format("{} platinum or gold customer(s) entered the high churn-risk band at the snapshot of {} "
                          "(their clv_365d sums to {}).", _int(pl.col("customers")),
                          pl.col("as_of_date").dt.strftime("%Y-%m-%d"), pl.col("clv").round(2).cast(pl.String)))


def empty_alerts() -> pl.LazyFrame:
    return pl.LazyFrame(schema=ALERT_SCHEMA)


STATE_SCHEMA: dict[str, pl.DataType] = {
    "first_detected_run": pl.String(), "first_detected_at": pl.Datetime("us"), "sent_at": pl.Datetime("us"),
    "delivery_error": pl.String(), "resolved": pl.Boolean(), "resolved_at": pl.Datetime("us"),
}
TABLE_SCHEMA: dict[str, pl.DataType] = {**ALERT_SCHEMA, **STATE_SCHEMA}


def merge_alerts(existing: pl.DataFrame, current: pl.DataFrame, rules: list[str], run_id: str,
                 now) -> pl.DataFrame:
    """mart_alerts after an evaluation of `rules` found `current` (ALERT_SCHEMA rows).

    Per (rule, subject, period) of an evaluated rule: a condition that holds takes the new
    figures and is open (resolved = false), keeping when and by which run it was first found
    and whether it was sent; a known condition that no longer holds keeps its row with
    resolved = true (resolved_at the first evaluation that missed it); a new one is stamped
    with `run_id` and `now`. Rows of rules not evaluated (switched off) stay as they are.
    The same inputs give the same table, whatever how often it runs."""
    existing = existing.select([pl.col(c).cast(t) for c, t in TABLE_SCHEMA.items()])
    current = current.select([pl.col(c).cast(t) for c, t in ALERT_SCHEMA.items()]).unique(list(KEY), keep="first")
    evaluated = pl.col("rule").is_in(rules)
    kept = existing.filter(~evaluated)
    old = existing.filter(evaluated)
    holding = current.join(old.select(*KEY, *STATE_SCHEMA), on=list(KEY), how="left").with_columns(
        first_detected_run=pl.col("first_detected_run").fill_null(pl.lit(run_id)),
        first_detected_at=pl.col("first_detected_at").fill_null(pl.lit(now, dtype=pl.Datetime("us"))),
        resolved=pl.lit(False), resolved_at=pl.lit(None, dtype=pl.Datetime("us")))
    gone = old.join(current.select(KEY), on=list(KEY), how="anti").with_columns(
        resolved_at=pl.when(pl.col("resolved")).then(pl.col("resolved_at"))
        .otherwise(pl.lit(now, dtype=pl.Datetime("us"))),
        resolved=pl.lit(True))
    out = pl.concat([kept, holding.select(list(TABLE_SCHEMA)), gone.select(list(TABLE_SCHEMA))])
    return out.sort(list(KEY))
