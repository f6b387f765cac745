"""Language by script share (METRICS.md section 13), counts worked by hand."""

from __future__ import annotations

import polars as pl
import pytest

from transforms.text_language import detect_language

CASES = [
    ("快递太慢了 app", "zh"),  # 5 ideographs of 8 letters = 0.625
    ("The App 很好用", "zh"),  # 3 of 9 letters = 0.333 >= 0.3
    ("abcdefg好好好", "zh"),  # 3 of 10 = 0.3 exactly: zh (at least 30 %)
    ("abcdefgh好好好", "en"),  # 3 of 11 = 0.27; Latin 8 of 11 > half
    ("Very good service, 谢谢", "en"),  # 2 of 17 ideographs
    ("Привет мир", "other"),  # Cyrillic letters only
    ("abc где", "other"),  # Latin 3 of 6 letters: not more than half
    ("12345 !!! 👍", "other"),  # no letter at all
    ("", "other"),
    (None, None),
]


def test_detect_language_cases():
    frame = pl.DataFrame({"text": [t for t, _ in CASES]}, schema={"text": pl.String})
    got = frame.select(language=detect_language("text"))["language"].to_list()
    assert got == [want for _, want in CASES]


def test_threshold_is_configurable():
    frame = pl.DataFrame({"text": ["abcdefg好好好"]})
    # 0.3 ideographs < 0.5: not zh; Latin 7 of 10 > half: en
    assert frame.select(detect_language(pl.col("text"), zh_min_share=0.5)).item() == "en"
    with pytest.raises(ValueError, match="zh_min_share must be in"):
        detect_language("text", zh_min_share=0.0)
