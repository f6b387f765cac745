"""How a refresh writes a mart: replace the rows of the periods it recomputed."""

from __future__ import annotations

from datetime import date

import polars as pl

from csi.warehouse.declare import TableDecl
from csi.warehouse.engine import Tx


def delete_from(tx: Tx, decl: TableDecl, start: date) -> None:
    """Delete the mart's rows of periods >= start (its partition column)."""
    tx.execute(f"DELETE FROM {tx.q(decl.name)} WHERE {tx.q(decl.partition)} >= :start", {"start": start})


def replace_from(tx: Tx, decl: TableDecl, frame: pl.LazyFrame, start: date) -> None:
    """Replace the mart's rows of periods >= start with the frame's rows of those periods."""
    delete_from(tx, decl, start)
    tx.insert(decl, frame.filter(pl.col(decl.partition) >= start).collect())


def replace_all(tx: Tx, decl: TableDecl, frame: pl.LazyFrame) -> None:
    """Replace every row of a mart that is recomputed whole."""
    tx.execute(f"DELETE FROM {tx.q(decl.name)}")
    tx.insert(decl, frame.collect())
