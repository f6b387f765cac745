"""The report's plotly figures, one function per chart, each from a frame of csi.report.build.

Numbers are in the hover of every point (and in the report's tables); data text placed in
a figure (site ids, features, constructs) is HTML-escaped because plotly renders a subset
of HTML in labels and hovers. Imported only when a report is built: plotly is a slow import.
"""

from __future__ import annotations

from html import escape

import plotly.graph_objects as go
import polars as pl
from plotly.subplots import make_subplots

from csi.report.build import KPIS

FONT = ('"Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", '
        '"WenQuanYi Micro Hei", "Helvetica Neue", Arial, sans-serif')
BLUE, GREY, RED, GREEN, ORANGE = "#2a6fdb", "#9aa5b1", "#d64545", "#2f9e44", "#f08c00"


def _layout(fig: go.Figure, title: str, height: int = 360, top: int = 50) -> go.Figure:
    # white background set by hand: a named template ("plotly_white") is deep-copied and validated
    # per figure, most of the report's build time
    fig.update_layout(title={"text": escape(title), "x": 0.01}, height=height, font={"family": FONT, "size": 12},
                      margin={"l": 60, "r": 20, "t": top, "b": 80}, paper_bgcolor="#fff", plot_bgcolor="#fff",
                      autosize=True, legend={"orientation": "h", "y": -0.22})
    fig.update_xaxes(gridcolor="#e4e7eb", zerolinecolor="#cbd2d9", linecolor="#cbd2d9")
    fig.update_yaxes(gridcolor="#e4e7eb", zerolinecolor="#cbd2d9", linecolor="#cbd2d9")
    return fig


def _months(frame: pl.DataFrame) -> list[str]:
    return [m.strftime("%Y-%m") for m in frame["month"]]


def kpi_trends(trends: pl.DataFrame) -> go.Figure:
    """13 months of every KPI over all sites; NPS with its 95 % interval."""
    every = trends.filter(pl.col("site_id") == "ALL").sort("month")
    fig = make_subplots(rows=3, cols=2, subplot_titles=[escape(label) for _, _, label in KPIS],
                        vertical_spacing=0.12)
    months = _months(every)
    for i, (col, n_col, label) in enumerate(KPIS):
        row, c = i // 2 + 1, i % 2 + 1
        values = every[col].to_list()
        error = None
        if col == "nps":
            error = {"type": "data", "symmetric": False,
                     "array": (every["nps_ci_high"] - every["nps"]).to_list(),
                     "arrayminus": (every["nps"] - every["nps_ci_low"]).to_list(), "color": GREY}
        fig.add_trace(go.Scatter(
            x=months, y=values, mode="lines+markers", name=label, error_y=error, line={"color": BLUE},
            customdata=every.select(n_col, "low_sample").rows(),
            hovertemplate=f"{escape(label)} %{{x}}: %{{y:.1f}}<br>n = %{{customdata[0]}}"
                          "<br>low sample: %{customdata[1]}<extra></extra>", showlegend=False), row=row, col=c)
    return _layout(fig, "13-month trends, all sites (NPS bars: 95 % interval)", height=760, top=80)


def nps_movers(trends: pl.DataFrame, sites: list[str]) -> go.Figure:
    """NPS of ALL and the sites that moved most in the latest month."""
    fig = go.Figure()
    for site in ["ALL", *sites]:
        rows = trends.filter(pl.col("site_id") == site).sort("month")
        fig.add_trace(go.Scatter(
            x=_months(rows), y=rows["nps"].to_list(), mode="lines+markers", name=escape(site),
            customdata=rows.select("nps_n", "nps_ci_low", "nps_ci_high").rows(),
            line={"width": 3 if site == "ALL" else 1.5},
            hovertemplate=f"{escape(site)} %{{x}}: NPS %{{y:.1f}} (95 %: %{{customdata[1]:.1f}} .. "
                          "%{customdata[2]:.1f}), n = %{customdata[0]}<extra></extra>"))
    return _layout(fig, "NPS of the sites that moved most vs the previous month")


def drivers(frame: pl.DataFrame) -> go.Figure:
    """Total effect of each driver on SAT with its bootstrap 95 % interval; significant in colour."""
    se = frame["std_error"].fill_null(0)
    fig = go.Figure(go.Bar(
        x=[escape(c) for c in frame["from_construct"]], y=frame["estimate"].to_list(),
        error_y={"type": "data", "array": (1.96 * se).to_list(), "color": GREY},
        marker={"color": [BLUE if s else GREY for s in frame["is_significant"].fill_null(False)]},
        customdata=frame.select("std_error", "t_value", "is_significant").rows(),
        hovertemplate="%{x} -> SAT: total effect %{y:.3f}<br>bootstrap se %{customdata[0]:.3f}, "
                      "t = %{customdata[1]:.2f}<br>significant: %{customdata[2]}<extra></extra>"))
    return _layout(fig, "Driver impacts on satisfaction (total effects, 95 % bars; blue: significant)")


def servqual(frame: pl.DataFrame) -> go.Figure:
    dims = frame.filter(pl.col("dimension") != "_overall")
    fig = go.Figure(go.Bar(
        x=[escape(d) for d in dims["dimension"]], y=dims["gap_mean"].to_list(),
        marker={"color": [RED if (g or 0) < 0 else GREEN for g in dims["gap_mean"]]},
        customdata=dims.select("n", "expectation_mean", "perception_mean").rows(),
        hovertemplate="%{x}: gap %{y:.2f} (perception %{customdata[2]:.2f} - expectation "
                      "%{customdata[1]:.2f}), n = %{customdata[0]}<extra></extra>"))
    return _layout(fig, "SERVQUAL gap (perception - expectation), all sites")


def kano(frame: pl.DataFrame) -> go.Figure:
    rows = frame.filter(pl.col("better").is_not_null())
    fig = go.Figure(go.Scatter(
        x=(-rows["worse"]).to_list(), y=rows["better"].to_list(), mode="markers+text",
        text=[escape(f) for f in rows["feature"]], textposition="top center", marker={"size": 11, "color": BLUE},
        customdata=rows.select("category", "n").rows(),
        hovertemplate="%{text}: better %{y:.2f}, worse -%{x:.2f}<br>category %{customdata[0]}, "
                      "n = %{customdata[1]}<extra></extra>"))
    fig.add_hline(y=0.5, line={"dash": "dot", "color": GREY})
    fig.add_vline(x=0.5, line={"dash": "dot", "color": GREY})
    fig.update_xaxes(title="|worse| (dissatisfaction if absent)", range=[-0.05, 1.05])
    fig.update_yaxes(title="better (satisfaction if present)", range=[-0.05, 1.1])
    return _layout(fig, "KANO features on the better / worse plane", height=420)


def complaints_trend(frame: pl.DataFrame) -> go.Figure:
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    months = _months(frame)
    fig.add_trace(go.Bar(x=months, y=frame["open_at_month_end"].to_list(), name="open at month end",
                         marker={"color": GREY},
                         hovertemplate="%{x}: %{y} open at month end<extra></extra>"), secondary_y=False)
    fig.add_trace(go.Scatter(x=months, y=frame["complaint_rate_pct"].to_list(), name="complaint rate %",
                             mode="lines+markers", line={"color": RED},
                             customdata=frame.select("complainants", "active_customers").rows(),
                             hovertemplate="%{x}: complaint rate %{y:.2f} % (%{customdata[0]} of "
                                           "%{customdata[1]} active customers)<extra></extra>"), secondary_y=True)
    fig.add_trace(go.Scatter(x=months, y=frame["sla_met_pct"].to_list(), name="SLA met %", mode="lines+markers",
                             line={"color": GREEN}, customdata=frame.select("sla_met_count", "closed_count").rows(),
                             hovertemplate="%{x}: SLA met %{y:.1f} % (%{customdata[0]} of %{customdata[1]} "
                                           "closed)<extra></extra>"), secondary_y=True)
    fig.update_yaxes(title="open complaints", secondary_y=False)
    fig.update_yaxes(title="%", secondary_y=True)
    return _layout(fig, "Complaints, all sites: rate, SLA met, backlog")


def recovery(frame: pl.DataFrame) -> go.Figure:
    groups = [escape(g) for g in frame["customer_group"]]
    fig = make_subplots(rows=1, cols=2, subplot_titles=["mean latest NPS answer (0-10)", "re-ordered within the window %"])
    fig.add_trace(go.Bar(x=groups, y=frame["mean_latest_nps"].to_list(), marker={"color": BLUE}, showlegend=False,
                         customdata=frame.select("nps_n").rows(),
                         hovertemplate="%{x}: %{y:.2f}, n = %{customdata[0]}<extra></extra>"), row=1, col=1)
    fig.add_trace(go.Bar(x=groups, y=frame["reorder_pct"].to_list(), marker={"color": GREEN}, showlegend=False,
                         customdata=frame.select("reorder_count", "customers").rows(),
                         hovertemplate="%{x}: %{y:.1f} % (%{customdata[0]} of %{customdata[1]})<extra></extra>"),
                  row=1, col=2)
    return _layout(fig, "Service recovery by customer group", top=80)


def tier_pyramid(frame: pl.DataFrame) -> go.Figure:
    fig = go.Figure(go.Funnel(
        y=[escape(t) for t in frame["value_tier"]], x=frame["customers"].to_list(), textinfo="value",
        marker={"color": ["#6c5ce7", "#f0b400", "#7f8c8d", "#4d5656"]},
        customdata=frame.select(pl.col("margin_365d").fill_null(0), pl.col("clv_365d").fill_null(0)).rows(),
        hovertemplate="%{y}: %{x} customers<br>365-day margin %{customdata[0]:,.0f}<br>CLV 365d "
                      "%{customdata[1]:,.0f}<extra></extra>"))
    return _layout(fig, "Customer pyramid (tiers by 365-day margin)")


def whale_curve(frame: pl.DataFrame) -> go.Figure:
    x = [0, *frame["rank_share_pct"].to_list()]
    y = [0.0, *(100 * frame["cumulative_margin_share"].fill_null(0)).to_list()]
    fig = go.Figure(go.Scatter(x=x, y=y, mode="lines+markers", line={"color": BLUE},
                               hovertemplate="top %{x} % of customers: %{y:.1f} % of margin<extra></extra>"))
    fig.add_hline(y=100, line={"dash": "dot", "color": GREY})
    fig.update_xaxes(title="customers, ranked by 365-day margin (%)")
    fig.update_yaxes(title="cumulative margin (%)")
    return _layout(fig, "Whale curve")


def churn_bands(bands: pl.DataFrame, backtest: pl.DataFrame) -> go.Figure:
    fig = make_subplots(rows=1, cols=2, subplot_titles=["customers per risk band (latest snapshot)",
                                                        "backtest: churned within the horizon %"])
    colours = [GREEN, ORANGE, RED]
    fig.add_trace(go.Bar(x=bands["risk_band"].to_list(), y=bands["customers"].to_list(), marker={"color": colours},
                         showlegend=False, hovertemplate="%{x}: %{y} customers<extra></extra>"), row=1, col=1)
    per_band = backtest.filter(pl.col("risk_band") != "ALL") if backtest.height else backtest
    if per_band.height:
        fig.add_trace(go.Bar(x=per_band["risk_band"].to_list(), y=per_band["churn_rate_pct"].to_list(),
                             marker={"color": colours[: per_band.height]}, showlegend=False,
                             customdata=per_band.select("churned", "customers").rows(),
                             hovertemplate="%{x}: %{y:.1f} % churned (%{customdata[0]} of %{customdata[1]})"
                                           "<extra></extra>"), row=1, col=2)
    return _layout(fig, "Churn risk", top=80)


def loads(frame: pl.DataFrame) -> go.Figure:
    fig = go.Figure()
    fig.add_trace(go.Bar(x=frame["source"].to_list(), y=frame["rows_loaded"].to_list(), name="loaded",
                         marker={"color": GREEN}, hovertemplate="%{x}: %{y} rows loaded<extra></extra>"))
    fig.add_trace(go.Bar(x=frame["source"].to_list(), y=frame["rows_quarantined"].to_list(), name="quarantined",
                         marker={"color": RED}, hovertemplate="%{x}: %{y} rows quarantined<extra></extra>"))
    fig.update_layout(barmode="stack")
    return _layout(fig, "Rows loaded and quarantined per source (this business date)", height=320)


QUADRANT_COLOURS = {"concentrate_here": RED, "keep_up": GREEN, "low_priority": GREY, "possible_overkill": ORANGE}


def importance_performance(frame: pl.DataFrame) -> go.Figure:
    """Drivers on the performance (x) / importance (y) plane, one panel per weighting, with the
    quadrant lines at the means over the panel's drivers; colour = quadrant."""
    weightings = list(dict.fromkeys(frame["weighting"]))
    fig = make_subplots(rows=1, cols=len(weightings), shared_yaxes=True,
                        subplot_titles=[f"weighting {escape(w)}" for w in weightings])
    for i, w in enumerate(weightings, start=1):
        rows = frame.filter(pl.col("weighting") == w)
        fig.add_trace(go.Scatter(
            x=rows["performance"].to_list(), y=rows["total_effect_index"].to_list(), mode="markers+text",
            text=[escape(d) for d in rows["driver"]], textposition="top center", showlegend=False,
            marker={"size": 12, "color": [QUADRANT_COLOURS.get(q, BLUE) for q in rows["quadrant"]]},
            customdata=rows.select("quadrant", "impact_5pt", "total_effect_index_se", "is_significant_index",
                                   "n").rows(),
            hovertemplate=f"{escape(w)} %{{text}}: performance %{{x:.1f}}, total effect %{{y:.3f}} "
                          "(se %{customdata[2]:.3f}, significant: %{customdata[3]})<br>impact of +5 points: "
                          "%{customdata[1]:.2f} index points<br>%{customdata[0]}, n = %{customdata[4]}"
                          "<extra></extra>"), row=1, col=i)
        fig.add_hline(y=rows["importance_mean"][0], line={"dash": "dot", "color": GREY}, row=1, col=i)
        fig.add_vline(x=rows["performance_mean"][0], line={"dash": "dot", "color": GREY}, row=1, col=i)
        fig.update_xaxes(title="performance (0-100)", row=1, col=i)
    fig.update_yaxes(title="importance (total effect on the index)", row=1, col=1)
    return _layout(fig, "Importance-performance (red: concentrate here, green: keep up, orange: possible "
                        "overkill, grey: low priority)", height=420, top=80)


def clv_holdout(frame: pl.DataFrame) -> go.Figure:
    """Actual vs predicted mean repeat orders in the holdout per calibration-frequency bin."""
    bins = frame.filter(pl.col("frequency_bin") != "total")
    x = [escape(b) for b in bins["frequency_bin"]]
    fig = go.Figure()
    fig.add_trace(go.Bar(x=x, y=bins["actual_mean"].to_list(), name="actual", marker={"color": GREY},
                         customdata=bins.select("customers", "actual_orders").rows(),
                         hovertemplate="%{x} repeat orders in calibration: actual %{y:.2f} orders per customer "
                                       "(%{customdata[1]} orders, %{customdata[0]} customers)<extra></extra>"))
    fig.add_trace(go.Bar(x=x, y=bins["predicted_mean"].to_list(), name="predicted (BG/NBD)",
                         marker={"color": BLUE}, customdata=bins.select("customers", "predicted_orders").rows(),
                         hovertemplate="%{x} repeat orders in calibration: predicted %{y:.2f} orders per "
                                       "customer (%{customdata[1]:.1f} orders, %{customdata[0]} customers)"
                                       "<extra></extra>"))
    fig.update_layout(barmode="group")
    fig.update_xaxes(title="repeat orders in the calibration period", type="category")
    fig.update_yaxes(title="mean orders in the holdout")
    return _layout(fig, "CLV holdout: actual vs predicted orders per customer")


def topics(frame: pl.DataFrame, low_n: int = 30) -> go.Figure:
    """Mentions per topic (survey and complaint, stacked) and the survey NPS impact of each topic
    (grey when fewer than `low_n` commented responses mention it: too few to read)."""
    labels = [escape(t) for t in frame["topic_label"]]
    fig = make_subplots(rows=1, cols=2, subplot_titles=["mentions (texts that mention the topic)",
                                                        "NPS impact: NPS with - without the topic (survey; grey: low sample)"])
    share = frame.select("share_pct", "sentiment_mean", "negative_pct").rows()
    for col, name, colour in (("survey_mentions", "survey comments", BLUE),
                              ("complaint_mentions", "complaint descriptions", RED)):
        fig.add_trace(go.Bar(y=labels, x=frame[col].to_list(), orientation="h", name=name,
                             marker={"color": colour}, customdata=share,
                             hovertemplate=f"%{{y}}: %{{x}} {name}<br>all texts: %{{customdata[0]:.1f}} % mention "
                                           "it, mean sentiment %{customdata[1]:.2f}, negative "
                                           "%{customdata[2]:.1f} %<extra></extra>"), row=1, col=1)
    impact = frame["nps_impact"].to_list()
    fig.add_trace(go.Bar(y=labels, x=impact, orientation="h", showlegend=False,
                         marker={"color": [GREY if v is None or (n or 0) < low_n else RED if v < 0 else GREEN
                                           for v, n in zip(impact, frame["nps_with_n"], strict=True)]},
                         customdata=frame.select("nps_with", "nps_with_n", "nps_without", "nps_without_n").rows(),
                         hovertemplate="%{y}: impact %{x:.1f}<br>NPS with %{customdata[0]:.1f} (n = "
                                       "%{customdata[1]}), without %{customdata[2]:.1f} (n = %{customdata[3]})"
                                       "<extra></extra>"), row=1, col=2)
    fig.update_layout(barmode="stack")
    fig.update_yaxes(autorange="reversed")
    return _layout(fig, "Topics by volume and NPS impact", height=max(320, 60 + 28 * frame.height), top=80)


def sentiment_trend(frame: pl.DataFrame) -> go.Figure:
    """Mean sentiment per month of survey comments and complaint descriptions, negative share in hover."""
    fig = go.Figure()
    for source, colour in (("survey", BLUE), ("complaint", RED)):
        rows = frame.filter(pl.col("source") == source).sort("month")
        if rows.height == 0:
            continue
        fig.add_trace(go.Scatter(
            x=_months(rows), y=rows["sentiment_mean"].to_list(), mode="lines+markers", name=escape(source),
            line={"color": colour}, customdata=rows.select("texts", "negative_pct", "positive_pct").rows(),
            hovertemplate=f"{escape(source)} %{{x}}: mean sentiment %{{y:.2f}}<br>%{{customdata[0]}} texts, "
                          "negative %{customdata[1]:.1f} %, positive %{customdata[2]:.1f} %<extra></extra>"))
    fig.add_hline(y=0, line={"dash": "dot", "color": GREY})
    fig.update_yaxes(title="mean sentiment (-1 .. 1)", range=[-1.05, 1.05])
    return _layout(fig, "Sentiment of the texts, all sites (13 months)")
