"""Each vocabulary is declared once (transforms/vocab.py, re-exported by csi.vocab) and
spelled out nowhere else: a copy drifts, and a valid row then fails the night."""

from __future__ import annotations

import re
from pathlib import Path

from csi import vocab
from csi.settings import CustomerValueSettings
from transforms import churn_backtest, rfm, value_tier
from transforms import vocab as base

ROOT = Path(__file__).resolve().parents[2]
# the code a vocabulary may not be re-spelled in (tests spell expected values by hand, on purpose)
CODE_DIRS = ("csi", "transforms", "schemas", "flows", "bench")
HOMES = {"transforms/vocab.py", "csi/vocab.py"}
# copies in files other engineers own, each to become an import of csi.vocab (issue 14, item 2);
# delete a line when its copy is gone
PENDING: set[tuple[str, str]] = set()


def _vocabularies() -> dict[str, tuple[str, ...]]:
    return {name: value for name, value in vars(vocab).items()
            if name.isupper() and isinstance(value, tuple) and len(value) >= 2}


def _literal(values: tuple[str, ...]) -> re.Pattern[str]:
    """The whole tuple, list or set literal with exactly these items in this order, any quotes and layout."""
    items = r"\s*,\s*".join(r"""["']""" + re.escape(v) + r"""["']""" for v in values)
    return re.compile(r"[(\[{]\s*" + items + r"\s*,?\s*[)\]}]")


def _copies() -> set[tuple[str, str]]:
    patterns = {name: _literal(values) for name, values in _vocabularies().items()}
    found = set()
    for folder in CODE_DIRS:
        for path in sorted((ROOT / folder).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            if rel in HOMES:
                continue
            text = path.read_text(encoding="utf-8")
            found |= {(rel, name) for name, pattern in patterns.items() if pattern.search(text)}
    return found


def test_the_vocabularies_as_metrics_and_the_contract_spell_them():
    assert vocab.RISK_BANDS == ("low", "medium", "high")
    assert vocab.BACKTEST_BANDS == ("ALL", "low", "medium", "high")
    assert vocab.VALUE_TIERS == ("platinum", "gold", "iron", "lead")
    assert vocab.NPS_CLASSES == ("promoter", "passive", "detractor")
    assert vocab.ORDER_TYPES == ("sale", "return")
    assert vocab.SOURCES == ("sales", "surveys", "complaints")
    assert vocab.TEXT_SOURCES == ("survey", "complaint")
    assert len(vocab.RFM_SEGMENTS) == 11 and vocab.RFM_SEGMENTS[0] == "Champions" and vocab.RFM_SEGMENTS[-1] == "Lost"


def test_csi_vocab_re_exports_the_one_declaration():
    declared = {n: v for n, v in vars(base).items() if n.isupper()}
    assert len(declared) >= 20
    assert all(getattr(vocab, n) is v for n, v in declared.items())


def test_the_literal_pattern_finds_a_copy_in_any_layout_and_only_the_whole_tuple():
    pattern = _literal(("low", "medium", "high"))
    assert pattern.search('BAND_ORDER = ("low", "medium", "high")')
    assert pattern.search("x = [\n    'low',\n    'medium',\n    'high',\n]")
    assert not pattern.search('("low", "medium")')
    assert not pattern.search('("low", "medium", "high", "extreme")')


def test_no_vocabulary_is_spelled_twice():
    copies = _copies()
    assert copies - PENDING == set(), "import these from csi.vocab (or transforms.vocab in transforms/)"


def test_the_transforms_and_settings_use_the_declared_codes():
    assert rfm.SEGMENTS is vocab.RFM_SEGMENTS
    assert set(rfm.DEFAULT_RFM_GRID.values()) <= set(vocab.RFM_SEGMENTS)
    assert churn_backtest.BANDS is vocab.BACKTEST_BANDS
    default_tiers = (*(name for name, _ in value_tier.TierCutoffs().bounds), value_tier.LEAD)
    assert default_tiers == vocab.VALUE_TIERS
    assert (*CustomerValueSettings().tier_cutoffs, value_tier.LEAD) == vocab.VALUE_TIERS
