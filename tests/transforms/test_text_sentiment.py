"""Lexicon sentiment (METRICS.md section 13) with a small hand-made lexicon; every score worked by hand."""

from __future__ import annotations

import polars as pl
import pytest

from transforms.text_sentiment import add_sentiment, build_lexicon, score_tokens

LEX = build_lexicon(
    {"好": 0.8, "差": -0.6, "满意": 1.0, "问题": -0.5, "慢": -0.4, "不错": 0.7,
     "good": 0.8, "bad": -0.6, "disappointed": -0.7, "safe": 0.4, "easy": 0.6, "bright": 0.5},
    negators=["不", "没有", "不太", "not"],
    intensifiers=["非常", "太", "very"],
)  # fmt: skip


@pytest.mark.parametrize(
    ("tokens", "want"),
    [
        (["好"], 0.8),
        (["不满意"], -1.0),  # 不 + 满意
        (["没有问题"], 0.5),  # 没有 + 问题 flipped
        (["不太好"], -0.8),  # 不太 (longest prefix) + 好
        (["非常", "差"], -0.9),  # -0.6 * 1.5
        (["太慢了"], -0.6),  # 太 + 慢 (particle 了 dropped): -0.4 * 1.5
        (["不错"], 0.7),  # a lexicon word is never split
        (["not", "bad"], 0.6),
        (["not", "very", "good"], -1.0),  # -(0.8 * 1.5) = -1.2, clipped
        (["not", "a", "b", "good"], -0.8),  # 3 tokens after the negator: flipped
        (["not", "a", "b", "c", "good"], 0.8),  # 4 tokens after: not
        (["not", "|", "good"], 0.8),  # a clause boundary ends the negation
        (["not", "not", "good"], 0.8),  # double negation cancels
        (["not", "bad", "good"], 0.7),  # the negation is used up by bad: (0.6 + 0.8) / 2
        (["good", "bad"], 0.1),  # (0.8 - 0.6) / 2
        (["disappoint"], -0.7),  # lexicon entries are stemmed: disappointed -> disappoint
        (["unsaf"], -0.4),  # un- + the lexicon stem saf (safe): a negated safe
        (["unsaf", "good"], -0.4 / 2 + 0.8 / 2),  # the prefix negation is used up by saf
        (["inbright"], -0.5),  # in- + bright
        (["brighter"], 0.5),  # comparative: scores as bright
        (["brightest"], 0.5),  # superlative
        (["easier"], 0.6),  # -ier -> easy
        (["under"], 0.0),  # und is no lexicon stem: not a comparative
        (["hello", "world"], 0.0),  # no scored term
        ([], 0.0),
        (None, None),
    ],
)
def test_score_tokens(tokens, want):
    got = score_tokens(tokens, LEX)
    assert got == pytest.approx(want) if want is not None else got is None


def test_labels_at_the_thresholds():
    lex = build_lexicon({"a": -0.05, "b": -0.06, "c": 0.05, "d": 0.051}, [], [])
    frame = pl.LazyFrame({"tokens": [["a"], ["b"], ["c"], ["d"], None]}, schema={"tokens": pl.List(pl.String)})
    got = add_sentiment(frame, lex).collect()
    assert got["sentiment_label"].to_list() == ["neutral", "negative", "neutral", "positive", None]
    assert got["sentiment"].to_list()[:4] == pytest.approx([-0.05, -0.06, 0.05, 0.051])


def test_bad_lexicon():
    with pytest.raises(ValueError, match=r"weight of 'x' must be in \[-1, 1\], got 2"):
        build_lexicon({"x": 2}, [], [])
    with pytest.raises(ValueError, match="negative_below 0.1 > positive_above 0.0"):
        build_lexicon({}, [], [], negative_below=0.1, positive_above=0.0)
