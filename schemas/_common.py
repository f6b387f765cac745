"""Shared building blocks of the landing and fact models.

Check functions here return a one-column boolean LazyFrame (pandera's polars
contract). A null check result counts as a pass: a rule never fires on a value
that is missing or unparseable, that fault has its own reason code.
"""

from __future__ import annotations

from typing import Annotated

import polars as pl
from pandera.api.polars.types import PolarsData

# Naive business time, microseconds (docs/architecture.md "Data types").
Timestamp = Annotated[pl.Datetime, "us", None]


def select(data: PolarsData, expr: pl.Expr) -> pl.LazyFrame:
    """The boolean result of ``expr`` over the checked frame, as pandera expects."""
    return data.lazyframe.select(expr)


def in_set(data: PolarsData, allowed: list[str] | tuple[str, ...] | frozenset[str]) -> pl.LazyFrame:
    return select(data, pl.col(data.key).is_in(sorted(allowed)))
