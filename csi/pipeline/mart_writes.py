"""How a refresh writes a mart: replace the rows of the periods it recomputed.

Transition only: these are the transaction's own methods now (csi.warehouse.engine.Tx), which
journal the partitions they rewrite; call tx.delete_partitions_from / tx.replace_partitions_from /
tx.replace_table directly.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from csi.warehouse.declare import TableDecl
from csi.warehouse.engine import Tx


def delete_from(tx: Tx, decl: TableDecl, start: date) -> None:
    """Delete the mart's rows of periods >= start (its partition column)."""
    tx.delete_partitions_from(decl, start)


def replace_from(tx: Tx, decl: TableDecl, frame: pl.LazyFrame, start: date) -> None:
    """Replace the mart's rows of periods >= start with the frame's rows of those periods."""
    tx.replace_partitions_from(decl, frame, start)


def replace_all(tx: Tx, decl: TableDecl, frame: pl.LazyFrame) -> None:
    """Replace every row of a mart that is recomputed whole."""
    tx.replace_table(decl, frame)
