"""fct_text, fct_text_topic and the text marts through the pipeline: the small landing plus a
few comments; a complaint's new version replaces its text, date by date equals all at once,
and a changed topic dictionary re-analyses every text."""

from __future__ import annotations

import os
from datetime import date

import pytest

from csi.settings import CONFIG_DIR
from tests.conftest import read_table, table_digest, write_csv
from tests.pipeline import landing
from tests.pipeline.landing import DATES
from tests.pipeline.runs import run_dates

TEXT_TABLES = ("fct_text", "fct_text_topic", "mart_topics_monthly", "mart_complaint_categories_monthly")
D1, D3 = (f"dt={d.isoformat()}" for d in (DATES[0], DATES[2]))




@pytest.fixture
def texts_env(env):
    landing.build(env["landing"])
    # R1 (promoter, S1) praises the staff; R4 (detractor, S2) writes about a slow delivery
    write_csv(env["landing"] / f"surveys/{D1}/comments.csv", landing.ANSWER_HEADER +
              "R1,comment,C1,S1,2026-01-30 18:00:00,email,,The staff were very friendly\n"
              "R4,nps,C2,S2,2026-01-30 19:30:00,sms,3,\n"
              "R4,comment,C2,S2,2026-01-30 19:30:00,sms,,送货太慢了\n")
    # day 3: a later version of K1 with a new description
    write_csv(env["landing"] / f"complaints/{D3}/crm.csv", landing.COMPLAINT_HEADER +
              "K1,C2,S2,2026-01-30 20:00:00,2026-01-31 08:00:00,2026-01-31 10:00:00,2026-02-01 07:00:00,"
              "closed,true,phone,物流延迟,2,20,The courier was rude and the parcel arrived late\n")
    return env


def _texts(url):
    return read_table(url, "SELECT text_id, source, site_id, customer_id, content, language, sentiment_label, "
                           "topics, topic_count FROM fct_text ORDER BY text_id").rows()


def test_texts_follow_the_facts_and_date_by_date_equals_all_at_once(texts_env, tmp_path):
    url = texts_env["url"]
    run_dates(DATES[:2])
    assert [r[:8] for r in _texts(url)] == [
        ("complaint:K1", "complaint", "S2", "C2", "慢", "zh", "negative", ""),
        ("survey:R1:comment", "survey", "S1", "C1", "The staff were very friendly", "en", "positive",
         "staff_attitude"),
        ("survey:R4:comment", "survey", "S2", "C2", "送货太慢了", "zh", "negative", "delivery"),
    ]
    run_dates(DATES[2:])
    texts = _texts(url)
    assert texts[0] == ("complaint:K1", "complaint", "S2", "C2", "The courier was rude and the parcel arrived late",
                        "en", "negative", "delivery;staff_attitude", 2)
    assert texts[2] == ("survey:R3:comment", "survey", "S1", "C1", "服务很好", "zh", "positive", "", 0)
    assert read_table(url, "SELECT text_id, topic_id, source, site_id, written_date FROM fct_text_topic "
                           "ORDER BY 1, 2").rows() == [
        ("complaint:K1", "delivery", "complaint", "S2", date(2026, 1, 30)),
        ("complaint:K1", "staff_attitude", "complaint", "S2", date(2026, 1, 30)),
        ("survey:R1:comment", "staff_attitude", "survey", "S1", date(2026, 1, 30)),
        ("survey:R4:comment", "delivery", "survey", "S2", date(2026, 1, 30)),
    ]
    assert read_table(url, "SELECT count(*) FROM ops_pending_text_key").item() == 0

    # ALL, January, survey: R1 (NPS 10, promoter) mentions staff, R4 (NPS 3, detractor) delivery
    topics = read_table(url, "SELECT topic_id, topic_label, texts, mentions, share_pct, negative_pct, nps_with_n, "
                             "nps_with, nps_without_n, nps_without, nps_impact FROM mart_topics_monthly "
                             "WHERE month = DATE '2026-01-01' AND site_id = 'ALL' AND source = 'survey' "
                             "AND topic_id IN ('delivery', 'staff_attitude', 'payment') ORDER BY 1").rows()
    assert topics == [
        ("delivery", "Delivery", 2, 1, 50.0, 100.0, 1, -100.0, 1, 100.0, -200.0),
        ("payment", "Payment", 2, 0, 0.0, None, 0, None, 2, 0.0, None),
        ("staff_attitude", "Staff attitude", 2, 1, 50.0, 0.0, 1, 100.0, 1, -100.0, 200.0),
    ]
    # every dictionary topic gets a row per cell: Jan S1, S2, ALL survey + S2, ALL complaint; Feb S1, ALL survey
    n_topics = read_table(url, "SELECT topic_count FROM ops_text_rules").item()
    assert n_topics == 10
    assert read_table(url, "SELECT count(*) FROM mart_topics_monthly").item() == 7 * n_topics
    # K1: opened and closed in January (14 h), its description's topics tie at one mention each
    assert read_table(url, "SELECT site_id, category, channel, opened_count, closed_count, resolution_hours_median, "
                           "top_topic_1, top_topic_1_mentions, top_topic_2, top_topic_3 "
                           "FROM mart_complaint_categories_monthly ORDER BY site_id").rows() == [
        ("ALL", "物流延迟", "phone", 1, 1, 14.0, "delivery", 1, "staff_attitude", None),
        ("S2", "物流延迟", "phone", 1, 1, 14.0, "delivery", 1, "staff_attitude", None),
    ]

    nightly = {t: table_digest(url, t) for t in TEXT_TABLES}
    os.environ["CSI_WAREHOUSE_URL"] = f"duckdb:///{tmp_path / 'clean.duckdb'}"
    os.environ["CSI_WORK_DIR"] = str(tmp_path / "clean-work")
    run_dates(DATES)
    assert {t: table_digest(os.environ["CSI_WAREHOUSE_URL"], t) for t in TEXT_TABLES} == nightly


def test_a_new_topic_dictionary_reanalyses_every_text(texts_env, tmp_path, monkeypatch):
    url = texts_env["url"]
    run_dates(DATES)
    before = read_table(url, "SELECT rules_fingerprint FROM ops_text_rules").item()
    topics = tmp_path / "topics.yaml"
    topics.write_text((CONFIG_DIR / "topics.yaml").read_text(encoding="utf-8")
                      + "- topic_id: courtesy\n  label: Courtesy\n  zh: [很好]\n  en: [friendly]\n", encoding="utf-8")
    monkeypatch.setenv("CSI_TEXT__TOPICS", str(topics))
    run_dates(DATES[2:])  # a refresh that rebuilds only day-3 keys still re-analyses R1 and R3 (day 1 and 3)
    assert read_table(url, "SELECT rules_fingerprint FROM ops_text_rules").item() != before
    assert read_table(url, "SELECT text_id, topics FROM fct_text WHERE source = 'survey' ORDER BY 1").rows() == [
        ("survey:R1:comment", "courtesy;staff_attitude"),
        ("survey:R3:comment", "courtesy"),
        ("survey:R4:comment", "delivery"),
    ]
    # January's mart has the new topic: R1 in S1
    assert read_table(url, "SELECT site_id, mentions, nps_with FROM mart_topics_monthly WHERE topic_id = 'courtesy' "
                           "AND source = 'survey' AND month = DATE '2026-01-01' ORDER BY 1").rows() == [
        ("ALL", 1, 100.0), ("S1", 1, 100.0), ("S2", 0, None)]
