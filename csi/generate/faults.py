"""The catalog of planted faults: one entry per kind of bad record, with its exact reasons.

A fault copies a good text row of its source (base), applies `mutate` and lists
EVERY reason code the result violates. Dependent rules are avoided on purpose: a
row with an unparseable input is never also judged by a cross-field rule that
needs it (e.g. `order_type` faults use unit_price 0 so revenue is 0 whatever the
sign convention, and `closed_at` 'not-a-date' keeps resolved = false). Rows with
a null key use distinct question ids so they never collide with each other.
`dup=True` appends the mutated copy with the SAME key as its base: both rows then
get the `<k1>+<k2>:duplicate` reason on top of their own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import numpy as np
import polars as pl

Row = dict[str, str | None]
TS = "%Y-%m-%d %H:%M:%S"


@dataclass(frozen=True)
class Fault:
    source: str  # sales | surveys | complaints
    reasons: tuple[str, ...]
    mutate: Callable[[Row], Row] = field(default=lambda r: {})
    need: pl.Expr | None = None  # which base rows qualify (on the text frame)
    dup: bool = False  # keep the base key: the base row becomes a duplicate too
    wide: bool = False  # surveys only: plant in the wide export


def _shift(ts: str | None, hours: float) -> str:
    return (datetime.strptime(ts, TS) + timedelta(hours=hours)).strftime(TS)


def _rev(q: float, p: float, d: float) -> str:
    return f"{round(q * p * (1 - d), 2):.2f}"


def _neg_price(r: Row) -> Row:
    p = -float(r["unit_price"])
    return {"unit_price": f"{p:.2f}", "revenue": _rev(int(r["quantity"]), p, float(r["discount"]))}


SALE = pl.col("order_type") == "sale"
RETURN = pl.col("order_type") == "return"
ZERO_LINE = {"unit_price": "0", "revenue": "0", "cost": "0"}

SALES_FAULTS = [
    Fault("sales", ("order_id:missing",), lambda r: {"order_id": None}, SALE),
    Fault("sales", ("line_no:missing",), lambda r: {"line_no": None}, SALE),
    Fault("sales", ("line_no:not_an_integer",), lambda r: {"line_no": "one"}, SALE),
    Fault("sales", ("line_no:less_than_1",), lambda r: {"line_no": "0"}, SALE),
    Fault("sales", ("order_id+line_no:duplicate",), need=SALE, dup=True),
    Fault("sales", ("order_type:missing",), lambda r: {"order_type": None, **ZERO_LINE}, SALE),
    Fault("sales", ("order_type:not_sale_or_return",), lambda r: {"order_type": "refund", **ZERO_LINE}, SALE),
    Fault("sales", ("customer_id:missing",), lambda r: {"customer_id": None}, SALE),
    Fault("sales", ("site_id:missing",), lambda r: {"site_id": None}, SALE),
    Fault("sales", ("ordered_at:missing",), lambda r: {"ordered_at": None}, SALE),
    Fault("sales", ("ordered_at:not_a_timestamp",), lambda r: {"ordered_at": "not-a-date"}, SALE),
    Fault("sales", ("ordered_at:in_future",), lambda r: {"ordered_at": "2099-01-01 10:00:00"}, SALE),
    Fault("sales", ("quantity:missing",), lambda r: {"quantity": None}, SALE),
    Fault("sales", ("quantity:not_an_integer",), lambda r: {"quantity": "1.5"}, SALE),
    Fault("sales", ("quantity:not_positive",), lambda r: {"quantity": "0", "revenue": "0.00", "cost": "0"}, SALE),
    Fault("sales", ("unit_price:missing",), lambda r: {"unit_price": None}, SALE),
    Fault("sales", ("unit_price:not_a_number",), lambda r: {"unit_price": "abc"}, SALE),
    Fault("sales", ("unit_price:negative",), _neg_price, SALE),
    Fault("sales", ("discount:missing",), lambda r: {"discount": None}, SALE),
    Fault("sales", ("discount:not_a_number",), lambda r: {"discount": "10%"}, SALE),
    Fault("sales", ("discount:out_of_range",), lambda r: {"discount": "1.0", "revenue": "0.00"}, SALE),
    Fault("sales", ("revenue:missing",), lambda r: {"revenue": None}, SALE),
    Fault("sales", ("revenue:not_a_number",), lambda r: {"revenue": "n/a"}, SALE),
    Fault("sales", ("revenue:mismatch",), lambda r: {"revenue": f"{float(r['revenue']) + 5:.2f}"}, SALE),
    Fault("sales", ("cost:missing",), lambda r: {"cost": None}, SALE),
    Fault("sales", ("cost:not_a_number",), lambda r: {"cost": "n/a"}, SALE),
    Fault("sales", ("cost:wrong_sign",), lambda r: {"cost": f"{-float(r['cost']):.2f}"}, SALE),
    Fault("sales", ("currency:missing",), lambda r: {"currency": None}, SALE),
    # 'XXX' is itself an ISO 4217 code ("no currency"), so the unknown code is 'XYZ'.
    Fault("sales", ("currency:not_iso4217",), lambda r: {"currency": "XYZ"}, SALE),
    Fault("sales", ("currency:not_iso4217",), lambda r: {"currency": "RMB"}, SALE),
    Fault("sales", ("revenue:mismatch",), lambda r: {"revenue": f"{abs(float(r['revenue'])) + 1:.2f}"}, RETURN),
    Fault("sales", ("cost:wrong_sign",), lambda r: {"cost": "1.00"}, RETURN),
    Fault(
        "sales",
        ("currency:not_iso4217", "discount:out_of_range", "quantity:not_positive", "unit_price:negative"),
        lambda r: {"quantity": "-2", "unit_price": "-5.00", "discount": "1.5", "revenue": "-5.00", "currency": "RMB"},
        SALE,
    ),
    Fault(
        "sales",
        (
            "cost:wrong_sign",
            "customer_id:missing",
            "ordered_at:not_a_timestamp",
            "quantity:not_an_integer",
            "site_id:missing",
        ),
        lambda r: {
            "customer_id": None,
            "site_id": None,
            "ordered_at": "not-a-date",
            "quantity": "abc",
            "cost": "-3.00",
        },
        SALE,
    ),
    Fault(
        "sales",
        ("discount:out_of_range", "order_id+line_no:duplicate"),
        lambda r: {"discount": "1.0", "revenue": "0.00"},
        SALE,
        dup=True,
    ),
]

NUMERIC_Q = pl.col("question_id").is_in(["nps", "csat", "ces"])
SURVEY_FAULTS = [
    Fault(
        "surveys",
        ("response_id:missing",),
        lambda r: {"response_id": None, "question_id": "ces", "answer": "4", "answer_text": None},
    ),
    Fault("surveys", ("question_id:missing",), lambda r: {"question_id": None, "answer": "5", "answer_text": None}),
    Fault(
        "surveys",
        ("question_id:not_in_catalog",),
        lambda r: {"question_id": "q_delivery_speed", "answer": "4", "answer_text": None},
    ),
    Fault("surveys", ("response_id+question_id:duplicate",), need=NUMERIC_Q, dup=True),
    Fault("surveys", ("submitted_at:missing",), lambda r: {"submitted_at": None}),
    Fault("surveys", ("submitted_at:not_a_timestamp",), lambda r: {"submitted_at": "not-a-date"}),
    Fault("surveys", ("answer:missing",), lambda r: {"question_id": "csat", "answer": None, "answer_text": None}),
    Fault("surveys", ("answer:not_a_number",), lambda r: {"question_id": "ces", "answer": "abc", "answer_text": None}),
    Fault("surveys", ("answer:out_of_scale",), lambda r: {"question_id": "nps", "answer": "11", "answer_text": None}),
    Fault("surveys", ("answer:out_of_scale",), lambda r: {"question_id": "csat", "answer": "0", "answer_text": None}),
    Fault(
        "surveys",
        ("answer:not_null_for_text",),
        lambda r: {"question_id": "comment", "answer": "3", "answer_text": "还行"},
    ),
    Fault(
        "surveys", ("answer_text:missing",), lambda r: {"question_id": "comment", "answer": None, "answer_text": None}
    ),
    Fault("surveys", ("site_id:missing",), lambda r: {"site_id": None}),
    Fault(
        "surveys",
        ("answer:out_of_scale", "response_id:missing", "submitted_at:not_a_timestamp"),
        lambda r: {
            "response_id": None,
            "submitted_at": "not-a-date",
            "question_id": "nps",
            "answer": "11",
            "answer_text": None,
        },
    ),
    Fault(
        "surveys",
        ("answer_text:missing", "site_id:missing", "submitted_at:missing"),
        lambda r: {
            "site_id": None,
            "submitted_at": None,
            "question_id": "comment",
            "answer": None,
            "answer_text": None,
        },
    ),
    Fault(
        "surveys",
        ("answer:out_of_scale", "response_id+question_id:duplicate"),
        lambda r: {"answer": "99"},
        NUMERIC_Q,
        dup=True,
    ),
    Fault("surveys", ("answer:out_of_scale",), lambda r: {"nps": "11"}, wide=True),
    Fault("surveys", ("answer:not_a_number",), lambda r: {"csat": "abc"}, wide=True),
]


def _c(reasons: tuple[str, ...], mutate: Callable[[Row], Row]) -> Fault:
    return Fault("complaints", reasons, mutate)


COMPLAINT_FAULTS = [
    _c(("complaint_id:missing",), lambda r: {"complaint_id": None}),
    _c(("customer_id:missing",), lambda r: {"customer_id": None}),
    _c(("site_id:missing",), lambda r: {"site_id": None}),
    _c(("opened_at:missing",), lambda r: {"opened_at": None}),
    _c(("opened_at:not_a_timestamp",), lambda r: {"opened_at": "not-a-date"}),
    _c(("first_response_at:not_a_timestamp",), lambda r: {"first_response_at": "not-a-date"}),
    _c(("first_response_at:before_opened_at",), lambda r: {"first_response_at": _shift(r["opened_at"], -1)}),
    _c(("closed_at:not_a_timestamp",), lambda r: {"closed_at": "not-a-date", "resolved": "false"}),
    _c(("closed_at:before_opened_at",), lambda r: {"closed_at": _shift(r["opened_at"], -3)}),
    _c(("updated_at:missing",), lambda r: {"updated_at": None}),
    _c(("updated_at:not_a_timestamp",), lambda r: {"updated_at": "not-a-date"}),
    _c(("updated_at:before_opened_at",), lambda r: {"updated_at": _shift(r["opened_at"], -2)}),
    _c(("status:missing",), lambda r: {"status": None}),
    _c(("status:not_allowed",), lambda r: {"status": "pending"}),
    _c(("resolved:missing",), lambda r: {"resolved": None}),
    _c(("resolved:not_a_boolean",), lambda r: {"resolved": "maybe"}),
    _c(("resolved:without_closed_at",), lambda r: {"resolved": "true", "closed_at": None, "status": "resolved"}),
    _c(("channel:not_allowed",), lambda r: {"channel": "fax"}),
    _c(("severity:missing",), lambda r: {"severity": None}),
    _c(("severity:not_an_integer",), lambda r: {"severity": "high"}),
    _c(("severity:out_of_range",), lambda r: {"severity": "5"}),
    _c(("compensation:missing",), lambda r: {"compensation": None}),
    _c(("compensation:not_a_number",), lambda r: {"compensation": "五十"}),
    _c(("compensation:negative",), lambda r: {"compensation": "-20.0"}),
    _c(
        ("channel:not_allowed", "compensation:negative", "severity:out_of_range", "status:not_allowed"),
        lambda r: {"status": "pending", "severity": "5", "compensation": "-10", "channel": "fax"},
    ),
    _c(
        ("closed_at:before_opened_at", "first_response_at:before_opened_at", "resolved:not_a_boolean"),
        lambda r: {
            "closed_at": _shift(r["opened_at"], -3),
            "first_response_at": _shift(r["opened_at"], -1),
            "resolved": "maybe",
        },
    ),
    _c(
        ("customer_id:missing", "opened_at:not_a_timestamp", "severity:out_of_range"),
        lambda r: {"customer_id": None, "opened_at": "not-a-date", "severity": "0"},
    ),
]

ALL_FAULTS = SALES_FAULTS + SURVEY_FAULTS + COMPLAINT_FAULTS

# Conditions planted for the alerts (METRICS 9, docs/alerts.md). The demo covers 2026-01-01 ..
# 2026-04-30: from April on one site's customers feel worse, so its NPS (and CSAT) falls
# significantly in the last month. (The quarantine spike needs no plant: each drop's bad rows,
# up to 4 % of its rows, already put a source above 1 % on the days they are planted.)
NPS_DROP_SITE = "SH03"
NPS_DROP_FROM = datetime(2026, 4, 1)
NPS_DROP_SHIFT = -1.2  # added to the latent satisfaction (sd about 1) of that site's responses


def satisfaction_shift(site_id: pl.Series, ordered_at: pl.Series) -> np.ndarray:
    """The planted shift of each response's latent satisfaction (0 outside the planted cell); it
    draws no random number, so every other generated value stays as it was."""
    hit = (site_id == NPS_DROP_SITE) & (ordered_at >= NPS_DROP_FROM)
    return np.where(hit.to_numpy(), NPS_DROP_SHIFT, 0.0)


# A feed that does not arrive: the complaints export of 2026-04-10 fails, so that drop has no
# complaints file and its records travel with the next drop (csi/generate/__init__.py asks
# `held_back` for each drop). Never on a range's last day, which has no next drop.
MISSING_FEED_DAY = date(2026, 4, 10)
MISSING_FEED_SOURCE = "complaints"


def held_back(day: date, is_last_day: bool) -> str | None:
    """The source whose files the drop of `day` leaves out, or None."""
    return MISSING_FEED_SOURCE if day == MISSING_FEED_DAY and not is_last_day else None
