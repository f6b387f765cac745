"""Normalising and tokenising survey comments and complaint descriptions (METRICS.md section 13).

- Normal form (`normalise`): Unicode NFKC (full-width letters and punctuation become
  their ASCII forms, so "ＡＰＰ，" is "APP,"), lower-case, typographic apostrophes
  made ASCII. Topic terms and lexicon entries go through the same form.
- Tokens (`tokenise`): a text with a CJK ideograph is segmented by jieba (one
  `jieba.Tokenizer` per user dictionary, built once per process and silenced; the
  user dictionary holds the topic and lexicon terms so multi-character terms stay
  whole); any other text is split on the regex `[a-z0-9]+('[a-z]+)*`. Latin
  tokens (of either kind of text) are stemmed with `stem`. Clause punctuation
  (. , ; : ! ? and their CJK forms) becomes the boundary token "|", which stops a
  negation or an intensifier and a multi-word term from reaching across clauses;
  other symbols and whitespace are dropped.
- `stem`: a small suffix stripper (not Porter): possessive 's; inflections -ies/-ied
  -> y, -sses -> ss, -ing, -ed, -es after s/x/z/ch/sh, -s (not -ss, -us, -is);
  then -ly (-bly -> -bl); then a doubled final consonant (not l, s, z) is undoubled; then a final
  e is dropped. Every strip keeps at least 3 letters; a few words stay whole (hardly is
  not hard). Terms and texts are stemmed
  alike, so "deliveries" and "delivery" meet at "delivery", "charged" and "charge"
  at "charg"; it never has to produce a real word.
- `add_tokens`: the frame with `text_norm` and `tokens` (List[String]); each
  distinct normal text is tokenised once (map_elements over the distinct texts).
"""

from __future__ import annotations

import functools
import logging
import re
import unicodedata
from collections.abc import Callable, Iterable

import polars as pl

BOUNDARY = "|"
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN_WORD = re.compile(r"^[a-z0-9]+(?:'[a-z]+)*$")
_EN_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)*|[.,;:!?]")
_CLAUSE = frozenset(".,;:!?。，、；：！？…")
# Words the suffix rules would merge with another word of a different meaning.
_STEM_KEEP = frozenset({"hardly", "news", "lately"})
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u00b4": "'", "`": "'"})


def normalise(text: str) -> str:
    """NFKC, lower-case, ASCII apostrophes (the form every match is made in)."""
    return unicodedata.normalize("NFKC", text).lower().translate(_APOSTROPHES)


def normalise_expr(col: str | pl.Expr) -> pl.Expr:
    """`normalise` as a polars expression (vectorised)."""
    e = pl.col(col) if isinstance(col, str) else col
    return e.str.normalize("NFKC").str.to_lowercase().str.replace_all(r"[\u2019\u2018\u00b4`]", "'")


def has_cjk(text: str) -> bool:
    return _CJK.search(text) is not None


@functools.lru_cache(maxsize=50_000)
def stem(word: str) -> str:
    """Suffix-stripped form of a lower-case Latin word (see the module docstring)."""
    w = word[:-2] if word.endswith("'s") else word
    if w in _STEM_KEEP or len(w) <= 3 or not w.isalpha():
        return w

    def cut(s: str, n: int, add: str = "") -> str | None:
        return s[:-n] + add if len(s) - n >= 3 else None

    out = None
    if w.endswith(("ies", "ied")):
        out = cut(w, 3, "y")
    elif w.endswith("sses"):
        out = w[:-2]
    elif w.endswith("ing"):
        out = cut(w, 3)
    elif w.endswith("ed") or w.endswith("es") and w[:-2].endswith(("s", "x", "z", "ch", "sh")):
        out = cut(w, 2)
    elif w.endswith("s") and not w.endswith(("ss", "us", "is")):
        out = cut(w, 1)
    w = out or w
    if w.endswith("bly") and len(w) >= 6:
        w = w[:-1]  # reasonably -> reasonabl, as reasonable -> reasonabl
    elif w.endswith("ly") and len(w) - 2 >= 4:
        w = w[:-2]
    if len(w) >= 4 and w[-1] == w[-2] and w[-1] not in "aeioulsz" and w[-1].isalpha():
        w = w[:-1]
    if w.endswith("e") and len(w) > 3:
        w = w[:-1]
    return w


def stem_phrase(phrase: str) -> list[str]:
    """The stems of a normalised English term or lexicon phrase, in order."""
    return [stem(t) for t in _EN_TOKEN.findall(normalise(phrase)) if t not in _CLAUSE]


@functools.lru_cache(maxsize=4)
def _jieba(user_words: tuple[str, ...]):
    import jieba  # a dependency; imported here so importing this module costs nothing

    logger = logging.getLogger("jieba")
    level = logger.level
    logger.setLevel(logging.ERROR)  # jieba prints its dictionary loading to stderr
    try:
        tk = jieba.Tokenizer()
        tk.initialize()
        for w in user_words:
            tk.add_word(w)  # freq None: jieba suggests one high enough to keep the word whole
    finally:
        logger.setLevel(level)
    return tk


@functools.lru_cache(maxsize=200_000)
def _token(raw: str) -> str | None:
    """The token a raw piece becomes: BOUNDARY, a stem, a CJK word, or None (dropped); memoised."""
    t = raw.strip()
    if not t:
        return None
    if t in _CLAUSE:
        return BOUNDARY
    if _LATIN_WORD.match(t):
        return stem(t)
    return t if has_cjk(t) else None


def make_tokeniser(user_words: Iterable[str] = ()) -> Callable[[str], list[str]]:
    """A tokeniser of normalised texts; user_words (Chinese, >= 2 characters) are kept whole."""
    words = tuple(sorted({normalise(w) for w in user_words if len(w) >= 2 and has_cjk(w)}))

    def tokenise(text: str) -> list[str]:
        raw = _jieba(words).lcut(text) if has_cjk(text) else _EN_TOKEN.findall(text)
        out: list[str] = []
        for t in raw:
            kind = _token(t)
            if kind is None or (kind == BOUNDARY and (not out or out[-1] == BOUNDARY)):
                continue
            out.append(kind)
        return out

    return tokenise


def add_tokens(frame: pl.LazyFrame, tokenise: Callable[[str], list[str]], text: str = "text") -> pl.LazyFrame:
    """`frame` with `text_norm` (normal form of `text`) and `tokens`; null text -> null tokens."""
    with_norm = frame.with_columns(text_norm=normalise_expr(text))
    distinct = (
        with_norm.select("text_norm")
        .filter(pl.col("text_norm").is_not_null())
        .unique()
        .with_columns(tokens=pl.col("text_norm").map_elements(tokenise, return_dtype=pl.List(pl.String)))
    )
    return with_norm.join(distinct, on="text_norm", how="left")
