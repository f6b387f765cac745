"""What the insight report shows, read from the marts into small polars frames.

Every function takes an open transaction and the report's business date D and reads
only the rows it shows (the latest month, quarter or snapshot on or before D). The
marts hold the current figures of every period, so a report for an earlier D shows
that period as the warehouse knows it now (late arrivals included). The reads themselves (which
table, which rows) are csi.warehouse.report_reads; this module picks the period, orders and
summarises.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import polars as pl

from csi.vocab import BACKTEST_BANDS, RISK_BANDS, SOURCES, VALUE_TIERS
from csi.warehouse import report_reads as reads
from csi.warehouse.engine import Tx
from csi.warehouse.tables import BY_NAME
from csi.warehouse.tables_marts_drivers import FREQUENCY_BINS, QUALITY_KINDS, WEIGHTINGS

TREND_MONTHS = 13
MOVERS = 3
DECLINING_TOP = 20
NOT_READ = ("unsupported", "refused", "unreadable", "quarantined")  # file statuses that contributed no rows
ALERTS_TABLE = "mart_alerts"
TOPIC_MONTHS = 3  # the topics section pools the newest 3 months: one month of comments is a thin sample
EXAMPLES_PER_TOPIC = 2
EXAMPLE_CHARS = 120
# the satisfaction KPIs of the headline and the trends: column, its n, label
KPIS = (
    ("nps", "nps_n", "NPS"),
    ("csat_top2_pct", "csat_n", "CSAT top-2-box %"),
    ("ces_mean", "ces_n", "CES mean (1-7)"),
    ("acsi_index_equal", "acsi_sat_overall_n", "ACSI index (equal weights)"),
    ("acsi_index_model", "acsi_sat_overall_n", "ACSI index (model weights)"),
    ("complaint_rate_survey_pct", "complaint_survey_n", "survey complaint rate %"),
)


class NoReportData(Exception):
    """Nothing to report yet (no successful run in the warehouse)."""


@dataclass
class ReportData:
    business_date: date
    month: date | None
    headline: pl.DataFrame
    trends: pl.DataFrame
    movers: list[str]
    drivers: pl.DataFrame
    drivers_quarter: date | None
    drivers_status: str
    servqual: pl.DataFrame
    kano: pl.DataFrame
    kano_quarter: date | None
    complaints: pl.DataFrame
    complaints_trend: pl.DataFrame
    recovery: pl.DataFrame
    snapshot_date: date | None
    tiers: pl.DataFrame
    whale: pl.DataFrame
    churn_bands: pl.DataFrame
    backtest: pl.DataFrame
    backtest_date: date | None
    declining: pl.DataFrame
    run: dict | None
    loads: pl.DataFrame
    reasons: pl.DataFrame
    files_not_read: pl.DataFrame
    checks: dict | None
    alerts: pl.DataFrame | None  # None: the warehouse has no alerts table yet
    low_sample_n: int = 30
    importance: pl.DataFrame = field(default_factory=pl.DataFrame)
    importance_quarter: date | None = None
    importance_status: str = "no driver-importance mart yet"
    quality: pl.DataFrame = field(default_factory=pl.DataFrame)
    quality_quarter: date | None = None
    holdout: pl.DataFrame = field(default_factory=pl.DataFrame)
    holdout_date: date | None = None
    topics: pl.DataFrame = field(default_factory=pl.DataFrame)
    topic_months: tuple[date, date] | None = None
    sentiment: pl.DataFrame = field(default_factory=pl.DataFrame)
    examples: pl.DataFrame = field(default_factory=pl.DataFrame)
    extra: dict = field(default_factory=dict)


def report_date(tx: Tx) -> date | None:
    """The newest business date whose run succeeded (the default date of `csi report`); None also
    when the warehouse has no schema yet."""
    if not reads.has_table(tx, "ops_pipeline_run"):
        return None
    return reads.newest_success_date(tx)


def month_start(d: date) -> date:
    return d.replace(day=1)


def months_back(month: date, n: int) -> date:
    """The first day of the month n months before `month`."""
    index = month.year * 12 + month.month - 1 - n
    return date(index // 12, index % 12 + 1, 1)


def latest_month(tx: Tx, d: date) -> date | None:
    """The newest month with satisfaction figures on or before D's month."""
    return reads.newest_satisfaction_month(tx, month_start(d))


def headline(tx: Tx, month: date) -> pl.DataFrame:
    """The month's satisfaction rows: ALL first, then the sites in id order."""
    return reads.satisfaction_of_month(tx, month).sort(pl.col("site_id") != "ALL", "site_id")


def trends(tx: Tx, month: date, months: int = TREND_MONTHS) -> pl.DataFrame:
    """The satisfaction rows of the `months` months up to `month`, every site and ALL."""
    return reads.satisfaction_between(tx, months_back(month, months), month).sort("site_id", "month")


def movers(month_rows: pl.DataFrame, k: int = MOVERS) -> list[str]:
    """The k sites whose NPS moved most vs the previous month (largest |nps_delta|; ties by id)."""
    sites = month_rows.filter((pl.col("site_id") != "ALL") & pl.col("nps_delta").is_not_null())
    return sites.sort(pl.col("nps_delta").abs(), "site_id", descending=[True, False])["site_id"].head(k).to_list()


def drivers(tx: Tx, d: date, z: float = 1.96) -> tuple[pl.DataFrame, date | None, str]:
    """Total effects of each driver construct on SAT, all sites, in the newest estimated quarter on or
    before D, with the bootstrap t value and significance (|t| > z). Returns (frame, quarter, status):
    without an estimated quarter the frame is empty and status says why (the newest quarter's status)."""
    status = reads.acsi_all_sites_status(tx, d).sort("quarter")
    ok = status.filter(pl.col("status") == "ok")
    if ok.height == 0:
        why = status["status"][-1] if status.height else "no quarter estimated yet"
        return pl.DataFrame(schema={"from_construct": pl.String, "estimate": pl.Float64,
                                    "std_error": pl.Float64, "t_value": pl.Float64,
                                    "is_significant": pl.Boolean}), None, why
    quarter = ok["quarter"][-1]
    effects = reads.acsi_all_sites_effects_on_sat(tx, quarter)
    effects = effects.with_columns(
        t_value=pl.when(pl.col("std_error") > 0).then(pl.col("estimate") / pl.col("std_error")))
    effects = effects.with_columns(is_significant=pl.col("t_value").abs() > z)
    return effects.sort("estimate", descending=True), quarter, f"ok (n = {ok['n'][-1]})"


def servqual(tx: Tx, month: date) -> pl.DataFrame:
    """All-sites SERVQUAL rows of the month (the five dimensions and _overall)."""
    return reads.servqual_all_sites_of_month(tx, month).sort("dimension")


def kano(tx: Tx, d: date) -> tuple[pl.DataFrame, date | None]:
    quarter = reads.newest_kano_quarter(tx, d)
    if quarter is None:
        return reads.no_rows(tx, "mart_kano_quarterly"), None
    return reads.kano_of_quarter(tx, quarter).sort("feature"), quarter


def complaints(tx: Tx, month: date) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(the month's complaint rows, ALL first; the all-sites rows of the trend months)."""
    now = reads.complaints_of_month(tx, month).sort(pl.col("site_id") != "ALL", "site_id")
    trend = reads.complaints_all_sites_between(tx, months_back(month, TREND_MONTHS), month).sort("month")
    return now, trend


def recovery(tx: Tx, month: date) -> pl.DataFrame:
    return reads.recovery_of_month(tx, month).sort("customer_group")


def snapshot_date(tx: Tx, d: date) -> date | None:
    return reads.newest_value_snapshot(tx, d)


def tiers(tx: Tx, snap: date) -> pl.DataFrame:
    """Customers, 365-day margin and CLV per value tier of the snapshot, platinum first (the pyramid)."""
    got = reads.tiered_values(tx, snap).group_by("value_tier").agg(customers=pl.len(), margin_365d=pl.col("margin_365d").sum(),
                                          clv_365d=pl.col("clv_365d").sum())
    order = pl.DataFrame({"value_tier": list(VALUE_TIERS)})
    return order.join(got, on="value_tier", how="left").with_columns(pl.col("customers").fill_null(0))


def whale(tx: Tx, snap: date) -> pl.DataFrame:
    return reads.whale_curve(tx, snap).sort("rank_share_pct")


def churn_bands(tx: Tx, snap: date) -> pl.DataFrame:
    """Customers per risk band of the snapshot, low to high."""
    got = reads.risk_bands(tx, snap).group_by("risk_band").agg(customers=pl.len())
    order = pl.DataFrame({"risk_band": list(RISK_BANDS)})
    return order.join(got, on="risk_band", how="left").with_columns(pl.col("customers").fill_null(0))


def backtest(tx: Tx, d: date) -> tuple[pl.DataFrame, date | None]:
    """The newest backtested snapshot on or before D: its rows per band (ALL carries the AUC)."""
    when = reads.newest_backtest(tx, d)
    if when is None:
        return reads.no_rows(tx, "mart_churn_backtest"), None
    rows = reads.backtest_of(tx, when)
    rank = {b: i for i, b in enumerate(BACKTEST_BANDS)}
    return rows.sort(pl.col("risk_band").replace_strict(rank, default=len(rank))), when


def declining(tx: Tx, snap: date, top: int = DECLINING_TOP) -> pl.DataFrame:
    """The platinum and gold customers in the high risk band (v_declining_valuable_customers), the
    `top` with the highest CLV first (ties by customer id)."""
    return reads.high_risk_valuable(tx, snap).sort(["clv_365d", "customer_id"], descending=[True, False], nulls_last=True).head(top)


def run_of(tx: Tx, d: date) -> dict | None:
    """D's current run (interrupted and replaced rows never count)."""
    rows = reads.current_runs(tx, d).sort("started_at")
    return rows.row(-1, named=True) if rows.height else None


def loads(run: dict | None) -> pl.DataFrame:
    """Rows read / loaded / quarantined per source of D's run, with the quarantined share in %."""
    rows = [{"source": s, "rows_read": (run or {}).get(f"{s}_rows_read") or 0,
             "rows_loaded": (run or {}).get(f"{s}_rows_loaded") or 0,
             "rows_quarantined": (run or {}).get(f"{s}_rows_quarantined") or 0} for s in SOURCES]
    frame = pl.DataFrame(rows, schema={"source": pl.String, "rows_read": pl.Int64, "rows_loaded": pl.Int64,
                                       "rows_quarantined": pl.Int64})
    return frame.with_columns(quarantined_pct=pl.when(pl.col("rows_read") > 0)
                              .then(100 * pl.col("rows_quarantined") / pl.col("rows_read")))


def top_reasons(tx: Tx, d: date, top: int = 10) -> pl.DataFrame:
    """The most frequent quarantine reason codes of D's drop (a record with two reasons counts in both)."""
    codes = reads.quarantine_reasons(tx, d).with_columns(reason=pl.col("reasons").str.split("; ")).explode("reason")
    got = codes.group_by("source", "reason").agg(records=pl.len())
    return got.sort(["records", "source", "reason"], descending=[True, False, False]).head(top)


def files_not_read(tx: Tx, d: date) -> pl.DataFrame:
    """D's files that contributed no rows for a problem (not duplicates), with the whole-file reason."""
    return reads.files_of_drop(tx, d, NOT_READ)


def checks_of(run: dict | None, given: dict | None) -> dict | None:
    """The checks' outcome: the counts the run passed in, else what D's run status implies
    (a date is `success` only after every check passed)."""
    if given is not None:
        return {**given, "passed": not given.get("failed")}
    if run is None:
        return None
    if run["status"] == "success":
        return {"passed": True}
    if run["status"] == "failed" and (run.get("error") or "").startswith("data quality"):
        return {"passed": False, "error": run["error"]}
    return {"passed": None, "status": run["status"]}


def alerts(tx: Tx, d: date) -> pl.DataFrame | None:
    """The alerts whose period falls in D's month (a month or a business date), critical first; None
    when the warehouse declares no alerts table."""
    decl = BY_NAME.get(ALERTS_TABLE)
    # declared but not created yet: a warehouse whose schema predates it (the next run creates it)
    if decl is None or not reads.has_table(tx, decl.name):
        return None
    rows = tx.read_table(decl)
    if "period" in rows.columns:
        rows = rows.filter(pl.col("period").cast(pl.String).str.starts_with(d.strftime("%Y-%m")))
    order = [c for c in ("resolved", "severity", "rule") if c in rows.columns]
    if "severity" in rows.columns:
        rows = rows.with_columns(_rank=pl.col("severity").replace_strict({"critical": 0, "warning": 1}, default=2))
        order = [c if c != "severity" else "_rank" for c in order]
    return rows.sort(order).drop("_rank", strict=False) if order else rows


def importance(tx: Tx, d: date) -> tuple[pl.DataFrame, date | None, str]:
    """Importance-performance of the drivers, all sites, in the newest quarter on or before D where a
    weighting is estimated (status ok): the ok rows of both weightings, each with the means over its
    drivers (`performance_mean`, `importance_mean`: where the quadrant lines cross). Returns (frame,
    quarter, status); without an estimated quarter the frame is empty and status says why."""
    if not reads.has_table(tx, "mart_driver_importance"):
        return pl.DataFrame(), None, "no driver-importance mart yet"
    quarter = reads.newest_ok_importance_quarter(tx, d)
    if quarter is None:
        tried = reads.importance_attempts(tx, d)
        if tried.height == 0:
            return pl.DataFrame(), None, "no quarter estimated yet"
        # the newest quarter's reason, the equal weighting's first (it is the model of mart_acsi_model)
        newest = tried.filter(pl.col("quarter") == tried["quarter"].max()).sort(
            pl.col("weighting") != "equal", "weighting")
        return pl.DataFrame(), None, newest["status"][0]
    rows = reads.importance_ok_of_quarter(tx, quarter).filter(pl.col("performance").is_not_null() & pl.col("total_effect_index").is_not_null())
    rows = rows.with_columns(performance_mean=pl.col("performance").mean().over("weighting"),
                             importance_mean=pl.col("total_effect_index").mean().over("weighting"))
    rank = {w: i for i, w in enumerate(WEIGHTINGS)}
    rows = rows.sort(pl.col("weighting").replace_strict(rank, default=len(rank)), "total_effect_index", "driver",
                     descending=[False, True, False])
    return rows, quarter, f"ok ({', '.join(dict.fromkeys(rows['weighting']))})"


def quality(tx: Tx, d: date) -> tuple[pl.DataFrame, date | None]:
    """Measurement quality, all sites, of the newest quarter on or before D with figures: one row per
    statistic (kind, subject) with the estimate and flag of each weighting side by side (`estimate_equal`,
    `flag_equal`, `estimate_clv`, `flag_clv`) and `worst` (fail, else warning, else ok; null when no
    weighting flags it, e.g. f2), in the order
    docs/acsi-model.md reads them."""
    if not reads.has_table(tx, "mart_pls_quality"):
        return pl.DataFrame(), None
    quarter = reads.newest_quality_quarter(tx, d)
    if quarter is None:
        return pl.DataFrame(), None
    rows = reads.quality_all_sites_of_quarter(tx, quarter)
    # one readable subject per kind: the item of a loading, the construct, the pair or the path
    subject = (pl.when(pl.col("kind") == "loading").then(pl.format("{} / {}", "construct", "item"))
               .when(pl.col("kind") == "htmt").then(pl.format("{} – {}", "from_construct", "to_construct"))
               .when(pl.col("kind").is_in(["vif", "f2"])).then(pl.format("{} -> {}", "from_construct", "to_construct"))
               .otherwise(pl.col("construct")))
    rows = rows.with_columns(subject=subject)
    keys = ["kind", "subject"]
    out = rows.select(keys).unique()
    for w in WEIGHTINGS:
        part = rows.filter(pl.col("weighting") == w).select(
            *keys, pl.col("estimate").alias(f"estimate_{w}"), pl.col("flag").alias(f"flag_{w}"),
            pl.col("note").alias(f"note_{w}"), pl.col("n").alias(f"n_{w}"))
        out = out.join(part, on=keys, how="left", nulls_equal=True)
    flags = pl.concat_list([f"flag_{w}" for w in WEIGHTINGS])
    out = out.with_columns(worst=pl.when(flags.list.contains("fail")).then(pl.lit("fail"))
                           .when(flags.list.contains("warning")).then(pl.lit("warning"))
                           .when(flags.list.contains("ok")).then(pl.lit("ok")))
    rank = {k: i for i, k in enumerate(QUALITY_KINDS)}
    return out.sort(pl.col("kind").replace_strict(rank, default=len(rank)), "subject"), quarter


def holdout(tx: Tx, d: date) -> tuple[pl.DataFrame, date | None]:
    """The CLV holdout validation of the newest as-of date on or before D, bins 0 .. 7+ then total."""
    if not reads.has_table(tx, "mart_clv_validation"):
        return pl.DataFrame(), None
    when = reads.newest_clv_validation(tx, d)
    if when is None:
        return pl.DataFrame(), None
    rows = reads.clv_validation_of(tx, when)
    rank = {b: i for i, b in enumerate(FREQUENCY_BINS)}
    return rows.sort(pl.col("frequency_bin").replace_strict(rank, default=len(rank))), when


def _nps(promoters: pl.Expr, detractors: pl.Expr, n: pl.Expr) -> pl.Expr:
    return pl.when(n > 0).then(100 * (promoters - detractors) / n)


def topics(tx: Tx, d: date, months: int = TOPIC_MONTHS) -> tuple[pl.DataFrame, tuple[date, date] | None]:
    """Topics of the texts, all sites, pooled over the `months` months up to the newest month of
    mart_topics_monthly on or before D's month, from the additive parts (mentions, sentiment sums,
    promoter / detractor counts), one row per topic: survey and complaint mentions, share of all texts,
    mean sentiment, negative share, and the survey NPS with / without the topic and its impact.
    Most mentioned first (ties by topic id). Returns (frame, (first month, last month))."""
    if not reads.has_table(tx, "mart_topics_monthly"):
        return pl.DataFrame(), None
    last = reads.newest_topics_month(tx, month_start(d))
    if last is None:
        return pl.DataFrame(), None
    first = months_back(last, months - 1)
    rows = reads.topics_all_sites_between(tx, first, last)
    survey = pl.col("source") == "survey"
    got = rows.group_by("topic_id").agg(
        topic_label=pl.col("topic_label").drop_nulls().last(),
        survey_mentions=pl.col("mentions").filter(survey).sum(),
        complaint_mentions=pl.col("mentions").filter(~survey).sum(),
        mentions=pl.col("mentions").sum(), texts=pl.col("texts").sum(),
        sentiment_sum=pl.col("sentiment_sum").sum(), negative_count=pl.col("negative_count").sum(),
        **{c: pl.col(c).filter(survey).sum() for c in (
            "nps_with_n", "nps_with_promoters", "nps_with_detractors",
            "nps_without_n", "nps_without_promoters", "nps_without_detractors")})
    got = got.with_columns(
        topic_label=pl.col("topic_label").fill_null(pl.col("topic_id")),
        share_pct=pl.when(pl.col("texts") > 0).then(100 * pl.col("mentions") / pl.col("texts")),
        sentiment_mean=pl.when(pl.col("mentions") > 0).then(pl.col("sentiment_sum") / pl.col("mentions")),
        negative_pct=pl.when(pl.col("mentions") > 0).then(100 * pl.col("negative_count") / pl.col("mentions")),
        nps_with=_nps(pl.col("nps_with_promoters"), pl.col("nps_with_detractors"), pl.col("nps_with_n")),
        nps_without=_nps(pl.col("nps_without_promoters"), pl.col("nps_without_detractors"),
                         pl.col("nps_without_n")))
    got = got.with_columns(nps_impact=pl.col("nps_with") - pl.col("nps_without"))
    return got.sort(["mentions", "topic_id"], descending=[True, False]), (first, last)


def sentiment_trend(tx: Tx, last: date, months: int = TREND_MONTHS) -> pl.DataFrame:
    """Per month and source of the `months` months up to `last`: texts, mean sentiment and the
    negative and positive shares in %, all sites (from fct_text, summed per day in the database)."""
    days = reads.sentiment_per_day(tx, months_back(last, months - 1), months_back(last, -1))
    got = days.group_by(month=pl.col("written_date").dt.truncate("1mo"), source="source").agg(
        pl.col("texts", "sentiment_sum", "negative", "positive").sum())
    return got.select(
        "month", "source", "texts", sentiment_mean=pl.col("sentiment_sum") / pl.col("texts"),
        negative_pct=100 * pl.col("negative") / pl.col("texts"),
        positive_pct=100 * pl.col("positive") / pl.col("texts")).sort("source", "month")


def examples(tx: Tx, first: date, last: date, per_topic: int = EXAMPLES_PER_TOPIC,
             chars: int = EXAMPLE_CHARS) -> pl.DataFrame:
    """Up to `per_topic` distinct texts per topic written in the months first .. last, the most negative
    first (what to fix; ties: newest, then text id), cut to `chars` characters with an ellipsis and with
    line breaks flattened. The page escapes them."""
    # a few spare rows per topic: the same wording twice is shown once
    rows = reads.most_negative_texts(tx, first, months_back(last, -1), 5 * per_topic)
    flat = pl.col("content").str.replace_all(r"\s+", " ").str.strip_chars()
    rows = rows.with_columns(content=pl.when(flat.str.len_chars() > chars)
                             .then(flat.str.slice(0, chars - 1).str.strip_chars_end() + "…").otherwise(flat))
    rows = rows.sort("topic_id", "k").unique(["topic_id", "content"], keep="first", maintain_order=True)
    return rows.filter(pl.int_range(pl.len()).over("topic_id") < per_topic).drop("k")


def load(tx: Tx, d: date | None = None, checks: dict | None = None, z: float = 1.96,
         low_sample_n: int = 30) -> ReportData:
    """Everything the report shows for business date D (default: the newest successful run)."""
    d = d or report_date(tx)
    if d is None:
        raise NoReportData("no successful run in the warehouse yet: run `csi run` or `csi demo` first")
    month = latest_month(tx, d)
    head = headline(tx, month) if month else reads.no_rows(tx, "mart_satisfaction_monthly")
    trend = trends(tx, month) if month else head
    drv, drv_q, drv_status = drivers(tx, d, z)
    kano_rows, kano_q = kano(tx, d)
    if month:
        comp, comp_trend = complaints(tx, month)
        sq, rec = servqual(tx, month), recovery(tx, month)
    else:
        empty = reads.no_rows(tx, "mart_complaints_monthly")
        comp, comp_trend = empty, empty
        sq = reads.no_rows(tx, "mart_servqual_monthly")
        rec = reads.no_rows(tx, "mart_service_recovery_monthly")
    snap = snapshot_date(tx, d)
    bt, bt_date = backtest(tx, d)
    run = run_of(tx, d)
    ipa, ipa_q, ipa_status = importance(tx, d)
    pq, pq_q = quality(tx, d)
    hold, hold_date = holdout(tx, d)
    top, top_months = topics(tx, d)
    return ReportData(
        business_date=d, month=month, headline=head, trends=trend, movers=movers(head),
        drivers=drv, drivers_quarter=drv_q, drivers_status=drv_status, servqual=sq,
        kano=kano_rows, kano_quarter=kano_q, complaints=comp, complaints_trend=comp_trend, recovery=rec,
        snapshot_date=snap,
        tiers=tiers(tx, snap) if snap else pl.DataFrame(),
        whale=whale(tx, snap) if snap else pl.DataFrame(),
        churn_bands=churn_bands(tx, snap) if snap else pl.DataFrame(),
        backtest=bt, backtest_date=bt_date,
        declining=declining(tx, snap) if snap else pl.DataFrame(),
        run=run, loads=loads(run), reasons=top_reasons(tx, d), files_not_read=files_not_read(tx, d),
        checks=checks_of(run, checks), alerts=alerts(tx, d), low_sample_n=low_sample_n,
        importance=ipa, importance_quarter=ipa_q, importance_status=ipa_status, quality=pq, quality_quarter=pq_q,
        holdout=hold, holdout_date=hold_date, topics=top, topic_months=top_months,
        sentiment=sentiment_trend(tx, top_months[1]) if top_months else pl.DataFrame(),
        examples=examples(tx, *top_months) if top_months else pl.DataFrame(),
    )
