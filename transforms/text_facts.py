"""Language, topics and sentiment of texts: the text part of fct_text (METRICS.md section 13).

`analyse_texts` adds to a frame with a `text` column: `language`
(text_language.detect_language), `topics` (text_topics.add_topics), `sentiment`
and `sentiment_label` (text_sentiment.add_sentiment). Each distinct normalised
text is tokenised and scored once, then joined back, so repeated texts
("好", "OK", template complaints) cost one.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

import polars as pl

from transforms.text_language import detect_language
from transforms.text_sentiment import Lexicon, add_sentiment
from transforms.text_tokens import add_tokens, make_tokeniser
from transforms.text_topics import Topic, add_topics

OUTPUT_COLUMNS = ["language", "topics", "sentiment", "sentiment_label"]


@dataclass(frozen=True)
class TextRules:
    topics: tuple[Topic, ...]
    lexicon: Lexicon
    zh_min_share: float = 0.3

    def fingerprint(self) -> str:
        """sha256 of everything that decides a text's result: store it beside fct_text, re-analyse on change."""
        lex = self.lexicon
        doc = {
            "topics": [[t.topic_id, list(t.zh_terms), list(t.en_terms)] for t in self.topics],
            "polarity": sorted(lex.polarity.items()),
            "negators": sorted(lex.negators),
            "intensifiers": sorted(lex.intensifiers),
            "rules": [lex.intensifier_factor, lex.window, lex.negative_below, lex.positive_above, self.zh_min_share],
        }
        return hashlib.sha256(json.dumps(doc, ensure_ascii=False).encode()).hexdigest()

    def user_words(self) -> list[str]:
        """Chinese words jieba must keep whole: the topic terms and the polarity lexicon."""
        words = [t for topic in self.topics for t in topic.zh_terms]
        return words + [w for w in self.lexicon.polarity if len(w) >= 2]


def analyse_texts(frame: pl.LazyFrame, rules: TextRules, text: str = "text") -> pl.LazyFrame:
    """`frame` plus language, topics, sentiment, sentiment_label (null text: nulls)."""
    if text not in frame.collect_schema().names():
        raise ValueError(f"analyse_texts: missing column {text!r}")
    tokenise = make_tokeniser(rules.user_words())
    distinct = frame.select(pl.col(text).alias("_text")).filter(pl.col("_text").is_not_null()).unique()
    analysed = add_tokens(distinct, tokenise, "_text")
    analysed = add_sentiment(add_topics(analysed, list(rules.topics)), rules.lexicon)
    analysed = analysed.with_columns(language=detect_language("_text", rules.zh_min_share)).select(
        "_text", *OUTPUT_COLUMNS
    )
    return frame.join(analysed, left_on=text, right_on="_text", how="left")
