"""Declarations of the dimension, staging, fact and operations tables."""

from __future__ import annotations

from csi.vocab import COMPLAINT_STATUSES, NPS_CLASSES, ORDER_TYPES
from csi.warehouse.declare import NN, C, TableDecl

LINEAGE = (
    NN("drop_date", "date", "business date (dt=) of the landing drop that delivered the row"),
    NN("source_file", "text", "landing file, relative to the landing dir"),
    NN("record_no", "bigint", "1-based record number in that file (CSV header not counted)"),
)

SALES_COLS = (
    NN("order_id", "text", "order identifier; an order may have several lines"),
    NN("line_no", "int", "line number within the order, >= 1"),
    NN("order_type", "text", "'sale' or 'return'", values=ORDER_TYPES),
    NN("customer_id", "text", "customer identifier"),
    NN("site_id", "text", "site (store/branch) identifier"),
    C("channel", "text", "sales channel, e.g. store, online, app, phone"),
    NN("ordered_at", "timestamp", "order time, local business time"),
    NN("order_date", "date", "date of ordered_at"),
    C("product_category", "text", "product category (may be Chinese)"),
    NN("quantity", "int", "units, > 0", min=1),
    NN("unit_price", "double", "price per unit before discount, >= 0", min=0),
    NN("discount", "double", "discount rate, 0 <= discount < 1", min=0, max=1, strict_max=True),
    NN("revenue", "double", "quantity * unit_price * (1 - discount); negative for a return"),
    NN("cost", "double", "cost of goods; >= 0 for a sale, <= 0 for a return"),
    NN("margin", "double", "revenue - cost"),
    NN("currency", "text", "ISO 4217 currency code"),
)

ANSWER_COLS = (
    NN("response_id", "text", "survey response identifier"),
    NN("question_id", "text", "question id from the instrument catalog"),
    C("customer_id", "text", "customer identifier; null for an anonymous response"),
    NN("site_id", "text", "site the response is about"),
    NN("submitted_at", "timestamp", "submission time, local business time"),
    NN("submitted_date", "date", "date of submitted_at"),
    C("channel", "text", "survey channel, e.g. email, sms, web, kiosk"),
    C("answer", "double", "numeric answer on the question's scale; null for text questions"),
    C("answer_text", "text", "free-text answer (text questions)"),
)

COMPLAINT_COLS = (
    NN("complaint_id", "text", "complaint identifier"),
    NN("customer_id", "text", "complaining customer"),
    NN("site_id", "text", "site the complaint is about"),
    NN("opened_at", "timestamp", "when the complaint was opened"),
    C("first_response_at", "timestamp", "first response to the customer; >= opened_at"),
    C("closed_at", "timestamp", "when it was closed (whatever the status); >= opened_at"),
    NN("updated_at", "timestamp", "time of this version; the latest version wins"),
    NN("status", "text", "open, in_progress, resolved, rejected or closed", values=COMPLAINT_STATUSES),
    NN("is_resolved", "bool", "resolved in the customer's favour; true only with closed_at"),
    C("channel", "text", "phone, email, web, store or social"),
    C("category", "text", "complaint category (may be Chinese)"),
    NN("severity", "int", "1 (critical) .. 4 (minor)", min=1, max=4),
    NN("compensation", "double", "compensation paid, >= 0", min=0),
    C("description", "text", "free text"),
)

DIM_DATE = TableDecl(
    "dim_date", "dim", "Calendar: one row per date from the first to the last date of any fact.",
    (
        NN("date_day", "date", "the date"),
        NN("year", "int", "calendar year"),
        NN("quarter", "int", "calendar quarter 1-4"),
        NN("month", "int", "calendar month 1-12"),
        NN("month_start", "date", "first day of the month"),
        NN("quarter_start", "date", "first day of the quarter"),
        NN("iso_week", "int", "ISO week number"),
        NN("day_of_week", "int", "ISO day of week, 1 = Monday"),
        NN("is_weekend", "bool", "Saturday or Sunday"),
    ),
    key=("date_day",),
)
DIM_SITE = TableDecl(
    "dim_site", "dim", "Sites: one row per site seen in any fact.",
    (
        NN("site_id", "text", "site identifier"),
        NN("first_seen_date", "date", "first date with any sale, survey or complaint"),
        NN("last_seen_date", "date", "last date with any sale, survey or complaint"),
        NN("sales_lines", "bigint", "order lines at the site"),
        NN("survey_responses", "bigint", "survey responses about the site"),
        NN("complaints", "bigint", "complaints about the site"),
    ),
    key=("site_id",),
)
DIM_CUSTOMER = TableDecl(
    "dim_customer", "dim", "Customers: one row per identified customer in any fact.",
    (
        NN("customer_id", "text", "customer identifier"),
        NN("first_seen_date", "date", "first date with any sale, survey or complaint"),
        C("first_order_date", "date", "date of the first sale (not return); null for prospects"),
        C("last_order_date", "date", "date of the latest sale"),
        NN("orders", "bigint", "distinct sale orders"),
        NN("survey_responses", "bigint", "identified survey responses"),
        NN("complaints", "bigint", "complaints"),
        C("home_site_id", "text", "site with most order lines (ties: smallest site_id)"),
    ),
    key=("customer_id",),
)

STG_SALES = TableDecl(
    "stg_sales_line", "stg", "Every valid sales line of every drop (corrections kept as delivered).",
    SALES_COLS + LINEAGE, key=("drop_date", "source_file", "record_no"), partition="drop_date",
    indexes=(("drop_date",),),
)
STG_ANSWER = TableDecl(
    "stg_survey_answer", "stg", "Every valid survey answer of every drop.",
    ANSWER_COLS + LINEAGE, key=("drop_date", "source_file", "record_no", "question_id"), partition="drop_date",
    indexes=(("drop_date",),),
)
STG_COMPLAINT = TableDecl(
    "stg_complaint_version", "stg", "Every valid complaint version of every drop.",
    COMPLAINT_COLS + LINEAGE, key=("drop_date", "source_file", "record_no"), partition="drop_date",
    indexes=(("drop_date",),),
)
# the one map from a landing source (csi.vocab.SOURCES) to its staging table
STAGING_BY_SOURCE = {"sales": STG_SALES, "surveys": STG_ANSWER, "complaints": STG_COMPLAINT}

FCT_SALES = TableDecl(
    "fct_sales", "fct",
    "One row per order line; for a line delivered by several drops the latest drop wins.",
    SALES_COLS + LINEAGE, key=("order_id", "line_no"), partition="order_date",
)
FCT_ANSWER = TableDecl(
    "fct_survey_answer", "fct",
    "One row per survey response and question; for a re-delivered answer the latest drop wins.",
    ANSWER_COLS + LINEAGE, key=("response_id", "question_id"), partition="submitted_date",
)
FCT_RESPONSE = TableDecl(
    "fct_survey_response", "fct", "One row per survey response, with its NPS class.",
    (
        NN("response_id", "text", "survey response identifier"),
        C("customer_id", "text", "customer; null when anonymous"),
        NN("site_id", "text", "site of the response (of its latest answer)"),
        NN("submitted_at", "timestamp", "latest submitted_at of its answers"),
        NN("submitted_date", "date", "date of submitted_at"),
        C("channel", "text", "survey channel"),
        NN("answer_count", "int", "valid answers in the response"),
        C("nps_answer", "int", "the 0-10 NPS answer, null if not asked", min=0, max=10),
        C("nps_class", "text", "promoter (9-10), passive (7-8), detractor (0-6); null without NPS",
          values=NPS_CLASSES),
    ),
    key=("response_id",), partition="submitted_date",
)
FCT_COMPLAINT = TableDecl(
    "fct_complaint", "fct", "One row per complaint: its latest valid version by updated_at.",
    COMPLAINT_COLS + (
        C("resolution_hours", "double", "closed_at - opened_at in hours; null while open"),
        C("first_response_hours", "double", "first_response_at - opened_at in hours"),
        NN("version_count", "int", "valid versions received"),
    ) + LINEAGE,
    key=("complaint_id",),
)
