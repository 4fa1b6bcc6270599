"""Statement budgets for the hot paths (a regression here shows up as lost throughput)."""

from __future__ import annotations

from maillon.core.db import Database
from maillon.orders import service as orders
from tests.helpers import order_draft
from tests.helpers.database import counting


def test_intake_and_allocation_of_a_three_line_order_stay_within_budget(seeded: Database) -> None:
    lines = [("MUG-01", 1), ("BOOK-07", 1), ("TSHIRT-M", 1)]
    with counting(seeded) as intake:
        order, _ = orders.place_order(seeded, order_draft(lines, external_id="Q1"), actor="t")
    with counting(seeded) as allocation, seeded.transaction() as s:
        assert orders.allocate_order(session=s, number=order.number, actor="t").allocated
    # 16, and the one read of the active webhook endpoints that order.created costs (once per
    # transaction, whatever its events)
    assert len(intake) <= 17, intake
    assert len(allocation) <= 18, allocation
    with counting(seeded) as replay:
        orders.place_order(seeded, order_draft(lines, external_id="Q1"), actor="t")
    assert len(replay) <= 3, replay  # a replay is one lookup


def test_intake_with_allocation_fits_twenty_statements_on_postgresql(seeded: Database) -> None:
    lines = [("MUG-01", 1), ("BOOK-07", 1), ("TSHIRT-M", 1)]
    with counting(seeded) as statements:
        order, _ = orders.place_order(
            seeded, order_draft(lines, external_id="Q2"), actor="t", allocate=True
        )
    assert order.status == "allocated"
    # PostgreSQL inserts the three lines in one INSERT ... RETURNING; SQLite needs one each
    # (and its events and messages); the stock updates come last, one per line; fraud scoring
    # adds three (one query for every counter, the signals and the assessment), and its
    # order.created event, published before the stock is taken (so an auto-rejected order
    # takes nothing), is one more insert; the outgoing webhooks read the active endpoints once
    budget = 24 if seeded.is_sqlite else 20
    assert len(statements) <= budget, statements
