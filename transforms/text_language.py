"""Language of a text by script share (METRICS.md section 13).

letters = characters of Unicode category L (any script's letters; CJK ideographs are
letters). With han = CJK ideographs (Unicode script Han) and latin = Latin letters:
- `zh` when han / letters >= zh_min_share (default 0.3): a Chinese comment often
  carries Latin words (App, iPhone, SKU codes), so a minority of ideographs is enough;
- `en` when latin / letters > 0.5 (mostly Latin letters);
- `other` otherwise, and for a text with no letter at all (digits, emoji, "???");
- null for a null text.
Vectorised: three regex counts per text, no Python loop.
"""

from __future__ import annotations

import polars as pl

from transforms.vocab import LANGUAGES

ZH, EN, OTHER = LANGUAGES


def detect_language(text: str | pl.Expr = "text", zh_min_share: float = 0.3) -> pl.Expr:
    """Expression: 'zh', 'en' or 'other' for each text (null for null)."""
    if not 0.0 < zh_min_share <= 1.0:
        raise ValueError(f"detect_language: zh_min_share must be in (0, 1], got {zh_min_share!r}")
    t = pl.col(text) if isinstance(text, str) else text
    letters = t.str.count_matches(r"\p{L}").cast(pl.Float64)
    han = t.str.count_matches(r"\p{Han}").cast(pl.Float64)
    latin = t.str.count_matches(r"\p{Latin}").cast(pl.Float64)
    return (
        pl.when(t.is_null())
        .then(pl.lit(None, dtype=pl.String))
        .when((letters > 0) & (han >= zh_min_share * letters))
        .then(pl.lit(ZH))
        .when((letters > 0) & (latin > 0.5 * letters))
        .then(pl.lit(EN))
        .otherwise(pl.lit(OTHER))
    )
