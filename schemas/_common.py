"""Shared building blocks of the landing models.

Check functions here return a one-column boolean LazyFrame (pandera's polars
contract). A null check result counts as a pass: a rule never fires on a value
that is missing or unparseable, that fault has its own reason code.
"""

from __future__ import annotations

from typing import Annotated

import polars as pl
from pandera.api.polars.types import PolarsData

from schemas.reasons import RESERVED_SITE_ID

# Naive business time, microseconds (docs/architecture.md "Data types").
Timestamp = Annotated[pl.Datetime, "us", None]


def select(data: PolarsData, expr: pl.Expr) -> pl.LazyFrame:
    """The boolean result of ``expr`` over the checked frame, as pandera expects."""
    return data.lazyframe.select(expr)


def in_set(data: PolarsData, allowed: list[str] | tuple[str, ...] | frozenset[str]) -> pl.LazyFrame:
    return select(data, pl.col(data.key).is_in(sorted(allowed)))


def not_reserved_site(data: PolarsData) -> pl.LazyFrame:
    """False where the site id is the marts' all-sites key: any letter case and surrounding
    blanks included, so that no delivered site can be mistaken for (or shown as) it."""
    return select(data, pl.col(data.key).str.strip_chars().str.to_uppercase() != RESERVED_SITE_ID)
