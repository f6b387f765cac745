"""A hand-made landing zone of two drops for the SQL baseline (bench/baseline_landing.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

SALES_HEAD = ("order_id,line_no,order_type,customer_id,site_id,channel,ordered_at,product_category,quantity,"
              "unit_price,discount,revenue,cost,currency\n")


@pytest.fixture(scope="module")
def tiny_landing(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("landing")
    d1, d2 = "dt=2024-01-01", "dt=2024-01-02"
    for source in ("sales", "surveys", "complaints"):
        for d in (d1, d2):
            (root / source / d).mkdir(parents=True)
    day1 = SALES_HEAD + (
        "O1,1,sale,C1,S1,store,2024-01-01 10:00:00,toys,2,10.0,0.0,20.0,12.0,CNY\n"
        "O2,1,sale,C1,S1,store,2024-01-01 11:00:00,toys,1,5.0,0.0,5.0,1.0,CNY\n"
        "O2,1,sale,C1,S1,store,2024-01-01 11:00:00,toys,1,5.0,0.0,5.0,1.0,CNY\n"  # key twice in a drop: both out
        "O3,1,sale,C1,S1,store,2024-01-01 12:00:00,toys,0,5.0,0.0,0.0,1.0,CNY\n"  # quantity 0: out
        "O4,1,sale,C1,S1,store,2024-01-01 13:00:00,toys,1,5.0,0.0,9.0,1.0,CNY\n")  # revenue mismatch: out
    (root / "sales" / d1 / "store_1.csv").write_text(day1, encoding="utf-8")
    (root / "sales" / d2 / "store_1_resend.csv").write_text(day1, encoding="utf-8")  # same bytes: read once
    # O1 delivered again, in GB18030 with a Chinese category: the latest delivery wins
    (root / "sales" / d2 / "store_2.csv").write_bytes((SALES_HEAD + (
        "O1,1,sale,C1,S1,store,2024-01-01 10:00:00,玩具,1,10.0,0.0,10.0,5.0,CNY\n")).encode("gb18030"))
    (root / "sales" / d2 / "online_extra.parquet").write_bytes(b"not a parquet file")
    # wide kiosk export with a BOM: R2's nps 11 is off the 0-10 scale
    (root / "surveys" / d1 / "kiosk_wide_1.csv").write_bytes(
        b"\xef\xbb\xbfresponse_id,customer_id,site_id,submitted_at,channel,nps,csat\n"
        b"R1,C1,S1,2024-01-01 09:00:00,kiosk,9,5\nR2,C2,S1,2024-01-01 09:30:00,kiosk,11,4\n")
    versions = [
        {"complaint_id": "K1", "customer_id": "C1", "site_id": "S1", "opened_at": "2024-01-01 08:00:00",
         "first_response_at": None, "closed_at": None, "updated_at": "2024-01-01 08:00:00", "status": "open",
         "resolved": False, "channel": "phone", "category": "x", "severity": 2, "compensation": 0.0,
         "description": "late"},
        {"complaint_id": "K1", "customer_id": "C1", "site_id": "S1", "opened_at": "2024-01-01 08:00:00",
         "first_response_at": "2024-01-01 09:00:00", "closed_at": "2024-01-02 08:00:00",
         "updated_at": "2024-01-02 08:00:00", "status": "closed", "resolved": True, "channel": "phone",
         "category": "x", "severity": 2, "compensation": 5.0, "description": "late"},
        {"complaint_id": "K2", "customer_id": "C2", "site_id": "S1", "opened_at": "2024-01-02 08:00:00",
         "first_response_at": None, "closed_at": None, "updated_at": "2024-01-02 08:00:00", "status": "open",
         "resolved": False, "channel": "phone", "category": "x", "severity": 7, "compensation": 0.0,
         "description": "severity off 1..4"},
    ]
    (root / "complaints" / d1 / "c1.jsonl").write_text(json.dumps(versions[0]) + "\n")
    (root / "complaints" / d2 / "c2.jsonl").write_text(json.dumps(versions[1]) + "\n" + json.dumps(versions[2]) + "\n")
    return root
