"""The customer marts built from the hand-worked test data pass their pandera models."""

from __future__ import annotations

import pandera.errors
import polars as pl
import pytest

from schemas.marts_customers import (
    MartChurnBacktest,
    MartChurnSignals,
    MartClvModel,
    MartCustomerValue,
    MartWhaleCurve,
)
from tests.transforms import test_churn_backtest as bt
from tests.transforms import test_churn_signals as cs
from tests.transforms import test_customer_value as cv
from tests.transforms.customer_data import fake_models
from transforms.churn_backtest import build_churn_backtest
from transforms.churn_signals import build_churn_signals
from transforms.customer_value import customer_value_with_models
from transforms.whale_curve import build_whale_curve


def test_marts_validate():
    mart, models = customer_value_with_models(cv.SALES, cv.RESPONSES, cv.COMPLAINTS, [cv.D], models=fake_models())
    MartCustomerValue.validate(mart.collect())
    MartClvModel.validate(models.collect())
    MartWhaleCurve.validate(build_whale_curve(mart).collect())
    signals = build_churn_signals(cs.SALES, cs.RESPONSES, cs.COMPLAINTS, [cs.D], p_alive=cs.P_ALIVE)
    MartChurnSignals.validate(signals.collect())
    MartChurnBacktest.validate(build_churn_backtest(bt.SIGNALS, bt.SALES).collect())


def test_duplicate_key_is_rejected():
    mart, _ = customer_value_with_models(cv.SALES, cv.RESPONSES, cv.COMPLAINTS, [cv.D], models=fake_models())
    frame = mart.collect()
    with pytest.raises(pandera.errors.SchemaError):
        MartCustomerValue.validate(pl.concat([frame, frame.head(1)]))
