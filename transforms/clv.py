"""CLV per customer and snapshot: BG/NBD + Gamma-Gamma, fitted once per as_of_date.

Grain: `clv_by_snapshot` returns (1) one row per customer x as_of_date of the
population (>= 1 order by D) with p_alive, expected_orders_365d,
expected_order_value, margin_ratio, clv_365d, and (2) mart_clv_model: one row per
as_of_date x model ('bgnbd', 'gamma_gamma'). Source: METRICS.md section 7 (CLV).

Inputs per customer (days): x = repeat orders = distinct orders - 1, t_x = last
order date - first order date, T = D - first order date. Gamma-Gamma (Fader &
Hardie's note) models the mean value of the *repeat* transactions: spend =
repeat_monetary / x, where repeat_monetary is the revenue of the customer's orders
other than the first (order value = the revenue of its sale lines, i.e. quantity x
unit price x (1 - discount); returns are not transactions, they reach CLV through
margin_ratio); it is fitted on the customers with x > 0 and positive spend. expected_order_value: the
Gamma-Gamma conditional mean for those customers, the population mean p*v/(q-1)
for one-order customers, null for repeat customers with spend <= 0.
margin_ratio = margin / monetary clipped to [0, 1] (null when monetary is 0).
clv_365d = expected_orders_365d * expected_order_value * margin_ratio.
The bgnbd model row also carries the parameters' standard errors (r_se .. b_se, METRICS 12:
transforms.bgnbd.bgnbd_standard_errors on the date's (x, t_x, T)).
A fit (or its prediction) that raises, does not converge or has too few
customers leaves its CLV columns null; `status` on its model row says why.
The first order is the earliest by order date, then order_id (customer_streams). The loop is over dates (one
vectorised numpy fit per date), never over customers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from types import SimpleNamespace
from typing import Any

import numpy as np
import polars as pl
from threadpoolctl import threadpool_limits

MODEL_COLUMNS = ("r", "alpha", "a", "b", "p", "q", "v")
SE_COLUMNS = ("r_se", "alpha_se", "a_se", "b_se")  # BG/NBD only (METRICS 12)
_FAILURES = (ValueError, ArithmeticError, np.linalg.LinAlgError)


@dataclass(frozen=True)
class ClvParams:
    horizon_days: int = 365
    min_bgnbd_customers: int = 2  # customers with x > 0 needed to fit BG/NBD
    min_gamma_gamma_customers: int = 2  # customers with x > 0 and spend > 0


def default_models() -> Any:
    """The colleague-owned model modules, imported late (tests pass a fake with the same API)."""
    from transforms import bgnbd, gamma_gamma

    try:  # predictions may live in a sibling module
        from transforms import bgnbd_predict as predict
    except ImportError:
        predict = bgnbd
    return SimpleNamespace(
        fit_bgnbd=bgnbd.fit_bgnbd, bgnbd_standard_errors=bgnbd.bgnbd_standard_errors,
        p_alive=predict.p_alive, expected_purchases=predict.expected_purchases,
        fit_gamma_gamma=gamma_gamma.fit_gamma_gamma, expected_order_value=gamma_gamma.expected_order_value,
    )  # fmt: skip


def _model_row(
    d: date, model: str, fit: Any, n: int, status: str | None = None, se: dict[str, float] | None = None
) -> dict[str, Any]:
    row: dict[str, Any] = {"as_of_date": d, "model": model}
    row.update({k: (float(getattr(fit, k)) if fit is not None and hasattr(fit, k) else None) for k in MODEL_COLUMNS})
    # NaN (no positive definite information) is stored as null, like a missing fit
    row.update({f"{k}_se": (v if np.isfinite(v) else None) for k, v in (se or {}).items()})
    ll = None if fit is None else float(fit.log_likelihood)
    row.update(log_likelihood=ll, n_customers=n if fit is None else int(fit.n_customers))
    row.update(converged=bool(fit is not None and fit.converged), status=status or str(fit.status))
    return row


def _try_fit(fn: Any, *args: np.ndarray) -> tuple[Any, str | None]:
    try:
        fit = fn(*args)
    except _FAILURES as exc:  # a numerical failure of one date must not stop the others
        return None, f"failed: {type(exc).__name__}: {exc}"
    return fit, (None if fit.converged else f"not used: {fit.status}")


def _try_predict(fn: Any, *args: Any) -> tuple[np.ndarray, str | None]:
    try:
        values = np.asarray(fn(*args), dtype=float)
    except _FAILURES as exc:
        return np.array([]), f"failed: prediction: {type(exc).__name__}: {exc}"
    return np.where(np.isfinite(values), values, np.nan), None


def _standard_errors(m: Any, fit: Any, *rft: np.ndarray) -> dict[str, float] | None:
    """BG/NBD parameter SEs from the observed information (None when the models object has no
    such function, e.g. a test fake; NaN when the information is not positive definite)."""
    fn = getattr(m, "bgnbd_standard_errors", None)
    if fn is None:
        return None
    try:
        return fn(fit, *rft)
    except _FAILURES:  # an SE failure must not cost the date its CLV
        return None


def _one_snapshot(
    d: date, part: pl.DataFrame, params: ClvParams, m: Any, keys: tuple[str, ...]
) -> tuple[pl.DataFrame, list[dict]]:
    x = (part["frequency"].to_numpy() - 1).astype(float)
    t_x = (part["last_order_date"] - part["first_order_date"]).dt.total_days().to_numpy().astype(float)
    big_t = (d - part["first_order_date"]).dt.total_days().to_numpy().astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):  # x = 0: no repeat spend (nan, unused)
        spend = part["repeat_monetary"].to_numpy() / x
    n_total, nan = len(part), np.full(len(part), np.nan)
    out = {"p_alive": nan, "expected_orders_365d": nan, "expected_order_value": nan}
    rows = []
    if int((x > 0).sum()) < params.min_bgnbd_customers:
        rows.append(_model_row(d, "bgnbd", None, n_total, f"degenerate: fewer than "
                               f"{params.min_bgnbd_customers} customers with repeat orders"))  # fmt: skip
    else:
        fit, why = _try_fit(m.fit_bgnbd, x, t_x, big_t)
        se = None
        if why is None:
            se = _standard_errors(m, fit, x, t_x, big_t)
            h = float(params.horizon_days)
            alive, why = _try_predict(m.p_alive, fit, x, t_x, big_t)
            orders, why2 = _try_predict(m.expected_purchases, fit, h, x, t_x, big_t)
            why = why or why2
            if why is None:
                out["p_alive"], out["expected_orders_365d"] = alive, orders
        rows.append(_model_row(d, "bgnbd", fit, n_total, why, se))
    gg = (x > 0) & (spend > 0)
    if int(gg.sum()) < params.min_gamma_gamma_customers:
        rows.append(_model_row(d, "gamma_gamma", None, int(gg.sum()), f"degenerate: fewer than "
                               f"{params.min_gamma_gamma_customers} repeat customers with positive spend"))  # fmt: skip
    else:
        fit, why = _try_fit(m.fit_gamma_gamma, x[gg], spend[gg])
        if why is None:
            own, why = _try_predict(m.expected_order_value, fit, x[gg], spend[gg])
        if why is None:
            eov = np.full(n_total, np.nan)
            eov[gg] = own
            eov[x == 0] = fit.p * fit.v / (fit.q - 1) if fit.q > 1 else np.nan
            out["expected_order_value"] = eov
        rows.append(_model_row(d, "gamma_gamma", fit, int(gg.sum()), why))
    customers = part.select(keys).with_columns(
        pl.Series(k, v, dtype=pl.Float64, nan_to_null=True) for k, v in out.items()
    )
    return customers, rows


def clv_by_snapshot(
    population: pl.DataFrame, params: ClvParams = ClvParams(), models: Any = None,
    keys: tuple[str, ...] = ("as_of_date", "customer_id"),
) -> tuple[pl.DataFrame, pl.DataFrame]:  # fmt: skip
    """Fit per as_of_date. `population` needs the `keys`, frequency (>= 1), first_order_date,
    last_order_date, monetary, margin and repeat_monetary (revenue of the orders after the first). Returns (customers by `keys`, mart_clv_model).
    `models`: an object with the bgnbd / gamma_gamma functions (None = transforms.bgnbd etc.)."""
    missing = [c for c in ("frequency", "first_order_date", "last_order_date", "monetary", "margin",
                           "repeat_monetary") if c not in population.columns]  # fmt: skip
    if missing:
        raise ValueError(f"clv_by_snapshot: the customer population lacks column(s) {missing}")
    m = default_models() if models is None else models
    parts, rows = [], []
    # scipy's L-BFGS-B calls LAPACK on 4x4 matrices; multi-threaded OpenBLAS spins its idle
    # threads there and used ~5x the CPU of one thread (scipy issues 22438, 23191)
    with threadpool_limits(limits=1, user_api="blas"):
        for (d,), part in sorted(population.partition_by("as_of_date", as_dict=True).items()):
            customers, model_rows = _one_snapshot(d, part, params, m, keys)
            parts.append(customers)
            rows.extend(model_rows)
    schema = {"as_of_date": pl.Date, "model": pl.String, **dict.fromkeys(MODEL_COLUMNS, pl.Float64),
              **dict.fromkeys(SE_COLUMNS, pl.Float64), "log_likelihood": pl.Float64, "n_customers": pl.Int64,
              "converged": pl.Boolean,
              "status": pl.String}  # fmt: skip
    model_frame = pl.DataFrame(rows, schema=schema)
    empty = (
        population.select(keys)
        .clear()
        .with_columns(
            pl.lit(None, pl.Float64).alias(c) for c in ("p_alive", "expected_orders_365d", "expected_order_value")
        )
    )
    ratio = pl.col("margin") / pl.when(pl.col("monetary") != 0).then(pl.col("monetary"))
    customers = (
        pl.concat([empty, *parts])
        .join(population.select(*keys, margin_ratio=ratio.clip(0.0, 1.0)), on=list(keys), how="left")
        .with_columns(clv_365d=pl.col("expected_orders_365d") * pl.col("expected_order_value")
                      * pl.col("margin_ratio"))
    )  # fmt: skip
    return customers, model_frame
