"""The insight report as one self-contained HTML file per business date (plus latest.html).

plotly's JavaScript is embedded once per file and nothing refers to another host, so the
file opens offline. Every piece of data text is HTML-escaped; numbers are in the charts'
hovers and in the tables.
"""

from __future__ import annotations

import logging
import os
import tempfile
import time
from datetime import date
from html import escape
from pathlib import Path

import polars as pl

from csi.report import build
from csi.report.build import KPIS, ReportData

log = logging.getLogger(__name__)

CSS = """
body{font-family:%(font)s;margin:0;background:#f5f7fa;color:#1f2933}
header{background:#1f3a60;color:#fff;padding:18px 28px}
header h1{margin:0;font-size:22px} header p{margin:4px 0 0;opacity:.85}
nav{padding:6px 28px;background:#e4e9f0;font-size:13px} nav a{margin-right:14px;color:#1f3a60}
section{background:#fff;margin:16px 28px;padding:12px 20px;border-radius:6px;box-shadow:0 1px 3px #0002}
h2{font-size:18px;margin:6px 0 10px;color:#1f3a60}
.cards{display:flex;flex-wrap:wrap;gap:12px}
.card{border:1px solid #d9e2ec;border-radius:6px;padding:10px 14px;flex:1 1 0;min-width:140px}
.card .v{font-size:26px;font-weight:600} .card .l{font-size:12px;color:#52606d} .card .s{font-size:12px}
.low{color:#b7791f;font-weight:600} .sig{color:#c53030;font-weight:600} .ns{color:#52606d}
.up{color:#2f855a} .down{color:#c53030}
table{border-collapse:collapse;font-size:13px;margin:8px 0}
th,td{border-bottom:1px solid #e4e7eb;padding:4px 8px;text-align:right} th{background:#f0f4f8}
td.t,th.t{text-align:left}
.note{font-size:12px;color:#52606d}
.chart{min-height:300px}
.grid{display:grid;grid-template-columns:repeat(2,minmax(0,1fr));gap:8px 24px;align-items:start}
@media (max-width:900px){.grid{grid-template-columns:minmax(0,1fr)}}
b.critical{color:#c53030}
tr.critical td:first-child{color:#c53030;font-weight:600} tr.warning td:first-child{color:#b7791f;font-weight:600}
tr.fail td:first-child{color:#c53030;font-weight:600}
"""


def fmt(value, digits: int = 1) -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    if isinstance(value, int):
        return f"{value:,}"
    return escape(str(value))


def table(frame: pl.DataFrame, columns: dict[str, str], digits: dict[str, int] | None = None,
          text: tuple[str, ...] = (), row_class: str | None = None) -> str:
    """An HTML table of the frame's `columns` (name -> header); text columns left-aligned;
    `row_class`: a column whose value becomes each row's class (e.g. severity)."""
    if frame is None or frame.height == 0:
        return '<p class="note">none</p>'
    digits = digits or {}
    head = "".join(f'<th class="{"t" if c in text else ""}">{escape(h)}</th>' for c, h in columns.items())
    rows = []
    for r in frame.select([c for c in frame.columns if c in columns or c == row_class]).iter_rows(named=True):
        cells = "".join(f'<td class="{"t" if c in text else ""}">{fmt(r.get(c), digits.get(c, 1))}</td>'
                        for c in columns)
        css = f' class="{escape(str(r[row_class]))}"' if row_class and r.get(row_class) is not None else ""
        rows.append(f"<tr{css}>{cells}</tr>")
    return f"<table><tr>{head}</tr>{''.join(rows)}</table>"


def _chart(fig, div_id: str) -> str:
    import plotly.io as pio

    body = pio.to_html(fig, full_html=False, include_plotlyjs=False, div_id=div_id,
                       config={"displaylogo": False, "displayModeBar": False, "responsive": True})
    return f'<div class="chart" data-chart="{div_id}">{body}</div>'


def _grid(*cells: str) -> str:
    """Cells side by side on a wide screen, stacked on a narrow one. The columns are fixed, not
    auto-fit: plotly sizes a chart when its inline script runs, before the next cell exists."""
    return '<div class="grid">' + "".join(f"<div>{c}</div>" for c in cells) + "</div>"


def _low(row: dict, low_n: int) -> str:
    return f' <span class="low" title="n below {low_n}">low sample</span>' if row.get("low_sample") else ""


def headline_html(data: ReportData) -> str:
    if data.headline.height == 0:
        return '<p class="note">no satisfaction figures yet</p>'
    every = data.headline.row(0, named=True)
    delta = every.get("nps_delta")
    if delta is None:
        change = '<span class="ns">no previous month</span>'
    else:
        mark = ('<span class="sig">significant</span>' if every.get("nps_change_significant")
                else '<span class="ns">not significant</span>')
        change = f'<span class="{"up" if delta >= 0 else "down"}">{delta:+.1f}</span> vs previous month ({mark})'
    cards = [
        f'<div class="card"><div class="l">NPS, all sites</div>'
        f'<div class="v"><span class="kpi" data-kpi="nps" data-site="ALL">{fmt(every["nps"])}</span></div>'
        f'<div class="s">95 %: {fmt(every["nps_ci_low"])} .. {fmt(every["nps_ci_high"])}; n = {fmt(every["nps_n"])}'
        f'{_low(every, data.low_sample_n)}</div><div class="s">{change}</div></div>'
    ]
    for col, n_col, label in KPIS[1:]:
        digits = 2 if col == "ces_mean" else 1
        cards.append(f'<div class="card"><div class="l">{escape(label)}</div><div class="v">'
                     f'<span class="kpi" data-kpi="{col}" data-site="ALL">{fmt(every[col], digits)}</span></div>'
                     f'<div class="s">n = {fmt(every[n_col])}</div></div>')
    sites = data.headline.with_columns(
        ci=pl.format("{} .. {}", pl.col("nps_ci_low").round(1), pl.col("nps_ci_high").round(1)),
        change=pl.when(pl.col("nps_delta").is_null()).then(pl.lit("–"))
        .otherwise(pl.format("{}{}", pl.col("nps_delta").round(1),
                             pl.when(pl.col("nps_change_significant")).then(pl.lit(" *")).otherwise(pl.lit("")))),
        low=pl.when(pl.col("low_sample")).then(pl.lit("low sample")).otherwise(pl.lit("")))
    per_site = table(sites, {"site_id": "site", "nps": "NPS", "ci": "95 % interval", "change": "change (* significant)",
                             "nps_n": "n", "low": "", "csat_top2_pct": "CSAT top-2 %", "csat_n": "CSAT n",
                             "ces_mean": "CES", "ces_n": "CES n", "acsi_index_equal": "ACSI (equal)",
                             "acsi_index_model": "ACSI (model)", "acsi_sat_overall_n": "ACSI n",
                             "complaint_rate_survey_pct": "complaint rate %", "complaint_survey_n": "complaint n"},
                     digits={"ces_mean": 2}, text=("site_id", "ci", "change", "low"))
    return (f'<div class="cards">{"".join(cards)}</div>'
            f'<p class="note">low sample: NPS n below {data.low_sample_n}; a change is significant when '
            f'|delta| > 1.96 x the standard error of the difference (METRICS 2).</p>{per_site}')


def _section(anchor: str, title: str, body: str) -> str:
    return f'<section id="{anchor}"><h2>{escape(title)}</h2>{body}</section>'


def render(data: ReportData) -> str:
    """The whole HTML page."""
    from plotly.offline import get_plotlyjs

    from csi.report import charts

    month = data.month.strftime("%Y-%m") if data.month else "–"
    parts: list[str] = []
    parts.append(_section("kpis", f"Headline KPIs, {month}", headline_html(data)))
    trend_body = (_chart(charts.kpi_trends(data.trends), "chart-trends")
                  + _chart(charts.nps_movers(data.trends, data.movers), "chart-movers")
                  if data.trends.height else '<p class="note">no months yet</p>')
    parts.append(_section("trends", "Trends (13 months)", trend_body))

    if data.drivers.height:
        drv = (f'<p class="note">quarter {data.drivers_quarter}, all sites; model status {escape(data.drivers_status)}</p>'
               + _chart(charts.drivers(data.drivers), "chart-drivers")
               + table(data.drivers, {"from_construct": "driver", "estimate": "total effect on SAT",
                                      "std_error": "bootstrap se", "t_value": "t", "is_significant": "significant"},
                       digits={"estimate": 3, "std_error": 3, "t_value": 2}, text=("from_construct",)))
    else:
        drv = f'<p class="note">ACSI model not estimated: {escape(data.drivers_status)}</p>'
    sq = (_chart(charts.servqual(data.servqual), "chart-servqual")
          + table(data.servqual, {"dimension": "dimension", "n": "n", "expectation_mean": "expectation",
                                  "perception_mean": "perception", "gap_mean": "gap",
                                  "score_unweighted": "score (unweighted)"},
                  digits={"gap_mean": 2, "expectation_mean": 2, "perception_mean": 2, "score_unweighted": 2},
                  text=("dimension",))
          if data.servqual.height else '<p class="note">no SERVQUAL answers this month</p>')
    kn = (f'<p class="note">quarter {data.kano_quarter}</p>' + _chart(charts.kano(data.kano), "chart-kano")
          + table(data.kano, {"feature": "feature", "n": "n", "category": "category", "better": "better",
                              "worse": "worse"}, digits={"better": 2, "worse": 2}, text=("feature", "category"))
          if data.kano.height else '<p class="note">no KANO answers yet</p>')
    parts.append(_section("drivers", "Drivers: ACSI model, SERVQUAL, KANO",
                          f"<h3>ACSI model</h3>{drv}" + importance_html(data) + quality_table_html(data)
                          + _grid(f"<h3>SERVQUAL, {month}</h3>{sq}", f"<h3>KANO</h3>{kn}")))

    comp = (table(data.complaints, {"site_id": "site", "complainants": "complainants",
                                    "active_customers": "active customers", "complaint_rate_pct": "rate %",
                                    "closed_count": "closed", "sla_met_pct": "SLA met %",
                                    "resolution_hours_median": "resolution h (median)",
                                    "resolution_hours_p90": "resolution h (p90)",
                                    "open_at_month_end": "open at month end",
                                    "estimated_silent_dissatisfied": "est. silent dissatisfied"},
                  digits={"complaint_rate_pct": 2}, text=("site_id",))
            + _grid(_chart(charts.complaints_trend(data.complaints_trend), "chart-complaints")
                    if data.complaints_trend.height else "",
                    "<h3>Service recovery</h3>"
                    + (_chart(charts.recovery(data.recovery), "chart-recovery")
                       + table(data.recovery, {"customer_group": "group", "customers": "customers",
                                               "mean_latest_nps": "mean latest NPS", "nps_n": "NPS n",
                                               "reorder_pct": "re-ordered %", "window_complete": "window complete"},
                               digits={"mean_latest_nps": 2}, text=("customer_group",))
                       if data.recovery.height else '<p class="note">no service recovery figures this month</p>')))
    parts.append(_section("complaints", f"Complaints, {month}", comp))
    parts.append(_section("topics", "Voice of the customer: topics and sentiment", topics_html(data)))
    parts.append(_section("customers", f"Customers (snapshot {data.snapshot_date or '–'})",
                          customers_html(data) + holdout_html(data)))
    parts.append(_section("quality", f"Data quality, {data.business_date}", quality_html(data)))

    title = f"csi insight report {data.business_date}"
    nav = "".join(f'<a href="#{a}">{escape(t)}</a>' for a, t in (
        ("kpis", "KPIs"), ("trends", "trends"), ("drivers", "drivers"), ("complaints", "complaints"),
        ("topics", "topics"), ("customers", "customers"), ("quality", "data quality")))
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f'<style>{CSS % {"font": charts.FONT}}</style>'
            f'<script type="text/javascript">{get_plotlyjs()}</script></head><body>'
            f'<header><h1>{escape(title)}</h1><p>business date {data.business_date}; latest month {month}; '
            f'figures from the warehouse marts; hover a chart for its numbers</p>{alerts_banner(data)}</header><nav>{nav}</nav>'
            f'{"".join(parts)}</body></html>')


def importance_html(data: ReportData) -> str:
    from csi.report import charts

    if data.importance.height == 0:
        return (f'<h3>Importance-performance</h3><p class="note" id="ipa-none">importance-performance not '
                f'estimated yet: {escape(data.importance_status)}</p>')
    return (f'<h3>Importance-performance, quarter {data.importance_quarter}</h3>'
            '<p class="note">equal: every response counts once; clv: each identified respondent weighted by the '
            "customer's 365-day CLV. Work first on the significant drivers in <i>concentrate here</i> with the "
            'largest impact (docs/acsi-model.md).</p>'
            + _chart(charts.importance_performance(data.importance), "chart-ipa")
            + table(data.importance, {"weighting": "weighting", "driver": "driver",
                                      "total_effect_index": "total effect (importance)",
                                      "total_effect_index_se": "se", "is_significant_index": "significant",
                                      "performance": "performance", "impact_5pt": "impact of +5 points",
                                      "total_effect_loyalty": "total effect on loyalty", "quadrant": "quadrant",
                                      "n": "n", "weight_sum": "weight sum"},
                    digits={"total_effect_index": 3, "total_effect_index_se": 3, "impact_5pt": 2,
                            "total_effect_loyalty": 3, "weight_sum": 0},
                    text=("weighting", "driver", "quadrant")))


def quality_table_html(data: ReportData) -> str:
    if data.quality.height == 0:
        return ('<h3>Measurement quality</h3><p class="note" id="quality-none">measurement quality not '
                'estimated yet (no estimated quarter)</p>')
    counts = data.quality["worst"].value_counts()
    count = dict(zip(counts["worst"], counts["count"], strict=True))
    return (f'<h3>Measurement quality, quarter {data.quality_quarter}</h3>'
            f'<p class="note">{count.get("fail", 0)} failed, {count.get("warning", 0)} warnings of '
            f'{data.quality.height} statistics (METRICS 11 thresholds, all sites, both weightings); read it before '
            'the drivers: a construct that fails reliability or discriminant validity (HTMT) is not distinct '
            'enough to act on.</p>'
            + quality_rows(data.quality.filter(pl.col("worst").is_in(["fail", "warning"])))
            + f'<details><summary>all {data.quality.height} statistics</summary>{quality_rows(data.quality)}</details>')


def quality_rows(frame: pl.DataFrame) -> str:
    return table(frame, {"kind": "statistic", "subject": "construct / item / pair / path",
                         "estimate_equal": "equal", "flag_equal": "flag", "estimate_clv": "clv",
                         "flag_clv": "flag (clv)", "note_equal": "note"},
                 digits={"estimate_equal": 3, "estimate_clv": 3},
                 text=("kind", "subject", "flag_equal", "flag_clv", "note_equal"), row_class="worst")


def holdout_html(data: ReportData) -> str:
    from csi.report import charts

    if data.holdout.height == 0:
        return ('<h3>CLV holdout validation</h3><p class="note" id="holdout-none">CLV holdout validation: '
                'no data yet (no as-of date a whole holdout after the first order)</p>')
    total = data.holdout.filter(pl.col("frequency_bin") == "total").row(0, named=True) \
        if "total" in data.holdout["frequency_bin"] else data.holdout.row(0, named=True)
    head = (f'<h3>CLV holdout validation, as of {data.holdout_date}</h3><p class="note">BG/NBD fitted on the '
            f'orders up to {total["calibration_end"]}, predicting the {total["holdout_days"]} days after it; '
            f'fit status {escape(str(total["status"]))}.</p>')
    rows = table(data.holdout, {"frequency_bin": "calibration repeat orders", "customers": "customers",
                                "actual_mean": "actual mean", "predicted_mean": "predicted mean",
                                "actual_orders": "actual orders", "predicted_orders": "predicted orders",
                                "mae": "MAE", "rmse": "RMSE"},
                 digits={"actual_mean": 2, "predicted_mean": 2, "mae": 2, "rmse": 2}, text=("frequency_bin",))
    if data.holdout["predicted_mean"].is_null().all():
        return head + '<p class="note" id="holdout-none">no prediction to compare (the calibration fit did not ' \
                      'converge)</p>' + rows
    return head + _grid(_chart(charts.clv_holdout(data.holdout), "chart-clv-holdout"), rows)


def topics_html(data: ReportData) -> str:
    from csi.report import charts

    if data.topics.height == 0 or data.topic_months is None:
        return '<p class="note" id="topics-none">no topics yet (no texts analysed)</p>'
    first, last = (m.strftime("%Y-%m") for m in data.topic_months)
    labels = dict(zip(data.topics["topic_id"], data.topics["topic_label"], strict=True))
    ex = data.examples.with_columns(topic=pl.col("topic_id").replace_strict(labels, default=pl.col("topic_id"))) \
        if data.examples.height else data.examples
    trend = (_chart(charts.sentiment_trend(data.sentiment), "chart-sentiment")
             if data.sentiment.height else '<p class="note">no texts in the 13 months</p>')
    return "".join([
        f'<p class="note">survey comments and complaint descriptions, all sites, {first} .. {last} pooled; '
        'NPS impact: the NPS of the responses whose comment mentions the topic minus that of the other '
        'commented responses (docs/voice-of-customer.md).</p>',
        _chart(charts.topics(data.topics, data.low_sample_n), "chart-topics"),
        table(data.topics, {"topic_label": "topic", "survey_mentions": "survey", "complaint_mentions": "complaints",
                            "share_pct": "share of texts %", "sentiment_mean": "mean sentiment",
                            "negative_pct": "negative %", "nps_with": "NPS with", "nps_with_n": "n with",
                            "nps_without": "NPS without", "nps_without_n": "n without", "nps_impact": "NPS impact"},
              digits={"sentiment_mean": 2}, text=("topic_label",)),
        _grid(trend, f"<h3>Example texts (the most negative per topic, {first} .. {last})</h3>"
              + table(ex, {"topic": "topic", "source": "source", "site_id": "site", "written_date": "date",
                           "sentiment": "sentiment", "content": "text"},
                      digits={"sentiment": 2}, text=("topic", "source", "site_id", "written_date", "content"))),
    ])


def customers_html(data: ReportData) -> str:
    from csi.report import charts

    if data.snapshot_date is None:
        return '<p class="note">no customer snapshot yet</p>'
    whale = ""
    if data.whale.height:
        w = data.whale.row(0, named=True)
        top20, bottom30 = w["top20_margin_share"], w["bottom30_margin_share"]
        whale = (_chart(charts.whale_curve(data.whale), "chart-whale")
                 + f'<p>20/80/30 check: the top 20 % of customers earn <b>{_pct(top20)} %</b> of the 365-day '
                 f'margin (rule of thumb: 80 %); the bottom 30 % earn <b>{_pct(bottom30)} %</b> (rule of thumb: '
                 'they cost money).</p>')
    auc = data.backtest.filter(pl.col("risk_band") == "ALL")["auc"] if data.backtest.height else None
    backtest = (f'<p>backtest AUC of the risk score (snapshot {data.backtest_date}): <b>{fmt(auc[0], 3)}</b></p>'
                if auc is not None and auc.len() else
                '<p class="note">no snapshot is yet a whole backtest horizon older than the newest data</p>')
    if data.backtest.height:
        backtest += table(data.backtest, {"risk_band": "band", "customers": "customers", "churned": "churned",
                                          "churn_rate_pct": "churn rate %", "auc": "AUC"},
                          digits={"auc": 3}, text=("risk_band",))
    return "".join([
        _grid(_chart(charts.tier_pyramid(data.tiers), "chart-tiers")
              + table(data.tiers, {"value_tier": "tier", "customers": "customers", "margin_365d": "margin 365d",
                                   "clv_365d": "CLV 365d"}, digits={"margin_365d": 0, "clv_365d": 0},
                      text=("value_tier",)), whale),
        _grid(_chart(charts.churn_bands(data.churn_bands, data.backtest), "chart-churn"), backtest),
        f"<h3>Top {build.DECLINING_TOP} declining valuable customers (platinum and gold, high risk)</h3>",
        table(data.declining, {"customer_id": "customer", "value_tier": "tier", "clv_365d": "CLV 365d",
                               "margin_365d": "margin 365d", "last_order_date": "last order",
                               "risk_score": "risk", "reasons": "reasons"},
              digits={"clv_365d": 0, "margin_365d": 0, "risk_score": 0},
              text=("customer_id", "value_tier", "last_order_date", "reasons")),
    ])


def _pct(share: float | None) -> str:
    return fmt(None if share is None else 100 * share)


def alerts_html(data: ReportData) -> str:
    if data.alerts is None:
        return '<p class="note" id="alerts-none">no alerts table yet</p>'
    shown = [c for c in ("severity", "rule", "subject", "period", "metric", "value", "previous", "threshold",
                         "message", "resolved", "sent_at", "delivery_error") if c in data.alerts.columns]
    return table(data.alerts, {c: c.replace("_", " ") for c in shown},
                 digits={"value": 2, "previous": 2, "threshold": 2},
                 text=tuple(c for c in shown if c not in ("value", "previous", "threshold")),
                 row_class="severity" if "severity" in shown else None)


def alerts_banner(data: ReportData) -> str:
    """One line for the header: the open alerts of the month, critical counted apart."""
    if data.alerts is None or data.alerts.height == 0:
        return ""
    rows = data.alerts.filter(~pl.col("resolved")) if "resolved" in data.alerts.columns else data.alerts
    critical = rows.filter(pl.col("severity") == "critical").height if "severity" in rows.columns else 0
    return (f'<p><a href="#alerts" style="color:#fff">{rows.height} open alert(s) this month, {critical} '
            'critical</a></p>')


def quality_html(data: ReportData) -> str:
    from csi.report import charts

    run = data.run
    status = (f"run status <b>{escape(run['status'])}</b>, files read {run['files_read']}, duplicates "
              f"{run['files_duplicate']}" if run else "no run recorded for this date")
    checks = data.checks
    if checks is None:
        check_line = "checks: not run"
    elif checks.get("passed"):
        counted = f"{checks['checked']} expectations, " if "checked" in checks else ""
        check_line = f"checks: <b>passed</b> ({counted}0 failed)"
    elif checks.get("passed") is False:
        check_line = f'checks: <b class="critical">failed</b> {escape(checks.get("error") or "")}'
    else:
        check_line = f"checks: pending (run {escape(str(checks.get('status')))})"
    return "".join([
        f"<p>{status}; {check_line}</p>",
        '<h3 id="alerts">Alerts</h3>', alerts_html(data),
        _grid(_chart(charts.loads(data.loads), "chart-loads"),
              table(data.loads, {"source": "source", "rows_read": "rows read", "rows_loaded": "loaded",
                                 "rows_quarantined": "quarantined", "quarantined_pct": "quarantined %"},
                    digits={"quarantined_pct": 2}, text=("source",))
              + "<h3>Top quarantine reasons</h3>"
              + table(data.reasons, {"source": "source", "reason": "reason", "records": "records"},
                      text=("source", "reason"))),
        "<h3>Files not read</h3>",
        table(data.files_not_read, {"source": "source", "file_path": "file", "status": "status", "why": "why"},
              text=("source", "file_path", "status", "why")),
    ])


def report_path(out_dir: Path, d: date) -> Path:
    return out_dir / f"report-{d.isoformat()}.html"


def _write_atomic(path: Path, text: str) -> None:
    """Readers never see half a file: write next to it, then rename."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(tmp, 0o644)  # mkstemp's 0600 would hide the report from a web server or a colleague
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_report(settings, business_date: date | None = None, out_dir: Path | None = None,
                 checks: dict | None = None, wh=None) -> Path:
    """Write report-<D>.html (default D: the newest successful run) and, when D is the newest
    successful date, latest.html. Returns the dated file's path. `wh`: an open Warehouse to
    read through (the flow's own; DuckDB allows one writer process), else one is opened."""
    from csi.warehouse.engine import Warehouse

    started = time.perf_counter()
    out_dir = Path(out_dir or settings.report_dir)
    own = wh is None
    wh = wh or Warehouse(settings.url)
    try:
        with wh.transaction() as tx:
            data = build.load(tx, business_date, checks, z=settings.satisfaction.z_value,
                              low_sample_n=settings.satisfaction.low_sample_n)
            newest = build.report_date(tx)
    finally:
        if own:
            wh.dispose()
    page = render(data)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = report_path(out_dir, data.business_date)
    _write_atomic(path, page)
    if newest is None or data.business_date >= newest:
        _write_atomic(out_dir / "latest.html", page)
    log.info("wrote the insight report %s in %.2f s", path, time.perf_counter() - started)
    return path
