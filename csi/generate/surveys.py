"""Survey responses after orders, answered from the customer's felt satisfaction.

Felt satisfaction is the latent one, lower once a churner's relationship has soured
(population.py), so a customer about to leave tends to answer as a detractor, below
their earlier answers.

A response holds a subset of instruments (most have NPS, ~1/3 the ACSI block, a few
SERVQUAL or KANO). ACSI items follow the structural chain EXP -> PQ -> PV -> SAT ->
COMP/LOY with positive paths (SAT -> COMP negative, as complaints fall with
satisfaction), so a PLS model on complete responses recovers sensible estimates.
Kiosk responses (half anonymous) are exported wide; the rest long.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from csi.generate.faults import satisfaction_shift
from csi.generate.population import Population
from csi.generate.survey_items import acsi_block, kano_block, scale, servqual_block
from csi.generate.texts import survey_comments, text_rng

SURVEY_PROB = 0.32  # share of orders followed by a survey response
INCLUDE = {"nps": 0.9, "csat": 0.6, "ces": 0.4, "acsi": 0.33, "servqual": 0.08, "kano": 0.15, "comment": 0.25}


def responses_for_orders(
    rng: np.random.Generator, pop: Population, orders: pl.DataFrame, catalog: pl.DataFrame
) -> pl.DataFrame:
    """Long answers (one row per response x question) for the orders' responses.

    Columns: response_id, question_id, customer_id, site_id, submitted_at, channel,
    answer (Int64), answer_text, plus `_wide` (kiosk responses, exported wide).
    """
    take = rng.random(orders.height) < SURVEY_PROB
    resp = orders.filter(pl.Series(take))
    n = resp.height
    cust = resp["cust"].to_numpy()
    is_store = (resp["channel"] == "store").to_numpy()
    u = rng.random(n)
    channel = np.where(
        is_store,
        np.where(u < 0.4, "kiosk", np.where(u < 0.8, "sms", "email")),
        np.where(u < 0.45, "email", np.where(u < 0.8, "web", "sms")),
    )
    kiosk = channel == "kiosk"
    delay = np.where(kiosk, rng.integers(60, 1200, n), rng.integers(600, 72 * 3600, n))
    anonymous = kiosk & (rng.random(n) < 0.5)
    s = resp["felt"].to_numpy() + rng.normal(0, 0.6, n)  # felt on the order day
    s = s + satisfaction_shift(resp["site_id"], resp["ordered_at"])  # the planted NPS drop (faults.py)
    blocks: list[tuple[list[str], np.ndarray, np.ndarray]] = []  # (qids, values, response rows)
    simple = {
        "nps": scale(rng, 7.2, 1.8, s, 1.3, 0, 10),
        "csat": scale(rng, 3.9, 0.8, s, 0.7, 1, 5),
        "ces": scale(rng, 5.0, 1.0, s, 1.0, 1, 7),
    }
    for q, val in simple.items():
        rows = np.flatnonzero(rng.random(n) < INCLUDE[q])
        blocks.append(([q], val[rows, None], rows))
    rows = np.flatnonzero(rng.random(n) < INCLUDE["acsi"])
    blocks.append((*acsi_block(rng, s[rows]), rows))
    rows = np.flatnonzero(rng.random(n) < INCLUDE["servqual"])
    blocks.append((*servqual_block(rng, s[rows], catalog), rows))
    rows = np.flatnonzero(rng.random(n) < INCLUDE["kano"])
    blocks.append((*kano_block(rng, len(rows), catalog), rows))
    r_parts, q_parts, v_parts = [], [], []
    for qids, values, rows in blocks:
        keep = ~np.isnan(values)
        r_parts.append(np.broadcast_to(rows[:, None], values.shape)[keep])
        q_parts.append(np.broadcast_to(np.array(qids), values.shape)[keep])
        v_parts.append(values[keep])
    rows = np.flatnonzero(rng.random(n) < INCLUDE["comment"])
    rng.integers(0, 5, len(rows)), rng.integers(0, 5, len(rows))  # the former template picks: keeps the stream
    texts = survey_comments(text_rng(resp["order_id"][0]) if n else text_rng(""), simple["nps"][rows],
                            ~is_store[rows], kiosk[rows])
    r_idx = np.concatenate([*r_parts, rows])
    order = np.argsort(r_idx, kind="stable")  # group a response's answers together
    answers = pl.DataFrame(
        {
            "r": r_idx[order],
            "question_id": np.concatenate([*q_parts, np.full(len(rows), "comment")])[order].astype(str),
            "answer": np.concatenate([*v_parts, np.full(len(rows), np.nan)])[order],
            "answer_text": np.concatenate([np.full(len(r_idx) - len(rows), ""), texts])[order].astype(str),
        },
    ).with_columns(
        pl.col("answer").fill_nan(None).cast(pl.Int64),
        pl.col("answer_text").replace("", None),
    )
    submitted_at = resp["ordered_at"] + pl.Series(delay * 1_000_000).cast(pl.Duration("us"))
    head = pl.DataFrame(
        {
            "r": np.arange(n),
            "response_id": "RS" + resp["order_id"].str.slice(2),
            "customer_id": pop.customer_ids.gather(cust),
            "site_id": resp["site_id"],
            "submitted_at": submitted_at,
            "channel": channel,
            "_wide": kiosk,
        },
        schema_overrides={"customer_id": pl.String, "channel": pl.String},
    ).with_columns(  # half the kiosk answers are anonymous
        pl.when(pl.Series(anonymous)).then(None).otherwise(pl.col("customer_id")).alias("customer_id")
    )
    return answers.join(head, on="r", how="left", maintain_order="left").select(
        "response_id",
        "question_id",
        "customer_id",
        "site_id",
        "submitted_at",
        "channel",
        "answer",
        "answer_text",
        "_wide",
    )
