"""The registry of every warehouse table: the one declaration DDL, comments,
reads and the data dictionary are generated from."""

from __future__ import annotations

from csi.warehouse import tables_alerts as alerts
from csi.warehouse import tables_core as core
from csi.warehouse import tables_marts_customers as cm
from csi.warehouse import tables_marts_drivers as dm
from csi.warehouse import tables_marts_satisfaction as sat
from csi.warehouse import tables_ops as ops
from csi.warehouse import tables_state as st
from csi.warehouse import tables_text as text
from csi.warehouse.declare import TableDecl

TABLES: tuple[TableDecl, ...] = (
    core.DIM_DATE, core.DIM_SITE, core.DIM_CUSTOMER,
    core.STG_SALES, core.STG_ANSWER, core.STG_COMPLAINT,
    core.FCT_SALES, core.FCT_ANSWER, core.FCT_RESPONSE, core.FCT_COMPLAINT,
    sat.MART_SATISFACTION_MONTHLY, sat.MART_SERVQUAL_MONTHLY, sat.MART_KANO_QUARTERLY, sat.MART_ACSI_MODEL,
    sat.MART_COMPLAINTS_MONTHLY, sat.MART_SERVICE_RECOVERY_MONTHLY,
    cm.MART_CUSTOMER_VALUE, cm.MART_CLV_MODEL, cm.MART_WHALE_CURVE, cm.MART_CHURN_SIGNALS, cm.MART_CHURN_BACKTEST,
    dm.MART_DRIVER_IMPORTANCE, dm.MART_PLS_QUALITY, dm.MART_CLV_VALIDATION,
    alerts.MART_ALERTS,
    ops.OPS_PIPELINE_RUN, ops.OPS_INGESTED_FILE, ops.OPS_QUARANTINE, ops.OPS_DIRTY,
    ops.OPS_PENDING_SALES, ops.OPS_PENDING_SURVEYS, ops.OPS_PENDING_COMPLAINTS,
    text.FCT_TEXT, text.FCT_TEXT_TOPIC, text.MART_TOPICS_MONTHLY, text.MART_COMPLAINT_CATEGORIES_MONTHLY,
    text.OPS_PENDING_TEXTS, text.OPS_TEXT_RULES,
    *st.STATE_TABLES,
)

BY_NAME: dict[str, TableDecl] = {t.name: t for t in TABLES}


def table(name: str) -> TableDecl:
    return BY_NAME[name]
