"""Complaints opened per day, each expanded into its versions (one row per version).

Dissatisfied customers complain more (by felt satisfaction: a churner whose
relationship has soured complains ~2.5x as often, population.py). A complaint's whole
life is drawn when it is opened: `open` at opened_at, `in_progress` at
first_response_at, then a final `resolved`, `closed` or `rejected` version at
closed_at, and sometimes a later `closed` after `resolved`. Each version's
updated_at decides the drop that carries it; ~8 % never close within the horizon
(they stay open/in progress).
"""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl

from csi.generate.population import SITE_IDS, Population
from csi.generate.sales import day_seconds, make_ids, to_datetimes
from csi.generate.texts import complaint_descriptions, text_rng
from csi.vocab import COMPLAINT_CHANNELS

COMPLAINT_RATE = 0.0012  # complaints per customer-day at latent satisfaction 0
CATEGORIES = ["物流延迟", "产品质量", "服务态度", "价格争议", "退换货", "售后维修", "账户问题"]
CATEGORY_SHARE = np.array([0.24, 0.22, 0.18, 0.10, 0.12, 0.09, 0.05])
DETAILS = ["多次联系无人处理", "希望尽快给个说法", "要求退款或补偿", "已经是第二次出现这个问题", "请尽快回电"]
CHANNELS = list(COMPLAINT_CHANNELS)
CHANNEL_SHARE = np.array([0.35, 0.15, 0.25, 0.15, 0.10])
SEVERITY_SHARE = np.array([0.05, 0.15, 0.40, 0.40])
# Median hours to first response and to close, by severity 1..4.
RESPONSE_HOURS = np.array([1.0, 4.0, 12.0, 24.0])
RESOLVE_HOURS = np.array([3.0, 20.0, 60.0, 130.0])
COMPLAINT_SCHEMA = {
    "complaint_id": pl.String,
    "customer_id": pl.String,
    "site_id": pl.String,
    "opened_at": pl.Datetime("us"),
    "first_response_at": pl.Datetime("us"),
    "closed_at": pl.Datetime("us"),
    "updated_at": pl.Datetime("us"),
    "status": pl.String,
    "resolved": pl.Boolean,
    "channel": pl.String,
    "category": pl.String,
    "severity": pl.Int64,
    "compensation": pl.Float64,
    "description": pl.String,
}


def _hours(x: np.ndarray) -> np.ndarray:
    return (x * 3600).astype("timedelta64[s]").astype("timedelta64[us]")


def complaints_for_day(rng: np.random.Generator, pop: Population, day_idx: int, day: date) -> pl.DataFrame:
    """All versions (COMPLAINT_SCHEMA) of the complaints opened on `day`."""
    active = pop.active(day_idx)
    rate = COMPLAINT_RATE * np.exp(-0.9 * pop.felt_satisfaction(active, day_idx))
    n = int(rng.poisson(rate.sum())) if len(active) else 0
    if n == 0:
        return pl.DataFrame(schema=COMPLAINT_SCHEMA)
    cust = rng.choice(active, size=n, p=rate / rate.sum())
    sev = rng.choice(4, size=n, p=SEVERITY_SHARE)  # 0-based
    cat = rng.choice(len(CATEGORIES), size=n, p=CATEGORY_SHARE)
    opened = to_datetimes(day, np.sort(day_seconds(rng, n)))
    responded = opened + _hours(RESPONSE_HOURS[sev] * rng.lognormal(0, 0.6, n))
    closed = responded + _hours(RESOLVE_HOURS[sev] * rng.lognormal(0, 0.7, n))
    u = rng.random(n)
    outcome = np.where(u < 0.70, "resolved", np.where(u < 0.80, "closed", np.where(u < 0.92, "rejected", "")))
    stays_open = outcome == ""
    compensation = np.where(
        (outcome == "resolved") & (sev <= 1),
        rng.choice([50.0, 100.0, 200.0, 500.0], size=n),
        np.where(outcome == "resolved", rng.choice([0.0, 0.0, 20.0, 50.0], size=n), 0.0),
    )
    later_close = (outcome == "resolved") & (rng.random(n) < 0.3)
    after = closed + _hours(rng.uniform(24, 120, n))
    base = {
        "complaint_id": make_ids(f"CP{day:%Y%m%d}", np.arange(1, n + 1), 5),
        "customer_id": pop.customer_ids.gather(cust),
        "site_id": np.array(SITE_IDS)[pop.home_site[cust]],
        "opened_at": opened,
        "channel": np.array(CHANNELS)[rng.choice(len(CHANNELS), size=n, p=CHANNEL_SHARE)],
        "category": np.array(CATEGORIES)[cat],
        "severity": sev + 1,
        # the detail is drawn from this stream as before; the wording from the texts' own stream
        "description": complaint_descriptions(text_rng(f"CP{day:%Y%m%d}"), np.array(CATEGORIES)[cat],
                                              rng.integers(0, len(DETAILS), size=n)),
    }
    none = np.full(n, np.datetime64("NaT"), dtype="datetime64[us]")
    versions = [
        (np.ones(n, bool), "open", none, none, opened, False, 0.0),
        (np.ones(n, bool), "in_progress", responded, none, responded, False, 0.0),
        (~stays_open, outcome, responded, closed, closed, outcome == "resolved", compensation),
        (later_close, "closed", responded, closed, after, True, compensation),
    ]
    frames = []
    for version_no, (mask, status, first, close, updated, resolved, comp) in enumerate(versions):
        frame = pl.DataFrame(
            {
                **base,
                "first_response_at": first,
                "closed_at": close,
                "updated_at": updated,
                "status": np.broadcast_to(np.asarray(status), (n,)),
                "resolved": np.broadcast_to(np.asarray(resolved), (n,)),
                "compensation": np.broadcast_to(np.asarray(comp, dtype=float), (n,)),
                "_v": np.full(n, version_no),
            },
            schema_overrides={"status": pl.String, "description": pl.String},
        ).filter(pl.Series(mask))
        frames.append(frame)
    out = pl.concat(frames, how="vertical_relaxed").sort("complaint_id", "_v")
    return out.select(pl.col(c).cast(t) for c, t in COMPLAINT_SCHEMA.items())
