"""A tiny hand-written landing zone of three drops (2026-01-30 .. 2026-02-01)."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from tests.conftest import write_csv

DATES = [date(2026, 1, 30), date(2026, 1, 31), date(2026, 2, 1)]
SALES_HEADER = ("order_id,line_no,order_type,customer_id,site_id,channel,ordered_at,product_category,"
                "quantity,unit_price,discount,revenue,cost,currency\n")
ANSWER_HEADER = "response_id,question_id,customer_id,site_id,submitted_at,channel,answer,answer_text\n"
COMPLAINT_HEADER = ("complaint_id,customer_id,site_id,opened_at,first_response_at,closed_at,updated_at,"
                    "status,resolved,channel,category,severity,compensation,description\n")
RUN_AT = datetime(2026, 2, 2, 3, 0)


def build(landing: Path) -> None:
    d1, d2, d3 = (f"dt={d.isoformat()}" for d in DATES)
    write_csv(landing / f"sales/{d1}/pos.csv", SALES_HEADER +
              "O1,1,sale,C1,S1,store,2026-01-30 10:00:00,食品,2,10.00,0.1,18.00,9.00,CNY\n"
              "O1,2,sale,C1,S1,store,2026-01-30 10:00:00,饮料,1,5.00,0,5.00,2.00,CNY\n"
              "O2,1,sale,C2,S2,online,2026-01-30 11:00:00,服装,1,100,0.2,80,50,CNY\n"
              "O3,1,sale,C3,S2,app,2026-01-30 12:00:00,服装,0,100,0,0,0,CNY\n", "gb18030")
    write_csv(landing / f"surveys/{d1}/answers.csv", ANSWER_HEADER +
              "R1,nps,C1,S1,2026-01-30 18:00:00,email,10,\n"
              "R1,csat,C1,S1,2026-01-30 18:00:00,email,5,\n"
              "R2,nps,C2,S2,2026-01-30 19:00:00,sms,4,\n"
              "R2,nps,C2,S2,2026-01-30 19:00:00,sms,5,\n", "utf-8-sig")
    write_csv(landing / f"complaints/{d1}/crm.csv", COMPLAINT_HEADER +
              "K1,C2,S2,2026-01-30 20:00:00,,,2026-01-30 20:00:00,open,false,phone,物流延迟,2,0,慢\n")
    # day 2: a late sale for January 15, a correction of O2, a new complaint version, a duplicate file
    write_csv(landing / f"sales/{d2}/pos.csv", SALES_HEADER +
              "O4,1,sale,C1,S1,store,2026-01-15 09:00:00,食品,3,10,0,30,12,CNY\n"
              "O2,1,sale,C2,S2,online,2026-01-30 11:00:00,服装,1,100,0.25,75,50,CNY\n"
              "O5,1,return,C2,S2,online,2026-01-31 09:00:00,服装,1,100,0.25,-75,-50,CNY\n")
    (landing / f"sales/{d2}/pos_copy.csv").write_bytes((landing / f"sales/{d1}/pos.csv").read_bytes())
    write_csv(landing / f"complaints/{d2}/crm.csv", COMPLAINT_HEADER +
              "K1,C2,S2,2026-01-30 20:00:00,2026-01-31 08:00:00,2026-01-31 10:00:00,2026-01-31 10:00:00,"
              "resolved,true,phone,物流延迟,2,20,慢\n")
    write_csv(landing / f"surveys/{d3}/answers.csv", ANSWER_HEADER +
              "R3,nps,C1,S1,2026-02-01 08:00:00,web,8,\n"
              "R3,comment,C1,S1,2026-02-01 08:00:00,web,,服务很好\n")
