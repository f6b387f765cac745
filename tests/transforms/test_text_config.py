"""Loading the topic dictionary and sentiment lexicons (csi.text_config), and the whole text analysis."""

from __future__ import annotations

import shutil
from pathlib import Path

import polars as pl
import pytest

from csi.text_config import DEFAULT_SENTIMENT_DIR, TextConfigError, load_text_rules
from transforms.text_facts import analyse_texts

METRICS_TOPICS = ["delivery", "waiting_time", "staff_attitude", "product_quality", "price_value",
                  "returns_refunds", "app_website", "payment", "cleanliness", "complaint_handling"]  # fmt: skip


def test_shipped_configuration():
    rules = load_text_rules()
    assert [t.topic_id for t in rules.topics] == METRICS_TOPICS
    assert all(t.zh_terms and t.en_terms for t in rules.topics)
    lex = rules.lexicon
    assert (lex.negative_below, lex.positive_above, lex.intensifier_factor, lex.window) == (-0.05, 0.05, 1.5, 3)
    assert rules.zh_min_share == 0.3
    assert {"不", "没有", "not", "never"} <= lex.negators
    assert {"非常", "太", "very"} <= lex.intensifiers


def test_analyse_texts_with_shipped_rules():
    frame = pl.LazyFrame({"id": [1, 2, 3, 4, 5], "text": [
        "没有问题，很满意",  # 没有 + 问题 (-0.4 flipped) and 很 + 满意 (1.0 * 1.5): clipped mean 0.95
        "快递太慢了，客服态度很差",
        "The delivery was not bad.",
        "The delivery was not bad.",
        None,
    ]})  # fmt: skip
    got = analyse_texts(frame, load_text_rules()).collect().sort("id")
    assert got["language"].to_list() == ["zh", "zh", "en", "en", None]
    assert got["topics"].to_list() == [[], ["delivery", "staff_attitude"], ["delivery"], ["delivery"], None]
    assert got["sentiment"][0] == pytest.approx((0.4 + 1.0 * 1.5) / 2)
    assert got["sentiment_label"].to_list() == ["positive", "negative", "positive", "positive", None]


def _copy_config(tmp_path: Path) -> tuple[Path, Path]:
    sdir = tmp_path / "sentiment"
    shutil.copytree(DEFAULT_SENTIMENT_DIR, sdir)
    return tmp_path / "topics.yaml", sdir


def test_a_new_topic_is_a_yaml_change(tmp_path):
    topics, sdir = _copy_config(tmp_path)
    topics.write_text("topics:\n- topic_id: parking\n  label: Parking\n  zh: [停车]\n  en: [car park, parking]\n")
    rules = load_text_rules(topics, sdir)
    assert rules.fingerprint() == load_text_rules(topics, sdir).fingerprint()  # stable across loads
    assert rules.fingerprint() != load_text_rules(None, sdir).fingerprint()  # another dictionary
    frame = pl.LazyFrame({"text": ["停车位太少", "The car parks are full", "nothing"]})
    assert analyse_texts(frame, rules).collect()["topics"].to_list() == [["parking"], ["parking"], []]


@pytest.mark.parametrize(
    ("yaml_text", "message"),
    [
        ("topics: []\n", "expected a non-empty list under 'topics'"),
        ("topics:\n- topic_id: Bad Id\n  en: [x]\n", "topic #1: topic_id must be snake_case text, got 'Bad Id'"),
        ("topics:\n- topic_id: a\n  en: [x]\n- topic_id: a\n  en: [y]\n", "topic 'a' is defined twice"),
        ("topics:\n- topic_id: a\n", "topic 'a' has no terms"),
        ("topics:\n- topic_id: a\n  en: x\n", "topic 'a': en must be a list of non-empty strings"),
        ("topics:\n- topic_id: a\n  en: [x]\n  terms: [y]\n", "topic 'a': unknown key(s) ['terms']"),
        ("topics: [\n", "not valid YAML"),
    ],
)
def test_bad_topic_dictionary(tmp_path, yaml_text, message):
    topics, sdir = _copy_config(tmp_path)
    topics.write_text(yaml_text)
    with pytest.raises(TextConfigError) as err:
        load_text_rules(topics, sdir)
    assert str(err.value).startswith(f"{topics}: ")
    assert message in str(err.value)
    assert "\n" not in str(err.value)


def test_bad_lexicon_files(tmp_path):
    topics, sdir = _copy_config(tmp_path)
    shutil.copy(Path(DEFAULT_SENTIMENT_DIR).parent / "topics.yaml", topics)
    (sdir / "en_polarity.tsv").write_text("# c\ngood\t0.5\nbad -0.5\n")
    with pytest.raises(TextConfigError, match=r"en_polarity.tsv:3: expected 'term<TAB>weight', got 'bad -0.5'"):
        load_text_rules(topics, sdir)
    (sdir / "en_polarity.tsv").write_text("good\t1.5\n")
    with pytest.raises(TextConfigError, match=r"en_polarity.tsv:1: weight of 'good' must be in \[-1, 1\], got 1.5"):
        load_text_rules(topics, sdir)
    (sdir / "en_polarity.tsv").write_text("good\t0.5\n")
    (sdir / "rules.yaml").write_text("negative_below: -0.05\n")
    with pytest.raises(TextConfigError, match=r"rules.yaml: missing key 'language_zh_min_share'"):
        load_text_rules(topics, sdir)
    (sdir / "zh_negators.txt").unlink()
    (sdir / "rules.yaml").write_text((DEFAULT_SENTIMENT_DIR / "rules.yaml").read_text())
    with pytest.raises(TextConfigError, match=r"zh_negators.txt: cannot read"):
        load_text_rules(topics, sdir)
