"""Normal form, stemming and tokenising of texts (transforms.text_tokens), expected tokens written out."""

from __future__ import annotations

import polars as pl
import pytest

from transforms.text_tokens import BOUNDARY, add_tokens, make_tokeniser, normalise, stem


@pytest.mark.parametrize(
    ("word", "want"),
    [
        ("deliveries", "delivery"),  # -ies -> y
        ("delivery", "delivery"),
        ("delivered", "deliver"),  # -ed
        ("charged", "charg"),  # -ed, then nothing: charge -> charg below meets it
        ("charge", "charg"),  # final e dropped
        ("waiting", "wait"),  # -ing
        ("stopped", "stop"),  # -ed, then pp undoubled
        ("staff", "staf"),  # ff undoubled (both sides alike)
        ("classes", "class"),  # -es after s
        ("refunds", "refund"),  # -s
        ("glass", "glass"),  # -ss kept
        ("rudely", "rud"),  # -ly, then final e
        ("only", "only"),  # -ly would leave 2 letters
        ("bus", "bus"),  # 3 letters: untouched
        ("customer's", "customer"),  # possessive
        ("don't", "don't"),  # not alphabetic: kept
        ("hardly", "hardly"),  # kept whole: a negator, not hard
        ("reasonably", "reasonabl"),  # -bly -> -bl, as reasonable
    ],
)
def test_stem(word, want):
    assert stem(word) == want


def test_normalise_full_width_and_apostrophes():
    assert normalise("ＡＰＰ，Don’t") == "app,don't"


def test_english_tokens_and_boundaries():
    tokenise = make_tokeniser()
    assert tokenise("the deliveries were late; don't!") == [
        "the",
        "delivery",
        "wer",
        "lat",
        BOUNDARY,
        "don't",
        BOUNDARY,
    ]


def test_chinese_tokens_keep_user_words_whole():
    text = normalise("客服态度非常差，ＡＰＰ闪退！")
    assert make_tokeniser()(text) == ["客服", "态度", "非常", "差", BOUNDARY, "app", "闪退", BOUNDARY]
    assert make_tokeniser(["客服态度"])(text) == ["客服态度", "非常", "差", BOUNDARY, "app", "闪退", BOUNDARY]


def test_add_tokens_tokenises_each_distinct_text_once():
    seen: list[str] = []

    def tokenise(text: str) -> list[str]:
        seen.append(text)
        return text.split()

    frame = pl.LazyFrame({"id": [1, 2, 3, 4], "text": ["Good  ", "good  ", None, "bad"]})
    got = add_tokens(frame, tokenise).collect().sort("id")
    assert got["text_norm"].to_list() == ["good  ", "good  ", None, "bad"]
    assert got["tokens"].to_list() == [["good"], ["good"], None, ["bad"]]
    assert sorted(seen) == ["bad", "good  "]
