"""Refresh the facts, dimensions and marts for what the loads since the last refresh touched.

Loads record the keys they touched in `ops_pending_<source>_key`; the refresh
first re-derives the current facts of those keys (one set-based pass however
many drops were loaded). Loads also record the earliest event date they
touched in `ops_dirty_period`; the refresh recomputes monthly marts from that
month on, quarterly marts from that quarter on, and snapshots from that date on,
all in one transaction (on DuckDB the snapshot chunks commit as they go, see
Tx.commit_point), then the caller marks the loaded runs `refreshed` (csi.pipeline.steps). Every mart family is a `MartFamily` registered in
`csi.pipeline.marts`.
"""

from __future__ import annotations

import time
from datetime import date

import polars as pl

from csi.faults import crash_point
from csi.pipeline.load import rebuild_pending_facts
from csi.pipeline.text import capture_text_keys, refresh_texts
from csi.settings import Settings
from csi.warehouse import tables_core as core
from csi.warehouse.engine import Tx
from transforms.calendar import calendar


def dirty_since(tx: Tx, grain: str = "date") -> date | None:
    return tx.scalar("SELECT min(period_start) FROM ops_dirty_period WHERE grain = :g", {"g": grain})


def refresh(tx: Tx, settings: Settings) -> dict[str, float]:
    """Recompute dims and dirty mart periods; returns seconds per step."""
    from csi.pipeline.marts import MART_FAMILIES

    timings: dict[str, float] = {}
    started = time.perf_counter()
    capture_text_keys(tx)  # the keys rebuild_pending_facts consumes name the texts to re-analyse
    rebuild_pending_facts(tx)  # may mark snapshots dirty (complaint changes): before reading `since`
    timings["facts"] = time.perf_counter() - started
    timings["texts"] = refresh_texts(tx, settings)["seconds"]  # fct_text of the rebuilt facts
    crash_point("refresh")
    started = time.perf_counter()
    refresh_dimensions(tx)
    timings["dimensions"] = time.perf_counter() - started
    for family in MART_FAMILIES:
        since = dirty_since(tx, family.grain)
        if since is not None:
            started = time.perf_counter()
            family.refresh(tx, settings, since)
            timings[family.name] = time.perf_counter() - started
    tx.execute("DELETE FROM ops_dirty_period")
    return timings


def refresh_dimensions(tx: Tx) -> None:
    span = tx.read(
        "SELECT min(d) AS first, max(d) AS last FROM ("
        "SELECT min(order_date) AS d FROM fct_sales UNION ALL SELECT max(order_date) FROM fct_sales "
        "UNION ALL SELECT min(submitted_date) FROM fct_survey_response "
        "UNION ALL SELECT max(submitted_date) FROM fct_survey_response "
        "UNION ALL SELECT min(CAST(opened_at AS DATE)) FROM fct_complaint "
        "UNION ALL SELECT max(CAST(updated_at AS DATE)) FROM fct_complaint) x",
        schema={"first": pl.Date, "last": pl.Date})
    tx.execute("DELETE FROM dim_date")
    first, last = span.row(0)
    if first is not None:
        tx.insert(core.DIM_DATE, calendar(first, last).collect())
    tx.execute("DELETE FROM dim_site")
    tx.execute(
        "INSERT INTO dim_site (site_id, first_seen_date, last_seen_date, sales_lines, survey_responses, "
        "complaints) SELECT site_id, min(d), max(d), sum(s), sum(r), sum(c) FROM ("
        "SELECT site_id, order_date AS d, 1 AS s, 0 AS r, 0 AS c FROM fct_sales UNION ALL "
        "SELECT site_id, submitted_date, 0, 1, 0 FROM fct_survey_response UNION ALL "
        "SELECT site_id, CAST(opened_at AS DATE), 0, 0, 1 FROM fct_complaint) x GROUP BY site_id")
    tx.execute("DELETE FROM dim_customer")
    tx.execute(
        "INSERT INTO dim_customer (customer_id, first_seen_date, first_order_date, last_order_date, orders, "
        "survey_responses, complaints, home_site_id) "
        "SELECT e.customer_id, min(e.d), min(CASE WHEN e.is_order = 1 THEN e.d END), "
        "max(CASE WHEN e.is_order = 1 THEN e.d END), "
        "count(DISTINCT CASE WHEN e.is_order = 1 THEN e.ref END), sum(e.r), sum(e.c), max(h.site_id) "
        "FROM (SELECT customer_id, order_date AS d, order_id AS ref, "
        "CASE WHEN order_type = 'sale' THEN 1 ELSE 0 END AS is_order, 0 AS r, 0 AS c FROM fct_sales "
        "UNION ALL SELECT customer_id, submitted_date, response_id, 0, 1, 0 FROM fct_survey_response "
        "WHERE customer_id IS NOT NULL UNION ALL "
        "SELECT customer_id, CAST(opened_at AS DATE), complaint_id, 0, 0, 1 FROM fct_complaint) e "
        "LEFT JOIN (SELECT customer_id, site_id, row_number() OVER (PARTITION BY customer_id "
        "ORDER BY count(*) DESC, site_id) AS rn FROM fct_sales GROUP BY customer_id, site_id) h "
        "ON h.customer_id = e.customer_id AND h.rn = 1 GROUP BY e.customer_id")
