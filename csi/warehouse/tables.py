"""The registry of every warehouse table: the one declaration DDL, comments,
reads and the data dictionary are generated from."""

from __future__ import annotations

from csi.warehouse import tables_core as core
from csi.warehouse import tables_ops as ops
from csi.warehouse.declare import TableDecl

TABLES: tuple[TableDecl, ...] = (
    core.DIM_DATE, core.DIM_SITE, core.DIM_CUSTOMER,
    core.STG_SALES, core.STG_ANSWER, core.STG_COMPLAINT,
    core.FCT_SALES, core.FCT_ANSWER, core.FCT_RESPONSE, core.FCT_COMPLAINT,
    ops.OPS_PIPELINE_RUN, ops.OPS_INGESTED_FILE, ops.OPS_QUARANTINE, ops.OPS_DIRTY, ops.OPS_SNAPSHOT_DATE,
)

BY_NAME: dict[str, TableDecl] = {t.name: t for t in TABLES}


def table(name: str) -> TableDecl:
    return BY_NAME[name]
