"""Declarations of the customer snapshots' persisted state (docs/customer-value.md, "How the nightly
stays incremental"): what the sales facts reduce to, kept so that a refresh reads only the sales
dated on or after its first stale snapshot date. Written by csi.warehouse.customer_state inside
the mart refresh; never read by BI."""

from __future__ import annotations

from csi.warehouse.declare import NN, C, TableDecl

OPS_CUSTOMER_SALES_STREAM = TableDecl(
    "ops_customer_sales_stream", "ops",
    "Running sales totals per customer and event date with any sale or return line "
    "(transforms.customer_streams.sales_stream, every customer with a sales line).",
    (
        NN("customer_id", "text", "the customer"),
        NN("event_date", "date", "a date with at least one of the customer's sales lines"),
        NN("cum_revenue", "double", "net revenue (returns included) of the lines up to event_date"),
        NN("cum_margin", "double", "net revenue - net cost of the lines up to event_date"),
        NN("cum_orders", "bigint", "sale orders owned by the customer up to event_date", min=0),
        NN("cum_repeat_revenue", "double", "revenue of those orders other than the first"),
        C("last_order_date", "date", "the latest order date up to event_date (null before an order)"),
        C("first_order_date", "date", "the first order date (null before an order)"),
        C("median_gap", "double", "median of the gaps in days between consecutive orders (null before a second)",
          min=0),
    ),
    key=("customer_id", "event_date"), partition="event_date",
)

OPS_CUSTOMER_ORDER = TableDecl(
    "ops_customer_order", "ops",
    "One row per sale order, at its first date, for the customer of its first line: the order "
    "dates a refresh needs for a customer's order gaps without reading its sales lines again.",
    (
        NN("order_id", "text", "the order"),
        NN("customer_id", "text", "the customer of the order's first line by (date, customer_id)"),
        NN("order_date", "date", "the date of the order's first sale line"),
        NN("last_line_date", "date", "the date of its last sale line (an order spanning days moves the "
                                     "refresh's start back to order_date)"),
    ),
    key=("order_id",), partition="order_date",
)

OPS_CUSTOMER_FIRST_SALE = TableDecl(
    "ops_customer_first_sale", "ops",
    "The date of each customer's first sale line: from it on, the customer has churn signal rows.",
    (
        NN("customer_id", "text", "the customer"),
        NN("first_sale_date", "date", "the earliest order_date of the customer's sale lines"),
    ),
    key=("customer_id",), partition="first_sale_date",
)

OPS_CUSTOMER_STATE_DAY = TableDecl(
    "ops_customer_state_day", "ops",
    "Per order_date, a fingerprint of the fct_sales rows the state was built from: a refresh "
    "rebuilds the state from the first date whose fingerprint no longer matches the facts.",
    (
        NN("order_date", "date", "the event date"),
        NN("state_version", "int", "the state's format (csi.warehouse.customer_state.STATE_VERSION)"),
        NN("sales_lines", "bigint", "fct_sales rows of that date", min=0),
        NN("revenue_cents", "bigint", "sum of round(revenue x 100)"),
        NN("cost_cents", "bigint", "sum of round(cost x 100)"),
    ),
    key=("order_date",), partition="order_date",
)

STATE_TABLES = (OPS_CUSTOMER_SALES_STREAM, OPS_CUSTOMER_ORDER, OPS_CUSTOMER_FIRST_SALE, OPS_CUSTOMER_STATE_DAY)
