"""Sites and customers with a latent satisfaction that drives every other source.

Each customer gets a standard-normal latent satisfaction (shifted by a site effect,
so sites differ), a value weight (log-normal, so the top 20 % bring most margin), a
deal-hunter flag (heavy discounts, often negative margin), an acquisition day and,
for some, a churn day. Dissatisfied customers are more likely to churn, order less,
return more and complain more.

Churn is preceded by souring: a churner's relationship turns sour some weeks before
the churn day (`souring_day`, 20 + Exp(40) days earlier; it may lie before the
customer's first day). From then on the satisfaction the customer *feels*
(`felt_satisfaction`, SOURING lower than the latent one) drives their survey
answers, complaints and returns, so detractor answers, NPS drops and complaints
show before a customer stops buying. The order rate keeps following the latent
satisfaction up to the churn day.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

SITE_IDS = ["SH01", "SH02", "SH03", "SH04", "SH05", "SH06", "SH07", "SH08"]
# Sites differ in size and in service quality; the effect shifts latent satisfaction.
SITE_SHARE = np.array([0.20, 0.16, 0.14, 0.12, 0.12, 0.10, 0.09, 0.07])
SITE_EFFECT = np.array([0.30, 0.10, 0.00, -0.10, -0.45, 0.20, -0.25, 0.05])
SOURING = 1.0  # drop of felt satisfaction (in sd of the latent) from souring_day on
SOURING_DAYS = (20, 40)  # souring_day = churn_day - (minimum + Exp(mean)) days
NEVER = 10**6  # added to `days` for "never" (no churn, no souring)


@dataclass(frozen=True)
class Population:
    """Per-customer arrays, index i is customer `customer_ids[i]`."""

    customer_ids: pl.Series  # String; gathered by index, never as Python strings
    home_site: np.ndarray  # int index into SITE_IDS
    satisfaction: np.ndarray  # latent, ~N(0, 1)
    value_weight: np.ndarray  # log-normal, mean ~1
    deal_hunter: np.ndarray  # bool
    start_day: np.ndarray  # first day the customer can buy
    churn_day: np.ndarray  # day the customer stops buying (days + NEVER = never)
    souring_day: np.ndarray  # day a churner starts to feel worse (days + NEVER = never)

    def __len__(self) -> int:
        return len(self.customer_ids)

    def active(self, day: int) -> np.ndarray:
        """Indices of customers who are acquired and not yet churned on `day`."""
        return np.flatnonzero((self.start_day <= day) & (day < self.churn_day))

    def felt_satisfaction(self, idx: np.ndarray, day: int) -> np.ndarray:
        """Satisfaction of customers `idx` as felt on `day`: SOURING lower from their souring_day."""
        return self.satisfaction[idx] - SOURING * (day >= self.souring_day[idx])

    def to_frame(self) -> pl.DataFrame:
        """The customer list with the latent values, for the manifest and tests. Day numbers
        count from the first simulated day (start_date - history_days); -1 means never."""
        return pl.DataFrame(
            {
                "customer_id": self.customer_ids,
                "site_id": np.array(SITE_IDS)[self.home_site],
                "latent_satisfaction": np.round(self.satisfaction, 4),
                "value_weight": np.round(self.value_weight, 4),
                "deal_hunter": self.deal_hunter,
                "start_day": self.start_day,
                "churn_day": np.where(self.churn_day >= NEVER, -1, self.churn_day),
                "souring_day": np.where(self.souring_day >= NEVER, -1, self.souring_day),
            },
            schema_overrides={"customer_id": pl.String, "site_id": pl.String},
        )


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def build_population(rng: np.random.Generator, customers: int, days: int) -> Population:
    """Draw the customer base; vectorised, O(customers)."""
    n = customers
    ids = pl.Series(np.arange(1, n + 1)).cast(pl.String).str.zfill(7)
    customer_ids = ("C" + ids).alias("customer_id")
    home_site = rng.choice(len(SITE_IDS), size=n, p=SITE_SHARE)
    satisfaction = SITE_EFFECT[home_site] + rng.standard_normal(n)
    # sigma 1.1 gives a whale curve where the top 20 % of customers carry ~60 % of sales.
    value_weight = rng.lognormal(mean=-0.6, sigma=1.1, size=n)
    deal_hunter = rng.random(n) < 0.07
    # Most customers exist from day 0; the rest are acquired during the period.
    late_joiner = rng.random(n) < 0.25
    start_day = np.where(late_joiner, rng.integers(0, max(days, 1), size=n), 0)
    # Churn: dissatisfied customers are likelier to leave, and leave sooner.
    churns = rng.random(n) < sigmoid(-1.2 - 1.3 * satisfaction)
    mean_life = max(30.0, days / 3.0)
    life = np.ceil(rng.exponential(mean_life, size=n) * np.exp(0.3 * satisfaction)).astype(np.int64)
    churn_day = np.where(churns, start_day + 7 + life, days + NEVER)
    # Souring may begin before start_day: an existing customer already souring on the
    # first day, or a new customer whose first experience was a bad one.
    souring_len = SOURING_DAYS[0] + np.ceil(rng.exponential(SOURING_DAYS[1], size=n)).astype(np.int64)
    souring_day = np.where(churns, churn_day - souring_len, days + NEVER)
    return Population(
        customer_ids=customer_ids,
        home_site=home_site,
        satisfaction=satisfaction,
        value_weight=value_weight,
        deal_hunter=deal_hunter,
        start_day=start_day.astype(np.int64),
        churn_day=churn_day.astype(np.int64),
        souring_day=souring_day.astype(np.int64),
    )
