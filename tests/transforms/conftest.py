"""Shared fixtures of the transform tests: a small PLS chain model, the CDNOW transactions."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def pls_chain():
    """(data, model, item names): A -> B -> C and A -> C, two items each, 300 responses on 1-10."""
    rng = np.random.default_rng(11)
    n = 300
    a = rng.normal(size=n)
    b = 0.6 * a + rng.normal(scale=0.8, size=n)
    c = 0.3 * a + 0.5 * b + rng.normal(scale=0.7, size=n)
    cols = [f + rng.normal(scale=s, size=n) for f in (a, b, c) for s in (0.5, 0.7)]
    x = np.clip(np.round(5.5 + 1.5 * np.column_stack(cols)), 1, 10)
    model = SimpleNamespace(
        constructs={"A": ["a1", "a2"], "B": ["b1", "b2"], "C": ["c1", "c2"]},
        paths=[("A", "B"), ("B", "C"), ("A", "C")],
    )
    return x, model, ["a1", "a2", "b1", "b2", "c1", "c2"]


@pytest.fixture(scope="session")
def cdnow_transactions() -> Path:
    """The CDNOW 1/10 sample transaction log (2,357 customers, 6,919 lines; Fader & Hardie).

    Fetched by tests/fetch_cdnow_transactions.sh (never committed: no licence of its own), or
    named by CSI_CDNOW_TRANSACTIONS. Fails, never skips: the holdout test is part of CI."""
    named = os.environ.get("CSI_CDNOW_TRANSACTIONS")
    if not named:
        out = subprocess.run(
            ["bash", "tests/fetch_cdnow_transactions.sh"], cwd=ROOT, capture_output=True, text=True, check=False
        )
        named = out.stdout.strip()
    path = Path(named) if named else None
    if path is not None and not path.is_absolute():
        path = ROOT / path
    if path is None or not path.is_file():
        pytest.fail("CDNOW transactions unavailable: tests/fetch_cdnow_transactions.sh printed no file")
    return path
