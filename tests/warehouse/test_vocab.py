"""csi.vocab is what the checks allow; the copies the pure layers keep (transforms/ imports
nothing from csi) and the landing schemas must say the same, or a valid row fails the night."""

from __future__ import annotations

from csi import vocab
from csi.settings import CustomerValueSettings
from csi.warehouse import tables_ops
from schemas import facts, landing_complaints, landing_sales
from transforms import churn_backtest, rfm, value_tier


def test_the_vocabularies_as_metrics_and_the_contract_spell_them():
    assert vocab.RISK_BANDS == ("low", "medium", "high")
    assert vocab.BACKTEST_BANDS == ("ALL", "low", "medium", "high")
    assert vocab.VALUE_TIERS == ("platinum", "gold", "iron", "lead")
    assert vocab.NPS_CLASSES == ("promoter", "passive", "detractor")
    assert vocab.ORDER_TYPES == ("sale", "return")
    assert vocab.SOURCES == ("sales", "surveys", "complaints")
    assert len(vocab.RFM_SEGMENTS) == 11 and vocab.RFM_SEGMENTS[0] == "Champions" and vocab.RFM_SEGMENTS[-1] == "Lost"


def test_the_copies_agree():
    assert tuple(rfm.SEGMENTS) == vocab.RFM_SEGMENTS
    assert set(rfm.DEFAULT_RFM_GRID.values()) <= set(vocab.RFM_SEGMENTS)
    assert tuple(churn_backtest.BANDS) == vocab.BACKTEST_BANDS
    default_tiers = (*(name for name, _ in value_tier.TierCutoffs().bounds), value_tier.LEAD)
    assert default_tiers == vocab.VALUE_TIERS
    assert (*CustomerValueSettings().tier_cutoffs, value_tier.LEAD) == vocab.VALUE_TIERS
    assert tuple(landing_complaints.STATUSES) == vocab.COMPLAINT_STATUSES
    assert tuple(landing_sales.ORDER_TYPES) == vocab.ORDER_TYPES
    assert tuple(facts.NPS_CLASSES) == vocab.NPS_CLASSES
    assert tables_ops.SOURCES == vocab.SOURCES
