"""The generator's comments and complaint descriptions: read by the shipped text engine, their
topics and sentiment follow the customer's NPS class and channel, and the complaint's category."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from csi.generate import texts
from csi.text_config import load_text_rules
from transforms.text_facts import analyse_texts


@pytest.fixture(scope="module")
def rules():
    return load_text_rules()


def _analyse(rules, values) -> pl.DataFrame:
    frame = pl.DataFrame({"i": range(len(values)), "text": list(values)})
    return analyse_texts(frame.lazy(), rules).collect().sort("i")


def test_every_phrase_is_read_as_its_topic_polarity_and_language(rules):
    rows = [(topic, pol, lang, p) for topic, d in texts.PHRASES.items() for pol, dd in d.items()
            for lang, phrases in dd.items() for p in phrases]
    out = _analyse(rules, [r[3] for r in rows])
    wrong = [(r, got) for r, got in zip(rows, out.select("topics", "sentiment_label", "language").rows(), strict=True)
             if got != ([r[0]], "negative" if r[1] == "neg" else "positive", r[2])]
    assert wrong == []
    assert set(texts.PHRASES) == {t.topic_id for t in rules.topics}  # every shipped topic can be written


def test_detractors_complain_and_promoters_praise_about_their_channel(rules):
    n = 400
    rng = texts.text_rng("R1")
    detractors = _analyse(rules, texts.survey_comments(rng, np.full(n, 3.0), np.ones(n, bool)))
    promoters = _analyse(rules, texts.survey_comments(rng, np.full(n, 10.0), np.zeros(n, bool)))
    # a generic comment has no topic; every other one is wholly negative / positive
    assert set(detractors["sentiment_label"]) == {"negative"}
    assert set(promoters["sentiment_label"]) == {"positive"}
    online_problems = set(texts.WEIGHTS[(True, "neg")])
    store_praise = set(texts.WEIGHTS[(False, "pos")])
    assert set(detractors["topics"].explode().drop_nulls()) <= online_problems
    assert set(promoters["topics"].explode().drop_nulls()) <= store_praise
    # delivery is the online detractors' first topic (weight 0.32), staff the store promoters' (0.38)
    assert detractors["topics"].explode().value_counts(sort=True)["topics"][0] == "delivery"
    assert promoters["topics"].explode().value_counts(sort=True)["topics"][0] == "staff_attitude"
    no_topic = (detractors["topics"].list.len() == 0).mean()
    assert 0.06 < no_topic < 0.18  # GENERIC_SHARE 0.12
    assert 0.6 < (detractors["language"] == "zh").mean() < 0.8  # ZH_SHARE 0.7


def test_complaint_descriptions_name_their_category_and_detail(rules):
    categories = np.array(list(texts.CATEGORY_TOPICS))
    details = np.array([0, 1, 2, 3, 4, 0, 2])
    out = _analyse(rules, texts.complaint_descriptions(texts.text_rng("CP20260101"), categories, details))
    for category, topics in zip(categories, out["topics"].to_list(), strict=True):
        assert texts.CATEGORY_TOPICS[category] in topics
    assert set(out["sentiment_label"]) == {"negative"}
    # detail 0 "nobody dealt with it" / 多次联系无人处理 is about complaint handling
    assert "complaint_handling" in out["topics"][0]


def test_texts_are_deterministic():
    a = texts.survey_comments(texts.text_rng("RS1"), np.array([2.0, 7.0, 10.0]), np.array([True, False, True]))
    b = texts.survey_comments(texts.text_rng("RS1"), np.array([2.0, 7.0, 10.0]), np.array([True, False, True]))
    assert a.tolist() == b.tolist()
