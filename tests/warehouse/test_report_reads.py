"""csi.warehouse.report_reads on hand-made rows (expected values worked out by hand), both backends.
The report's own tests (tests/report) cover the reads through csi.report.build on DuckDB."""

from __future__ import annotations

from datetime import date, datetime

from csi.warehouse import report_reads as reads
from tests.hand_made import hand_made

D = date(2026, 3, 2)


def test_runs_files_and_tables(warehouse_url):
    with hand_made(warehouse_url) as wh:
        wh.put("ops_pipeline_run", [
            {"run_id": r, "business_date": d, "status": s, "started_at": datetime(2026, 3, 3, h)}
            for r, d, s, h in (("r1", D, "replaced", 1), ("r2", D, "success", 2), ("r3", D, "interrupted", 3),
                               ("r4", date(2026, 3, 1), "success", 4), ("r5", date(2026, 3, 5), "failed", 5))])
        wh.put("ops_ingested_file", [
            {"drop_date": D, "source": "sales", "file_path": p, "status": s, "file_sha256": p}
            for p, s in (("sales/z.csv", "quarantined"), ("sales/a.csv", "ingested"), ("sales/b.txt", "unsupported"))])
        wh.put("ops_quarantine", [
            {"drop_date": D, "source": "sales", "source_file": "sales/z.csv", "record_no": None,
             "reasons": "file:bad_header"},
            {"drop_date": D, "source": "sales", "source_file": "sales/a.csv", "record_no": 3,
             "reasons": "quantity:not_positive"}])
        with wh.warehouse.transaction() as tx:
            assert reads.has_table(tx, "ops_pipeline_run") and not reads.has_table(tx, "no_such_table")
            empty = reads.no_rows(tx, "mart_kano_quarterly")
            assert empty.height == 0 and empty.columns[0] == "quarter"
            assert reads.newest_success_date(tx) == D  # r5 on the 5th failed
            assert reads.current_runs(tx, D)["run_id"].to_list() == ["r2"]
            assert reads.quarantine_reasons(tx, D).sort("reasons").rows() == [
                ("sales", "file:bad_header"), ("sales", "quantity:not_positive")]
            # by path; a whole-file quarantine row gives the why, a record's row does not
            assert reads.files_of_drop(tx, D, ("unsupported", "quarantined")).rows() == [
                ("sales", "sales/b.txt", "unsupported", None), ("sales", "sales/z.csv", "quarantined", "file:bad_header")]


def _text(text_id, day, sentiment, label, written_hour=12):
    return {"text_id": text_id, "source": "survey", "site_id": "S1", "written_at": datetime(2026, 3, day, written_hour),
            "written_date": date(2026, 3, day), "content": f"text {text_id}", "sentiment": sentiment,
            "sentiment_label": label, "topics": "price"}


def test_texts_per_day_and_the_most_negative_per_topic(warehouse_url):
    with hand_made(warehouse_url) as wh:
        texts = [_text("t1", 2, -0.5, "negative"), _text("t2", 2, 0.75, "positive"), _text("t3", 2, -0.5, "negative", 18),
                 _text("t4", 3, 0.0, "neutral"), _text("t5", 9, -0.9, "negative")]
        wh.put("fct_text", texts)
        wh.put("fct_text_topic", [{"text_id": t["text_id"], "topic_id": "price", "source": "survey", "site_id": "S1",
                                   "written_date": t["written_date"], "sentiment_label": t["sentiment_label"]}
                                  for t in texts])
        with wh.warehouse.transaction() as tx:
            days = reads.sentiment_per_day(tx, date(2026, 3, 2), date(2026, 3, 9)).sort("written_date")
            ranked = reads.most_negative_texts(tx, date(2026, 3, 1), date(2026, 3, 9), per_topic=3).sort("k")
        # the 9th is the end, outside; the 2nd: three texts, -0.5 + 0.75 - 0.5 = -0.25
        assert days.rows() == [("survey", date(2026, 3, 2), 3, -0.25, 2, 1), ("survey", date(2026, 3, 3), 1, 0.0, 0, 0)]
        # -0.5 twice: the newer (t3, 18:00) first
        assert ranked.select("k", "content").rows() == [(1, "text t3"), (2, "text t1"), (3, "text t4")]


def test_backtest_pooled_per_band(warehouse_url):
    with hand_made(warehouse_url) as wh:
        wh.put("mart_churn_backtest", [
            {"as_of_date": date(2026, 1, d), "risk_band": b, "customers": n, "churned": c, "auc": a}
            for d, b, n, c, a in ((1, "ALL", 10, 4, 0.6), (8, "ALL", 20, 5, 0.8), (1, "high", 4, 3, None))])
        with wh.warehouse.transaction() as tx:
            got = reads.backtest_by_band(tx).sort("risk_band").rows()
        assert got[0][:4] == ("ALL", 2, 30, 9) and abs(got[0][4] - 0.7) < 1e-12 and got[0][5:] == (0.6, 0.8)
        assert got[1] == ("high", 1, 4, 3, None, None, None)
