"""Lexicon sentiment of a text in [-1, 1] and its label (METRICS.md section 13).

Over the text's tokens (text_tokens.add_tokens), left to right:
- a token of the polarity lexicon is a scored term with its weight w in [-1, 1];
- a negator (不, 没有, not, never, n't forms ...) flips the next scored term when
  that term is at most `window` (3) tokens after it; a second negator inside the
  window cancels the first ("不是不好" is not negative);
- an intensifier (非常, 太, very, so ...) multiplies the next scored term within the
  window by `intensifier_factor` (1.5);
- a clause boundary ("|": . , ; ! ? and their CJK forms) ends both, and a scored
  term uses them up;
- sentiment = clip(sum of the scored terms' values / number of scored terms, -1, 1);
  0 when there is none. Label: `negative` below negative_below (-0.05), `positive`
  above positive_above (0.05), else `neutral`.
Chinese words fuse modifiers: jieba keeps 不满意, 很好, 太慢, 没有问题, 不太好 as one
token. A Chinese token not itself in any list is read as leading modifiers plus a
lexicon word when it is one: longest negator or intensifier prefixes are split off
while the rest is longer than nothing, and trailing particles (了 的 啊 呀 吧 啦
呢 哦) are dropped; 不太好 -> 不太 + 好, 太慢了 -> 太 + 慢, 没有问题 -> 没有 + 问题.
A token that is itself in the lexicon (不错 +, 不满 -) is never split. Likewise a Latin
token not in any list that is un-, dis-, in-, im- or non- plus a lexicon stem of 3+
letters reads as a negator and that stem (unsafe = not safe, inexpensive = not expensive),
and one ending in -er, -est, -ier, -iest whose base is a lexicon stem scores as the base
(brighter = bright, easier = easy, bigger = big).
English lexicon entries are matched on stems (text_tokens.stem), so "disappointed"
and "disappointing" share one entry.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import polars as pl

from transforms.text_tokens import BOUNDARY, has_cjk, normalise, stem
from transforms.vocab import SENTIMENT_LABELS as LABELS

NEGATIVE, NEUTRAL, POSITIVE = LABELS
_PARTICLES = "了的啊呀吧啦呢哦哇嘛"
_LATIN_NEGATING_PREFIXES = ("dis", "non", "un", "in", "im")
_NEGATION = "\x00not"  # the negation an un-/dis- prefix stands for


@dataclass(frozen=True)
class Lexicon:
    polarity: Mapping[str, float]
    negators: frozenset[str]
    intensifiers: frozenset[str]
    intensifier_factor: float = 1.5
    window: int = 3
    negative_below: float = -0.05
    positive_above: float = 0.05
    _prefixes: tuple[str, ...] = field(default=(), repr=False, compare=False)


def _key(term: str) -> str:
    t = normalise(term).strip()
    return t if has_cjk(t) else " ".join(stem(w) for w in t.split())


def build_lexicon(
    polarity: Mapping[str, float],
    negators: Iterable[str],
    intensifiers: Iterable[str],
    intensifier_factor: float = 1.5,
    window: int = 3,
    negative_below: float = -0.05,
    positive_above: float = 0.05,
) -> Lexicon:
    """A Lexicon with every entry in match form (normalised; English stemmed).

    Two entries with the same match form keep the first one's weight.
    """
    pol: dict[str, float] = {}
    for term, w in polarity.items():
        if not -1.0 <= float(w) <= 1.0:
            raise ValueError(f"sentiment lexicon: weight of {term!r} must be in [-1, 1], got {w!r}")
        pol.setdefault(_key(term), float(w))
    if not negative_below <= positive_above:
        raise ValueError(f"sentiment thresholds: negative_below {negative_below} > positive_above {positive_above}")
    neg = frozenset(_key(t) for t in negators)
    inten = frozenset(_key(t) for t in intensifiers)
    prefixes = tuple(sorted((t for t in neg | inten if has_cjk(t)), key=len, reverse=True))
    return Lexicon(pol, neg, inten, intensifier_factor, window, negative_below, positive_above, prefixes)


def _split_fused(token: str, lex: Lexicon) -> list[str]:
    if token in lex.polarity or token in lex.negators or token in lex.intensifiers:
        return [token]
    if not has_cjk(token):
        for prefix in _LATIN_NEGATING_PREFIXES:
            rest = token[len(prefix) :]
            if token.startswith(prefix) and len(rest) >= 3 and rest in lex.polarity:
                return [_NEGATION, rest]
        for suffix, add in (("iest", "y"), ("ier", "y"), ("est", ""), ("er", "")):
            base = token[: -len(suffix)] + add
            if token.endswith(suffix) and len(base) >= 3 and stem(base) in lex.polarity:
                return [stem(base)]  # a comparative or superlative scores as its base word
        return [token]
    head: list[str] = []
    rest = token
    while True:
        p = next((p for p in lex._prefixes if rest.startswith(p) and len(rest) > len(p)), None)
        if p is None:
            break
        head.append(p)
        rest = rest[len(p) :]
        if rest in lex.polarity:
            return head + [rest]
    core = rest.rstrip(_PARTICLES)
    if core and core != rest and core in lex.polarity:
        return head + [core]
    return [token]


def score_tokens(tokens: list[str] | None, lex: Lexicon, memo: dict[str, list[str]] | None = None) -> float | None:
    """The sentiment of one token list (see the module docstring); None for None.

    `memo` (token -> its pieces) may be shared across calls with the same lexicon.
    """
    if tokens is None:
        return None
    memo = {} if memo is None else memo
    seq: list[str] = []
    for t in tokens:
        pieces = memo.get(t)
        if pieces is None:
            pieces = memo[t] = _split_fused(t, lex)
        seq += pieces
    total, scored = 0.0, 0
    neg_at: int | None = None
    int_at: int | None = None
    for i, tok in enumerate(seq):
        if tok == BOUNDARY:
            neg_at = int_at = None
        elif tok in lex.polarity:
            v = lex.polarity[tok]
            if int_at is not None and i - int_at <= lex.window:
                v *= lex.intensifier_factor
            if neg_at is not None and i - neg_at <= lex.window:
                v = -v
            total += v
            scored += 1
            neg_at = int_at = None
        elif tok in lex.negators or tok == _NEGATION:
            neg_at = None if neg_at is not None and i - neg_at <= lex.window else i
        elif tok in lex.intensifiers:
            int_at = i
    if scored == 0:
        return 0.0
    return max(-1.0, min(1.0, total / scored))


def sentiment_label(score: str | pl.Expr, lex: Lexicon) -> pl.Expr:
    s = pl.col(score) if isinstance(score, str) else score
    return (
        pl.when(s.is_null())
        .then(pl.lit(None, dtype=pl.String))
        .when(s < lex.negative_below)
        .then(pl.lit(NEGATIVE))
        .when(s > lex.positive_above)
        .then(pl.lit(POSITIVE))
        .otherwise(pl.lit(NEUTRAL))
    )


def add_sentiment(frame: pl.LazyFrame, lex: Lexicon) -> pl.LazyFrame:
    """`frame` (with tokens) plus `sentiment` (Float64) and `sentiment_label`."""
    memo: dict[str, list[str]] = {}
    scored = frame.with_columns(
        sentiment=pl.col("tokens").map_elements(
            lambda t: score_tokens(t.to_list(), lex, memo), return_dtype=pl.Float64, skip_nulls=True
        )
    )
    return scored.with_columns(sentiment_label=sentiment_label("sentiment", lex))
