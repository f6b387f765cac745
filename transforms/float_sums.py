"""Float sums and means whose bits do not depend on row order or on how polars runs a plan.

A re-run on the same input must give exactly the same warehouse. Float addition is not
associative, and polars (2.x) adds a group's floats in an order of its own: both engines
split a group into partial sums (per thread, per morsel) and combine them as they finish,
so `pl.col(x).sum()` in a group_by differs in the last bits from run to run even on the
same input frame, and a second stage (the all-sites row, a per-cell sum of per-response
figures) also reads the first stage's rows in an arbitrary group order. Neither fix that
suggests itself holds: a `.sort()` right before a group_by is dropped by the optimizer
(the group_by does not keep order), and `maintain_order=True` still varies in the
streaming engine ("auto" picks it). A group's values gathered into one list, sorted and
summed as a list are added whole, in ascending order: the same multiset of values gives
the same bits whatever the input order, the engine or the thread count
(tests/transforms/test_determinism.py).

Integer sums and counts are exact in any order, and so are sums of integer-valued floats
(the survey answers): plain `sum()` stays there, the list costs more.
"""

from __future__ import annotations

import polars as pl


def stable_sum(expr: pl.Expr) -> pl.Expr:
    """Aggregation: the sum of the group's non-null float values, added in ascending order (0.0 for none)."""
    total = expr.drop_nulls().implode().list.sort().list.sum()
    # an empty list sums to -0.0 (and polars drops a "+ 0.0"); the plain sum gives 0.0, and -0.0 prints differently
    return pl.when(total != 0).then(total).otherwise(pl.lit(0.0))  # named after `expr`


def stable_mean(expr: pl.Expr) -> pl.Expr:
    """Aggregation: stable_sum / the count of non-null values; null for none (as `mean()`)."""
    n = expr.count()
    return pl.when(n > 0).then(stable_sum(expr) / n)
