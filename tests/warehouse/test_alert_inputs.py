"""csi.warehouse.alert_inputs on hand-made runs, files and marts (expected rows worked out by
hand), both backends."""

from __future__ import annotations

from datetime import date, datetime

from csi.warehouse import alert_inputs as inputs
from tests.hand_made import hand_made

D1, D2 = date(2026, 3, 1), date(2026, 3, 2)


def _run(run_id, d, status, started_hour, sales_read):
    return {"run_id": run_id, "business_date": d, "status": status, "started_at": datetime(2026, 3, 3, started_hour),
            "sales_rows_read": sales_read, "sales_rows_quarantined": 1, "surveys_rows_read": 7}


def test_run_counts_are_those_of_the_run_holding_each_date(warehouse_url):
    with hand_made(warehouse_url) as wh:
        wh.put("ops_pipeline_run", [
            _run("r1", D1, "replaced", 1, 100), _run("r2", D1, "success", 2, 120),
            _run("r3", D1, "failed", 3, 999),  # newer, but a failed run holds no rows
            _run("r4", D2, "refreshed", 4, 50), _run("r5", D2, "interrupted", 5, 999)])
        with wh.warehouse.transaction() as tx:
            runs = inputs.run_counts(tx).collect()
        assert runs.columns == ["business_date", "sales_rows_read", "sales_rows_quarantined", "surveys_rows_read",
                                "surveys_rows_quarantined", "complaints_rows_read", "complaints_rows_quarantined"]
        assert runs.select("business_date", "sales_rows_read", "surveys_rows_read").rows() == [
            (D1, 120, 7), (D2, 50, 7)]


def test_feeds_and_the_high_risk_customers_with_their_value(warehouse_url):
    with hand_made(warehouse_url) as wh:
        wh.put("ops_ingested_file", [
            {"drop_date": D1, "source": "sales", "file_path": "sales/a.csv", "file_sha256": "a"},
            {"drop_date": D1, "source": "sales", "file_path": "sales/b.csv", "file_sha256": "b"},
            {"drop_date": D2, "source": "surveys", "file_path": "surveys/a.csv", "file_sha256": "c"}])
        wh.put("mart_churn_signals", [
            {"as_of_date": D1, "customer_id": "C1", "risk_band": "high"},
            {"as_of_date": D1, "customer_id": "C2", "risk_band": "low"},
            {"as_of_date": D2, "customer_id": "C1", "risk_band": "high"}])
        wh.put("mart_customer_value", [
            {"as_of_date": D1, "customer_id": "C1", "value_tier": "gold", "clv_365d": 40.0},
            {"as_of_date": D2, "customer_id": "C2", "value_tier": "lead", "clv_365d": 1.0}])
        with wh.warehouse.transaction() as tx:
            feeds = inputs.delivered_feeds(tx).collect().sort("drop_date", "source").rows()
            risky = inputs.high_risk_customers(tx).collect().sort("as_of_date").rows()
            snapshots = inputs.churn_snapshot_dates(tx).collect().sort("as_of_date")["as_of_date"].to_list()
        assert feeds == [(D1, "sales"), (D2, "surveys")]
        # C1 is not in D2's value snapshot: its tier and value are unknown there
        assert risky == [(D1, "C1", "high", "gold", 40.0), (D2, "C1", "high", None, None)]
        assert snapshots == [D1, D2]
