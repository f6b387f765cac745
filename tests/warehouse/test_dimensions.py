"""csi.warehouse.dimensions on hand-made facts (expected rows worked out by hand), both backends."""

from __future__ import annotations

from datetime import date, datetime

from csi.warehouse.dimensions import rebuild_dimensions
from tests.hand_made import hand_made


def _sale(order_id, line_no, customer, site, day, order_type="sale"):
    return {"order_id": order_id, "line_no": line_no, "order_type": order_type, "customer_id": customer,
            "site_id": site, "order_date": date(2026, 1, day), "ordered_at": datetime(2026, 1, day, 10)}


def test_dimensions_from_every_fact(warehouse_url):
    with hand_made(warehouse_url) as wh:
        wh.put("fct_sales", [
            _sale("O1", 1, "C1", "S1", 5), _sale("O1", 2, "C1", "S1", 5),
            _sale("O2", 1, "C1", "S2", 10), _sale("O3", 1, "C1", "S2", 12, "return"),
            _sale("O4", 1, "C2", "S2", 7)])
        wh.put("fct_survey_response", [
            {"response_id": "R1", "customer_id": "C1", "site_id": "S1", "submitted_date": date(2026, 1, 3),
             "submitted_at": datetime(2026, 1, 3, 9)},
            {"response_id": "R2", "customer_id": None, "site_id": "S3", "submitted_date": date(2026, 1, 20),
             "submitted_at": datetime(2026, 1, 20, 9)}])
        wh.put("fct_complaint", [
            {"complaint_id": "K1", "customer_id": "C2", "site_id": "S2", "opened_at": datetime(2026, 1, 2, 8),
             "updated_at": datetime(2026, 1, 25, 8)}])
        with wh.warehouse.transaction() as tx:
            rebuild_dimensions(tx)
            rebuild_dimensions(tx)  # whole rebuild: twice is once
        days = wh.rows("dim_date")
        # the earliest date is the complaint's opening, the latest its update (not an order or a response)
        assert (days.height, days["date_day"][0], days["date_day"][-1]) == (24, date(2026, 1, 2), date(2026, 1, 25))
        assert wh.rows("dim_site").rows() == [
            ("S1", date(2026, 1, 3), date(2026, 1, 5), 2, 1, 0),
            ("S2", date(2026, 1, 2), date(2026, 1, 12), 3, 0, 1),  # the return line counts as a line
            ("S3", date(2026, 1, 20), date(2026, 1, 20), 0, 1, 0),
        ]
        assert wh.rows("dim_customer").rows() == [
            # orders: O1 and O2 (the return O3 is no order); home site: 2 lines at S1, 2 at S2 -> S1
            ("C1", date(2026, 1, 3), date(2026, 1, 5), date(2026, 1, 10), 2, 1, 0, "S1"),
            ("C2", date(2026, 1, 2), date(2026, 1, 7), date(2026, 1, 7), 1, 0, 1, "S2"),
        ]  # the anonymous response R2 names no customer


def test_dimensions_of_an_empty_warehouse_are_empty(warehouse_url):
    with hand_made(warehouse_url) as wh:
        wh.put("dim_site", [{"site_id": "OLD"}])
        with wh.warehouse.transaction() as tx:
            rebuild_dimensions(tx)
        assert [wh.rows(t).height for t in ("dim_date", "dim_site", "dim_customer")] == [0, 0, 0]
