"""The demo generator's planted conditions reach mart_alerts and a webhook: a small generated
warehouse over the planted month (March and April 2026), loaded and refreshed as a run does."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import polars as pl
import pytest

from csi.alerts.evaluate import evaluate
from csi.generate import generate
from csi.generate.faults import MISSING_FEED_DAY, MISSING_FEED_SOURCE, NPS_DROP_FROM, NPS_DROP_SITE
from csi.pipeline import handle, steps
from csi.settings import load_settings
from tests.pipeline.runs import load_and_refresh

START, DAYS = date(2026, 3, 1), 61  # March and the planted April, whole


@pytest.fixture(scope="module")
def demo_alerts(tmp_path_factory):
    root = tmp_path_factory.mktemp("demo_alerts")
    generate(root / "landing", customers=1500, days=DAYS, seed=7, start_date=START)
    settings = load_settings(warehouse_url=f"duckdb:///{root / 'wh.duckdb'}", landing_dir=root / "landing",
                             work_dir=root / "work", customer_value={"snapshot_cadence": "weekly"})
    wh = handle.open_warehouse(settings)
    dates = [START + timedelta(days=i) for i in range(DAYS)]
    _, run_ids = load_and_refresh(wh, settings, dates, now=datetime(2026, 11, 1))
    steps.finish_runs(wh, settings, run_ids)
    yield wh, settings, run_ids[-1], root
    wh.dispose()


def test_the_planted_conditions_are_alerts_and_reach_the_webhook(demo_alerts, webhook):
    wh, settings, run_id, _ = demo_alerts
    settings = settings.model_copy(update={"alerts": settings.alerts.model_copy(
        update={"notify_urls": [webhook.url]})})
    outcome = evaluate(settings, run_id, wh)
    with wh.transaction() as tx:
        alerts = tx.read("SELECT * FROM mart_alerts")
    # the site whose customers feel worse from April: a significant, critical NPS fall
    nps = alerts.filter((pl.col("rule") == "nps_drop") & (pl.col("subject") == NPS_DROP_SITE))
    assert nps["period"].to_list() == [NPS_DROP_FROM.date()]
    assert nps["severity"].to_list() == ["critical"] and nps["value"][0] < nps["previous"][0] - 10
    # bad rows above 1 % of a source's drop of 100+ rows, below the 5 % that would reject it
    spikes = alerts.filter(pl.col("rule") == "quarantine_spike")
    assert spikes.height > 0 and spikes["value"].min() > 1 and spikes["value"].max() <= 5
    # every open alert went out in one POST
    assert outcome.sent == outcome.open == alerts.height and webhook.requests == 1
    sent = {(a["rule"], a["subject"], a["period"]) for a in webhook.bodies[0]["alerts"]}
    assert ("nps_drop", NPS_DROP_SITE, NPS_DROP_FROM.date().isoformat()) in sent


def test_the_missing_feed_is_a_critical_alert(demo_alerts):
    wh, settings, run_id, root = demo_alerts
    folder = root / "landing" / MISSING_FEED_SOURCE / f"dt={MISSING_FEED_DAY:%Y-%m-%d}"
    if folder.exists() and any(folder.iterdir()):
        pytest.skip("the generator does not leave the feed out yet (csi/generate/__init__.py: faults.held_back)")
    evaluate(settings, run_id, wh)
    with wh.transaction() as tx:
        missing = tx.read("SELECT subject, period, severity FROM mart_alerts WHERE rule = 'feed_missing'")
    # (a drop whose complaints would be an empty JSONL file has none either: also a missing feed)
    assert (MISSING_FEED_SOURCE, MISSING_FEED_DAY, "critical") in missing.rows()
