"""What the insight report shows, read from the marts into small polars frames.

Every function takes an open transaction and the report's business date D and reads
only the rows it shows (the latest month, quarter or snapshot on or before D). The
marts hold the current figures of every period, so a report for an earlier D shows
that period as the warehouse knows it now (late arrivals included).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import polars as pl

from csi.warehouse.engine import Tx
from csi.warehouse.tables import BY_NAME

TREND_MONTHS = 13
MOVERS = 3
DECLINING_TOP = 20
TIER_ORDER = ("platinum", "gold", "iron", "lead")
BAND_ORDER = ("low", "medium", "high")
NOT_READ = ("unsupported", "refused", "unreadable", "quarantined")
SOURCES = ("sales", "surveys", "complaints")
ALERTS_TABLE = "mart_alerts"
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
    extra: dict = field(default_factory=dict)


def _t(name: str):
    return BY_NAME[name]


def _scalar_date(tx: Tx, sql: str, params: dict) -> date | None:
    value = tx.scalar(sql, params)
    return value if value is None or isinstance(value, date) else date.fromisoformat(str(value)[:10])


def _has_table(tx: Tx, name: str) -> bool:
    # information_schema on both databases: SQLAlchemy's inspector takes a second on DuckDB
    return bool(tx.scalar("SELECT count(*) FROM information_schema.tables WHERE table_name = :t", {"t": name}))


def report_date(tx: Tx) -> date | None:
    """The newest business date whose run succeeded (the default date of `csi report`); None also
    when the warehouse has no schema yet."""
    if not _has_table(tx, "ops_pipeline_run"):
        return None
    return _scalar_date(tx, "SELECT max(business_date) FROM ops_pipeline_run WHERE status = 'success'", {})


def month_start(d: date) -> date:
    return d.replace(day=1)


def months_back(month: date, n: int) -> date:
    """The first day of the month n months before `month`."""
    index = month.year * 12 + month.month - 1 - n
    return date(index // 12, index % 12 + 1, 1)


def latest_month(tx: Tx, d: date) -> date | None:
    """The newest month with satisfaction figures on or before D's month."""
    return _scalar_date(tx, "SELECT max(month) FROM mart_satisfaction_monthly WHERE month <= :d",
                        {"d": month_start(d)})


def headline(tx: Tx, month: date) -> pl.DataFrame:
    """The month's satisfaction rows: ALL first, then the sites in id order."""
    rows = tx.read_table(_t("mart_satisfaction_monthly"), "month = :m", {"m": month})
    return rows.sort(pl.col("site_id") != "ALL", "site_id")


def trends(tx: Tx, month: date, months: int = TREND_MONTHS) -> pl.DataFrame:
    """The satisfaction rows of the `months` months up to `month`, every site and ALL."""
    rows = tx.read_table(_t("mart_satisfaction_monthly"), "month > :first AND month <= :m",
                         {"first": months_back(month, months), "m": month})
    return rows.sort("site_id", "month")


def movers(month_rows: pl.DataFrame, k: int = MOVERS) -> list[str]:
    """The k sites whose NPS moved most vs the previous month (largest |nps_delta|; ties by id)."""
    sites = month_rows.filter((pl.col("site_id") != "ALL") & pl.col("nps_delta").is_not_null())
    return sites.sort(pl.col("nps_delta").abs(), "site_id", descending=[True, False])["site_id"].head(k).to_list()


def drivers(tx: Tx, d: date, z: float = 1.96) -> tuple[pl.DataFrame, date | None, str]:
    """Total effects of each driver construct on SAT, all sites, in the newest estimated quarter on or
    before D, with the bootstrap t value and significance (|t| > z). Returns (frame, quarter, status):
    without an estimated quarter the frame is empty and status says why (the newest quarter's status)."""
    model = _t("mart_acsi_model")
    status = tx.read_table(model, "site_id = 'ALL' AND kind = 'status' AND quarter <= :d",
                           {"d": d}, columns=["quarter", "status", "n"]).sort("quarter")
    ok = status.filter(pl.col("status") == "ok")
    if ok.height == 0:
        why = status["status"][-1] if status.height else "no quarter estimated yet"
        return pl.DataFrame(schema={"from_construct": pl.String, "estimate": pl.Float64,
                                    "std_error": pl.Float64, "t_value": pl.Float64,
                                    "is_significant": pl.Boolean}), None, why
    quarter = ok["quarter"][-1]
    effects = tx.read_table(model, "site_id = 'ALL' AND kind = 'total_effect' AND to_construct = 'SAT' "
                                   "AND quarter = :q", {"q": quarter},
                            columns=["from_construct", "estimate", "std_error"])
    effects = effects.with_columns(
        t_value=pl.when(pl.col("std_error") > 0).then(pl.col("estimate") / pl.col("std_error")))
    effects = effects.with_columns(is_significant=pl.col("t_value").abs() > z)
    return effects.sort("estimate", descending=True), quarter, f"ok (n = {ok['n'][-1]})"


def servqual(tx: Tx, month: date) -> pl.DataFrame:
    """All-sites SERVQUAL rows of the month (the five dimensions and _overall)."""
    return tx.read_table(_t("mart_servqual_monthly"), "month = :m AND site_id = 'ALL'", {"m": month}).sort("dimension")


def kano(tx: Tx, d: date) -> tuple[pl.DataFrame, date | None]:
    quarter = _scalar_date(tx, "SELECT max(quarter) FROM mart_kano_quarterly WHERE quarter <= :d", {"d": d})
    if quarter is None:
        return tx.read_table(_t("mart_kano_quarterly"), "1 = 0"), None
    return tx.read_table(_t("mart_kano_quarterly"), "quarter = :q", {"q": quarter}).sort("feature"), quarter


def complaints(tx: Tx, month: date) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(the month's complaint rows, ALL first; the all-sites rows of the trend months)."""
    decl = _t("mart_complaints_monthly")
    now = tx.read_table(decl, "month = :m", {"m": month}).sort(pl.col("site_id") != "ALL", "site_id")
    trend = tx.read_table(decl, "site_id = 'ALL' AND month > :first AND month <= :m",
                          {"first": months_back(month, TREND_MONTHS), "m": month}).sort("month")
    return now, trend


def recovery(tx: Tx, month: date) -> pl.DataFrame:
    return tx.read_table(_t("mart_service_recovery_monthly"), "month = :m", {"m": month}).sort("customer_group")


def snapshot_date(tx: Tx, d: date) -> date | None:
    return _scalar_date(tx, "SELECT max(as_of_date) FROM mart_customer_value WHERE as_of_date <= :d", {"d": d})


def tiers(tx: Tx, snap: date) -> pl.DataFrame:
    """Customers, 365-day margin and CLV per value tier of the snapshot, platinum first (the pyramid)."""
    rows = tx.read_table(_t("mart_customer_value"), "as_of_date = :s AND value_tier IS NOT NULL", {"s": snap},
                         columns=["value_tier", "margin_365d", "clv_365d"])
    got = rows.group_by("value_tier").agg(customers=pl.len(), margin_365d=pl.col("margin_365d").sum(),
                                          clv_365d=pl.col("clv_365d").sum())
    order = pl.DataFrame({"value_tier": list(TIER_ORDER)})
    return order.join(got, on="value_tier", how="left").with_columns(pl.col("customers").fill_null(0))


def whale(tx: Tx, snap: date) -> pl.DataFrame:
    return tx.read_table(_t("mart_whale_curve"), "as_of_date = :s", {"s": snap}).sort("rank_share_pct")


def churn_bands(tx: Tx, snap: date) -> pl.DataFrame:
    """Customers per risk band of the snapshot, low to high."""
    rows = tx.read_table(_t("mart_churn_signals"), "as_of_date = :s", {"s": snap}, columns=["risk_band"])
    got = rows.group_by("risk_band").agg(customers=pl.len())
    order = pl.DataFrame({"risk_band": list(BAND_ORDER)})
    return order.join(got, on="risk_band", how="left").with_columns(pl.col("customers").fill_null(0))


def backtest(tx: Tx, d: date) -> tuple[pl.DataFrame, date | None]:
    """The newest backtested snapshot on or before D: its rows per band (ALL carries the AUC)."""
    decl = _t("mart_churn_backtest")
    when = _scalar_date(tx, "SELECT max(as_of_date) FROM mart_churn_backtest WHERE as_of_date <= :d", {"d": d})
    if when is None:
        return tx.read_table(decl, "1 = 0"), None
    rows = tx.read_table(decl, "as_of_date = :s", {"s": when})
    rank = {b: i for i, b in enumerate(("ALL", *BAND_ORDER))}
    return rows.sort(pl.col("risk_band").replace_strict(rank, default=len(rank))), when


def declining(tx: Tx, snap: date, top: int = DECLINING_TOP) -> pl.DataFrame:
    """The platinum and gold customers in the high risk band (v_declining_valuable_customers), the
    `top` with the highest CLV first (ties by customer id)."""
    rows = tx.read(
        "SELECT s.customer_id, v.value_tier, v.clv_365d, v.margin_365d, v.last_order_date, s.risk_score, s.reasons "
        "FROM mart_churn_signals s JOIN mart_customer_value v ON v.as_of_date = s.as_of_date "
        "AND v.customer_id = s.customer_id WHERE s.as_of_date = :s AND s.risk_band = 'high' "
        "AND v.value_tier IN ('platinum', 'gold')",
        {"s": snap},
        schema={"customer_id": pl.String, "value_tier": pl.String, "clv_365d": pl.Float64,
                "margin_365d": pl.Float64, "last_order_date": pl.Date, "risk_score": pl.Float64,
                "reasons": pl.String})
    return rows.sort(["clv_365d", "customer_id"], descending=[True, False], nulls_last=True).head(top)


def run_of(tx: Tx, d: date) -> dict | None:
    """D's current run (interrupted and replaced rows never count)."""
    rows = tx.read_table(_t("ops_pipeline_run"), "business_date = :d AND status NOT IN ('interrupted', 'replaced')",
                         {"d": d}).sort("started_at")
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
    rows = tx.read_table(_t("ops_quarantine"), "drop_date = :d", {"d": d}, columns=["source", "reasons"])
    codes = rows.with_columns(reason=pl.col("reasons").str.split("; ")).explode("reason")
    got = codes.group_by("source", "reason").agg(records=pl.len())
    return got.sort(["records", "source", "reason"], descending=[True, False, False]).head(top)


def files_not_read(tx: Tx, d: date) -> pl.DataFrame:
    """D's files that contributed no rows for a problem (not duplicates), with the whole-file reason."""
    statuses = ", ".join(f"'{s}'" for s in NOT_READ)
    return tx.read(
        "SELECT f.source, f.file_path, f.status, q.reasons AS why FROM ops_ingested_file f "
        "LEFT JOIN ops_quarantine q ON q.drop_date = f.drop_date AND q.source_file = f.file_path "
        f"AND q.record_no IS NULL WHERE f.drop_date = :d AND f.status IN ({statuses}) ORDER BY f.file_path",
        {"d": d}, schema={"source": pl.String, "file_path": pl.String, "status": pl.String, "why": pl.String})


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
    if decl is None or not _has_table(tx, decl.name):
        return None
    rows = tx.read_table(decl)
    if "period" in rows.columns:
        rows = rows.filter(pl.col("period").cast(pl.String).str.starts_with(d.strftime("%Y-%m")))
    order = [c for c in ("resolved", "severity", "rule") if c in rows.columns]
    if "severity" in rows.columns:
        rows = rows.with_columns(_rank=pl.col("severity").replace_strict({"critical": 0, "warning": 1}, default=2))
        order = [c if c != "severity" else "_rank" for c in order]
    return rows.sort(order).drop("_rank", strict=False) if order else rows


def load(tx: Tx, d: date | None = None, checks: dict | None = None, z: float = 1.96,
         low_sample_n: int = 30) -> ReportData:
    """Everything the report shows for business date D (default: the newest successful run)."""
    d = d or report_date(tx)
    if d is None:
        raise NoReportData("no successful run in the warehouse yet: run `csi run` or `csi demo` first")
    month = latest_month(tx, d)
    head = headline(tx, month) if month else tx.read_table(_t("mart_satisfaction_monthly"), "1 = 0")
    trend = trends(tx, month) if month else head
    drv, drv_q, drv_status = drivers(tx, d, z)
    kano_rows, kano_q = kano(tx, d)
    if month:
        comp, comp_trend = complaints(tx, month)
        sq, rec = servqual(tx, month), recovery(tx, month)
    else:
        empty = tx.read_table(_t("mart_complaints_monthly"), "1 = 0")
        comp, comp_trend = empty, empty
        sq = tx.read_table(_t("mart_servqual_monthly"), "1 = 0")
        rec = tx.read_table(_t("mart_service_recovery_monthly"), "1 = 0")
    snap = snapshot_date(tx, d)
    bt, bt_date = backtest(tx, d)
    run = run_of(tx, d)
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
    )
