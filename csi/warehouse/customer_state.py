"""The SQL of the customer snapshot family (csi.pipeline.marts_customers): its reads, and the
persisted sales state (tables_state) that lets a refresh read only the sales dated on or after
its first stale snapshot date.

The state is written inside the mart refresh's transaction (on DuckDB the snapshot chunks'
commit points commit it early; redoing is safe: the update from `lo` reads only state rows
before `lo` and facts, and the dirty periods that give `lo` are cleared only at the end of the
refresh). It is rebuilt from the first order date whose fct_sales rows no longer match the
fingerprint the state recorded (count, revenue and cost in cents): a state that is missing, of
another STATE_VERSION, or built from facts that changed without a dirty mark is never used.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from csi.vocab import RUN_HOLDS_ROWS, sql_values
from csi.warehouse import tables_core as core
from csi.warehouse import tables_marts_customers as cm
from csi.warehouse import tables_state as st
from csi.warehouse.engine import Tx

STATE_VERSION = 1
SALES_COLUMNS = ("order_id", "order_type", "customer_id", "order_date", "revenue", "cost")
_STREAM = ", ".join(st.OPS_CUSTOMER_SALES_STREAM.column_names)
_LATER_CUSTOMERS = "SELECT customer_id FROM fct_sales WHERE order_date >= :lo AND customer_id IS NOT NULL"
_FINGERPRINT = ("count(*), sum(CAST(round(revenue * 100) AS BIGINT)), sum(CAST(round(cost * 100) AS BIGINT)) "
                "FROM fct_sales")


def snapshot_dates(tx: Tx, since: date) -> list[date]:
    """Every date >= since whose drop is in the warehouse: loaded, refreshed (checks or publish
    pending) or done."""
    loaded = tx.read("SELECT DISTINCT business_date FROM ops_pipeline_run WHERE status IN "
                     f"({sql_values(RUN_HOLDS_ROWS)}) AND business_date >= :s ORDER BY 1", {"s": since},
                     {"business_date": pl.Date})
    return loaded["business_date"].to_list()


# the persisted sales state

def untrusted_since(tx: Tx, lo: date) -> date | None:
    """The first order date before lo whose fct_sales rows differ from the state's fingerprint
    (rows added, removed or changed without a dirty mark, or a state of another version)."""
    return tx.scalar(
        f"WITH f (d, n, r, c) AS (SELECT order_date, {_FINGERPRINT} WHERE order_date < :lo GROUP BY order_date), "
        "s AS (SELECT order_date AS d, sales_lines AS n, revenue_cents AS r, cost_cents AS c, state_version AS v "
        "FROM ops_customer_state_day WHERE order_date < :lo) "
        "SELECT min(coalesce(f.d, s.d)) FROM f FULL OUTER JOIN s ON f.d = s.d "
        "WHERE f.d IS NULL OR s.d IS NULL OR f.n <> s.n OR f.r <> s.r OR f.c <> s.c OR s.v <> :v",
        {"lo": lo, "v": STATE_VERSION})


def state_is_current(tx: Tx) -> bool:
    """Whether a state of this STATE_VERSION was ever built (an upgrade starts without one)."""
    return bool(tx.scalar("SELECT count(*) FROM ops_customer_state_day WHERE state_version = :v",
                          {"v": STATE_VERSION}))


def spanning_start(tx: Tx, lo: date) -> date | None:
    """The first date of a sale order with lines both before lo and on or after it, in the facts
    or in the state (an order's value counts at its first date, see transforms.customer_state)."""
    return tx.scalar(
        "SELECT min(d) FROM (SELECT min(order_date) AS d FROM fct_sales WHERE order_type = 'sale' "
        "AND order_date < :lo AND order_id IN (SELECT order_id FROM fct_sales WHERE order_type = 'sale' "
        "AND order_date >= :lo) UNION ALL SELECT min(order_date) FROM ops_customer_order "
        "WHERE order_date < :lo AND last_line_date >= :lo) x", {"lo": lo})


def sales_since(tx: Tx, lo: date) -> pl.DataFrame:
    return tx.read_table(core.FCT_SALES, "order_date >= :lo", {"lo": lo}, SALES_COLUMNS)


def opening_rows(tx: Tx, lo: date) -> pl.DataFrame:
    """The last stream row before lo of every customer with a sales line on or after lo."""
    return tx.read(
        f"SELECT {', '.join('s.' + c for c in st.OPS_CUSTOMER_SALES_STREAM.column_names)} "
        "FROM ops_customer_sales_stream s JOIN (SELECT customer_id, max(event_date) AS e "
        f"FROM ops_customer_sales_stream WHERE event_date < :lo AND customer_id IN ({_LATER_CUSTOMERS}) "
        "GROUP BY customer_id) m ON s.customer_id = m.customer_id AND s.event_date = m.e",
        {"lo": lo}, st.OPS_CUSTOMER_SALES_STREAM.polars_schema)


def prior_orders(tx: Tx, lo: date) -> pl.DataFrame:
    """The orders before lo of every customer with a sales line on or after lo."""
    return tx.read_table(st.OPS_CUSTOMER_ORDER, f"order_date < :lo AND customer_id IN ({_LATER_CUSTOMERS})",
                         {"lo": lo}, ("order_id", "customer_id", "order_date"))


def write_state(tx: Tx, lo: date, stream: pl.DataFrame, orders: pl.DataFrame) -> None:
    """Replace the state from lo on: the stream rows and orders given, first sale dates and
    the fingerprints of the facts dated from lo on."""
    for decl in (st.OPS_CUSTOMER_SALES_STREAM, st.OPS_CUSTOMER_ORDER, st.OPS_CUSTOMER_FIRST_SALE,
                 st.OPS_CUSTOMER_STATE_DAY):
        tx.delete_partitions_from(decl, lo)  # each by its date: the journal records them from lo on
    tx.insert(st.OPS_CUSTOMER_SALES_STREAM, stream)
    tx.insert(st.OPS_CUSTOMER_ORDER, orders)
    # a first sale before lo cannot have moved (nothing dated before lo changed)
    tx.execute_from(st.OPS_CUSTOMER_FIRST_SALE, lo,
                    "INSERT INTO ops_customer_first_sale (customer_id, first_sale_date) "
                    "SELECT customer_id, min(order_date) FROM fct_sales WHERE order_type = 'sale' "
                    "AND order_date >= :lo AND customer_id IS NOT NULL "
                    "AND customer_id NOT IN (SELECT customer_id FROM ops_customer_first_sale) GROUP BY customer_id",
                    {"lo": lo})
    tx.execute_from(st.OPS_CUSTOMER_STATE_DAY, lo,
                    "INSERT INTO ops_customer_state_day (order_date, state_version, sales_lines, revenue_cents, "
                    f"cost_cents) SELECT order_date, :v, {_FINGERPRINT} WHERE order_date >= :lo GROUP BY order_date",
                    {"lo": lo, "v": STATE_VERSION})


# reads of the snapshot computation

def first_sales(tx: Tx) -> pl.DataFrame:
    """(customer_id, first_date) of every customer with a sale line."""
    return tx.read("SELECT customer_id, first_sale_date AS first_date FROM ops_customer_first_sale", None,
                   {"customer_id": pl.String, "first_date": pl.Date})


def stream_from(tx: Tx, lo: date) -> pl.DataFrame:
    """The stream rows dated >= lo, plus each customer's last row before lo: everything an as-of
    lookup on a date >= lo can find."""
    return tx.read(
        f"SELECT {_STREAM} FROM ops_customer_sales_stream WHERE event_date >= :lo UNION ALL "
        f"SELECT {', '.join('s.' + c for c in st.OPS_CUSTOMER_SALES_STREAM.column_names)} "
        "FROM ops_customer_sales_stream s JOIN (SELECT customer_id, max(event_date) AS e "
        "FROM ops_customer_sales_stream WHERE event_date < :lo GROUP BY customer_id) m "
        "ON s.customer_id = m.customer_id AND s.event_date = m.e", {"lo": lo},
        st.OPS_CUSTOMER_SALES_STREAM.polars_schema)


def identified_responses(tx: Tx) -> pl.DataFrame:
    # anonymous responses can never be attached to a customer
    return tx.read_table(core.FCT_RESPONSE, "customer_id IS NOT NULL",
                         columns=("response_id", "customer_id", "submitted_at", "nps_answer"))


def identified_complaints(tx: Tx) -> pl.DataFrame:
    return tx.read_table(core.FCT_COMPLAINT, "customer_id IS NOT NULL",
                         columns=("customer_id", "opened_at", "closed_at", "is_resolved"))


# the backtest's reads

def sales_data_end(tx: Tx) -> date | None:
    return tx.scalar("SELECT max(order_date) FROM fct_sales")


def backtest_done(tx: Tx) -> date | None:
    return tx.scalar("SELECT max(as_of_date) FROM mart_churn_backtest")


def signals_from(tx: Tx, start: date | None) -> pl.DataFrame:
    """Churn signals of the snapshots >= start (every snapshot when start is None)."""
    where, params = ("TRUE", None) if start is None else ("as_of_date >= :s", {"s": start})
    return tx.read_table(cm.MART_CHURN_SIGNALS, where, params,
                         columns=("as_of_date", "customer_id", "risk_score", "risk_band"))


def sale_lines_after(tx: Tx, start: date | None) -> pl.DataFrame:
    """Sale lines dated after start (every sale line when start is None): the outcomes of the
    snapshots from start on."""
    where, params = ("order_type = 'sale'", None) if start is None else \
        ("order_type = 'sale' AND order_date > :s", {"s": start})
    return tx.read_table(core.FCT_SALES, where, params, columns=("customer_id", "order_date", "order_type"))
