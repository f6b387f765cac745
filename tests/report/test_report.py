"""The written report: files, offline-only references, escaping, the CLI and the run's hook; then
headless Chromium with every host unresolvable renders every chart and the headline NPS."""

from __future__ import annotations

import re
from datetime import date
from html.parser import HTMLParser

from csi.cli import main
from csi.report.render import write_report
from tests.conftest import read_table
from tests.report.conftest import LAST, dump_dom

# on the small warehouse (seed 7): no ACSI model (12 complete responses < 100) and so no importance-
# performance or quality, no backtest (45 days), a CLV holdout whose calibration fit is degenerate
CHARTS = {"chart-trends", "chart-movers", "chart-servqual", "chart-kano", "chart-complaints", "chart-recovery",
          "chart-tiers", "chart-whale", "chart-churn", "chart-loads", "chart-topics", "chart-sentiment"}
INSIGHT_CHARTS = {"chart-ipa", "chart-clv-holdout", "chart-topics", "chart-sentiment"}
PLOTLY_SCRIPT = re.compile(r"<script type=\"text/javascript\">/\*\*\s*\* plotly\.js v.*?</script>", re.S)
EXTERNAL = re.compile(r"""(?:src|href|action)\s*=\s*["']?\s*(?:https?:)?//|url\(\s*["']?(?:https?:)?//""", re.I)


def test_writes_the_dated_report_and_latest(report_env):
    path = write_report(report_env["settings"])
    assert path == report_env["dir"] / f"report-{LAST.isoformat()}.html"
    latest = report_env["dir"] / "latest.html"
    assert latest.read_bytes() == path.read_bytes()
    html = path.read_text(encoding="utf-8")
    assert len(PLOTLY_SCRIPT.findall(html)) == 1  # plotly.js embedded once
    outside = PLOTLY_SCRIPT.sub("", html)
    assert "plotly.js v" not in outside and "cdn." not in outside
    assert EXTERNAL.findall(outside) == []
    # an earlier date gets its own file and leaves latest.html alone
    earlier = write_report(report_env["settings"], date(2026, 1, 20))
    assert earlier.name == "report-2026-01-20.html"
    assert latest.read_bytes() == path.read_bytes()


def test_data_text_is_escaped_and_chinese_kept(report_env):
    """A customer's reasons holding markup and Chinese text end up as text in the page."""
    from csi.warehouse.engine import Warehouse

    wh = Warehouse(report_env["url"])
    with wh.transaction() as tx:
        tx.execute("UPDATE mart_churn_signals SET reasons = :r WHERE as_of_date = :d AND risk_band = 'high'",
                   {"r": "<script>alert(1)</script>客户流失 & 投诉", "d": LAST})
    wh.dispose()
    html = write_report(report_env["settings"]).read_text(encoding="utf-8")
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;客户流失 &amp; 投诉" in html


def test_csi_report_command(report_env, tmp_path, capsys, monkeypatch):
    out = tmp_path / "elsewhere"
    assert main(["report", "--date", "2026-02-01", "--out", str(out)]) == 0
    assert (out / "report-2026-02-01.html").is_file()
    assert "report-2026-02-01.html" in capsys.readouterr().out
    monkeypatch.setenv("CSI_WAREHOUSE_URL", f"duckdb:///{tmp_path / 'empty.duckdb'}")
    assert main(["report"]) == 2
    assert capsys.readouterr().err.strip() == ("csi: error: no successful run in the warehouse yet: "
                                               "run `csi run` or `csi demo` first")


def test_the_runs_hook_writes_the_report_and_never_fails(report_env, monkeypatch):
    from csi.pipeline import handle
    from csi.pipeline.run import INLINE, _Run

    settings = report_env["settings"]
    wh = handle.connect(settings)
    logger = _Logger()
    run = _Run(settings, INLINE, logger, "csi run")
    try:
        run.result.checks = {"checked": 7, "failed": 0}
        path = run.report(wh, LAST)
        assert path == str(report_env["dir"] / f"report-{LAST.isoformat()}.html")
        html = report_env["dir"].joinpath(f"report-{LAST.isoformat()}.html").read_text(encoding="utf-8")
        assert "checks: <b>passed</b> (7 expectations, 0 failed)" in html

        def broken(*args, **kwargs):
            raise OSError("disk full")

        monkeypatch.setattr("csi.report.write_report", broken)
        run.result.checks = None
        assert run.report(wh, LAST) is None
        assert logger.lines[-1] == ("warning", "the insight report was not written: OSError: disk full")
    finally:
        handle.release(settings)


class _Logger:
    def __init__(self):
        self.lines: list[tuple[str, str]] = []

    def info(self, msg, *args):
        self.lines.append(("info", msg % args))

    def warning(self, msg, *args):
        self.lines.append(("warning", msg % args))


class _Charts(HTMLParser):
    """Chart containers (div data-chart) and whether each holds a plotly svg.main-svg; the KPI spans."""

    def __init__(self):
        super().__init__()
        self.stack: list[str | None] = []
        self.svgs: dict[str, int] = {}
        self.kpi: dict[tuple[str, str], str] = {}
        self._kpi: tuple[str, str] | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "div":
            chart = a.get("data-chart")
            if chart:
                self.svgs.setdefault(chart, 0)
            self.stack.append(chart)
        if tag == "svg" and "main-svg" in (a.get("class") or "").split():
            for chart in reversed(self.stack):
                if chart:
                    self.svgs[chart] += 1
                    break
        if tag == "span" and a.get("class") == "kpi":
            self._kpi = (a["data-kpi"], a["data-site"])

    def handle_endtag(self, tag):
        if tag == "div" and self.stack:
            self.stack.pop()

    def handle_data(self, data):
        if self._kpi:
            self.kpi[self._kpi] = data
            self._kpi = None


def test_chromium_offline_renders_every_chart_and_the_headline_nps(report_env, chromium, tmp_path):
    path = write_report(report_env["settings"])
    dom = dump_dom(chromium, path, tmp_path)
    parsed = _Charts()
    parsed.feed(dom)
    assert set(parsed.svgs) == CHARTS
    assert {c for c, n in parsed.svgs.items() if n == 0} == set()
    month = read_table(report_env["url"], "SELECT nps, csat_top2_pct FROM mart_satisfaction_monthly "
                                          "WHERE site_id = 'ALL' AND month = DATE '2026-02-01'")
    assert parsed.kpi[("nps", "ALL")] == f"{month['nps'][0]:.1f}"
    assert parsed.kpi[("csat_top2_pct", "ALL")] == f"{month['csat_top2_pct'][0]:.1f}"
    assert "ACSI model not estimated: too_few_responses" in dom
    assert "importance-performance not estimated yet: too_few_responses" in dom
    assert "measurement quality not estimated yet" in dom
    assert "no prediction to compare (the calibration fit did not converge)" in dom
    assert ">Alerts</h3>" in dom


def test_chromium_renders_the_insight_charts_of_hand_made_marts(insight_marts, chromium, tmp_path):
    from csi.report import build
    from csi.report.render import render

    with insight_marts.warehouse.transaction() as tx:
        page = render(build.load(tx))
    path = tmp_path / "insights.html"
    path.write_text(page, encoding="utf-8")
    parsed = _Charts()
    parsed.feed(dump_dom(chromium, path, tmp_path))
    assert set(parsed.svgs) == INSIGHT_CHARTS | {"chart-loads"}  # the data-quality chart is always drawn
    assert {c for c, n in parsed.svgs.items() if n == 0} == set()


def test_the_run_does_not_import_plotly_until_it_writes_a_report():
    import subprocess
    import sys

    code = "import sys, csi.flows.pipeline, csi.cli.commands, csi.report; print('plotly' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
