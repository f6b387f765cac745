"""The dimensions (dim_date, dim_site, dim_customer), rebuilt whole from the current facts at
every refresh: they are small, and each row summarises a key's whole history."""

from __future__ import annotations

import polars as pl

from csi.warehouse import tables_core as core
from csi.warehouse.engine import Tx
from transforms.calendar import calendar


def rebuild_dimensions(tx: Tx) -> None:
    """dim_date over the facts' first to last date, dim_site and dim_customer from every fact row."""
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
    # home site: the site of most of the customer's sales lines (ties: the smallest site id)
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
