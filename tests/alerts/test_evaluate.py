"""evaluate on a real warehouse (DuckDB and PostgreSQL): merge, idempotence, resolution, delivery."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from csi.alerts.evaluate import evaluate
from csi.settings import load_settings
from csi.warehouse import tables_marts_satisfaction as sat
from csi.warehouse import tables_ops as ops
from csi.warehouse.tables_alerts import MART_ALERTS
from tests.alerts.conftest import insert_rows

FEB, MAR, D = date(2026, 2, 1), date(2026, 3, 1), date(2026, 3, 5)


@pytest.fixture
def planted(alert_wh):
    """Three conditions: S1's NPS fell 12 points (significant) in March; the surveys feed of
    2026-03-05 quarantined 3 of 200 (1.5 %); its drop has no complaints file."""
    insert_rows(alert_wh, sat.MART_SATISFACTION_MONTHLY, [
        {"month": FEB, "site_id": "S1", "nps_n": 100, "nps": 40.0},
        {"month": MAR, "site_id": "S1", "nps_n": 100, "nps": 28.0, "nps_prev": 40.0, "nps_delta": -12.0,
         "nps_change_significant": True},
    ])
    insert_rows(alert_wh, ops.OPS_PIPELINE_RUN, [
        {"run_id": "run-a", "business_date": D, "status": "success", "started_at": datetime(2026, 3, 6, 2),
         "finished_at": datetime(2026, 3, 6, 3), "input_fingerprint": "f", "sales_rows_read": 500,
         "surveys_rows_read": 200, "surveys_rows_quarantined": 3},
    ])
    insert_rows(alert_wh, ops.OPS_INGESTED_FILE, [
        {"drop_date": D, "source": s, "file_path": f"{s}/dt=2026-03-05/a.csv", "file_sha256": s, "run_id": "run-a",
         "status": "ingested"} for s in ("sales", "surveys")
    ])
    return alert_wh


def _settings(wh, urls=()):
    return load_settings(warehouse_url=wh.url, alerts={"notify_urls": list(urls), "notify_backoff_seconds": 0.01,
                                                        "notify_attempts": 2})


def _table(wh):
    with wh.transaction() as tx:
        return tx.read_table(MART_ALERTS).sort("rule", "subject", "period")


KEYS = [("feed_missing", "complaints", D), ("nps_drop", "S1", MAR), ("quarantine_spike", "surveys", D)]


def test_evaluate_twice_gives_the_same_rows_and_one_send(planted, webhook):
    settings = _settings(planted, [webhook.url])
    first = evaluate(settings, "run-1", planted)
    assert (first.open, first.new, first.resolved, first.sent, first.errors) == (3, 3, 0, 3, [])
    rows = _table(planted)
    assert [(r["rule"], r["subject"], r["period"]) for r in rows.iter_rows(named=True)] == KEYS
    assert rows["first_detected_run"].to_list() == ["run-1"] * 3
    assert rows["sent_at"].null_count() == 0 and rows["delivery_error"].null_count() == 3
    assert rows.filter(rows["rule"] == "nps_drop")["severity"].to_list() == ["critical"]
    assert webhook.requests == 1 and len(webhook.bodies[0]["alerts"]) == 3

    again = evaluate(settings, "run-2", planted)
    assert (again.open, again.new, again.resolved, again.sent) == (3, 0, 0, 0)
    assert _table(planted).equals(rows)
    assert webhook.requests == 1


def test_a_condition_that_stops_holding_is_resolved_and_kept(planted):
    settings = _settings(planted)
    evaluate(settings, "run-1", planted)
    with planted.transaction() as tx:  # a corrected drop: March's fall is no longer significant
        tx.execute("UPDATE mart_satisfaction_monthly SET nps_change_significant = false WHERE month = :m",
                   {"m": MAR})
    outcome = evaluate(settings, "run-2", planted)
    assert (outcome.open, outcome.new, outcome.resolved) == (2, 0, 1)
    rows = _table(planted)
    nps = rows.filter(rows["rule"] == "nps_drop").row(0, named=True)
    assert nps["resolved"] is True and nps["resolved_at"] is not None and nps["first_detected_run"] == "run-1"
    assert rows.filter(rows["rule"] != "nps_drop")["resolved"].to_list() == [False, False]
    resolved_at = nps["resolved_at"]
    evaluate(settings, "run-3", planted)
    assert _table(planted).filter(rows["rule"] == "nps_drop")["resolved_at"].to_list() == [resolved_at]


def test_a_failing_notifier_is_recorded_and_tried_again(planted, webhook, closed_port):
    dead = f"http://127.0.0.1:{closed_port}/hook?token=s3cret"
    outcome = evaluate(_settings(planted, [dead]), "run-1", planted)
    assert outcome.sent == 0 and len(outcome.errors) == 1
    rows = _table(planted)
    assert rows["sent_at"].null_count() == 3
    error = rows["delivery_error"][0]
    assert error.startswith(f"http://127.0.0.1:{closed_port}/*** failed: ") and "s3cret" not in error

    outcome = evaluate(_settings(planted, [webhook.url]), "run-2", planted)
    assert outcome.sent == 3 and webhook.requests == 1
    rows = _table(planted)
    assert rows["sent_at"].null_count() == 0 and rows["delivery_error"].null_count() == 3


def test_a_switched_off_rule_leaves_its_rows_alone(planted):
    evaluate(_settings(planted), "run-1", planted)
    settings = load_settings(warehouse_url=planted.url, alerts={"nps_drop": False, "quarantine_spike_pct": 2.0})
    outcome = evaluate(settings, "run-2", planted)
    rows = _table(planted)
    # nps_drop not evaluated: still open; the spike of 1.5 % is under the new 2 %: resolved
    assert dict(zip(rows["rule"], rows["resolved"], strict=True)) == {
        "feed_missing": False, "nps_drop": False, "quarantine_spike": True}
    assert outcome.resolved == 1


def test_notifier_urls_are_checked_and_masked_in_the_configuration():
    from csi.settings import ConfigError

    settings = load_settings(alerts={"notify_urls": ["smtp://u:pw@mail:25?from=a@x&to=b@y",
                                                     "https://hooks.example.com/services/T1/B2/tok3n"]})
    assert settings.masked()["alerts"]["notify_urls"] == ["smtp://u:***@mail:25?from=a@x&to=b@y",
                                                          "https://hooks.example.com/***"]
    with pytest.raises(ConfigError, match=r"must start with https://, http://, smtp:// or smtps://: ftp://u:\*\*\*@h"):
        load_settings(alerts={"notify_urls": ["ftp://u:pw@h/x"]})
