"""Topics a text mentions, from the topic dictionary (METRICS.md section 13).

A text mentions a topic when one of the topic's terms occurs in it. Both term
lists are tried on every text, whatever its language (a Chinese comment that says
"APP" mentions app_website):
- Chinese terms of two or more characters: as a substring of the normalised text
  (this covers "a word of the segmentation" too); a one-character Chinese term
  only as a whole token of the segmentation (so 等 "wait" does not match 等等);
- English terms: as a token sequence after lower-casing and stemming, within one
  clause ("on time" matches "arrived on time" but not "on. time"), so
  "deliveries" meets "delivery" and "refunded" meets "refund".
`topics` lists the topic ids in dictionary order; an empty list when none match,
null for a null text. Vectorised: literal multi-pattern matching (Aho-Corasick)
per topic, no Python loop.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from transforms.text_tokens import has_cjk, normalise, stem_phrase


@dataclass(frozen=True)
class Topic:
    topic_id: str
    label: str
    zh_terms: tuple[str, ...]
    en_terms: tuple[str, ...]


def _matches(topic: Topic) -> pl.Expr | None:
    long_zh = sorted({normalise(t) for t in topic.zh_terms if len(t) >= 2})
    short_zh = sorted({normalise(t) for t in topic.zh_terms if len(t) == 1})
    en = sorted({" " + " ".join(s) + " " for t in topic.en_terms if (s := stem_phrase(t))})
    parts: list[pl.Expr] = []
    if long_zh:
        parts.append(pl.col("text_norm").str.contains_any(long_zh))
    if short_zh:
        parts.append(pl.col("tokens").list.eval(pl.element().is_in(short_zh)).list.any())
    if en:
        padded = pl.lit(" ") + pl.col("tokens").list.join(" ") + pl.lit(" ")
        parts.append(padded.str.contains_any(en))
    if not parts:
        return None
    return pl.any_horizontal(parts)


def topic_terms_ok(topic: Topic) -> str | None:
    """None, or what is wrong with the topic's terms (for the configuration loader)."""
    if not topic.zh_terms and not topic.en_terms:
        return "has no terms"
    bad_zh = [t for t in topic.zh_terms if not has_cjk(t)]
    if bad_zh:
        return f"zh term(s) without a Chinese character: {bad_zh}"
    bad_en = [t for t in topic.en_terms if not stem_phrase(t)]
    if bad_en:
        return f"en term(s) without a Latin word: {bad_en}"
    return None


def add_topics(frame: pl.LazyFrame, topics: list[Topic]) -> pl.LazyFrame:
    """`frame` (with text_norm and tokens, see text_tokens.add_tokens) plus `topics` List[String]."""
    found = []
    for t in topics:
        m = _matches(t)
        if m is not None:
            found.append(pl.when(m).then(pl.lit(t.topic_id, dtype=pl.String)))
    listed = pl.lit([], dtype=pl.List(pl.String)) if not found else pl.concat_list(found).list.drop_nulls()
    return frame.with_columns(
        topics=pl.when(pl.col("text_norm").is_null()).then(pl.lit(None, dtype=pl.List(pl.String))).otherwise(listed)
    )
