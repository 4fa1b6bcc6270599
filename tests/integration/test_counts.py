"""Cycle counts: differences become ledger adjustments, and a report lists them."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from maillon.core.db import Database
from maillon.core.errors import Conflict, NotFound, ValidationError
from maillon.inventory import service as inventory
from maillon.inventory.service import counts
from maillon.inventory.tables import StockMovement
from maillon.orders import service as orders
from tests.helpers import order_draft


def on_hand(db: Database, sku: str, warehouse: str = "PAR1") -> int:
    with db.reader() as s:
        rows, _ = inventory.list_balances(session=s, sku=sku, warehouse=warehouse)
    return sum(r.on_hand for r in rows)


def test_a_count_books_differences_and_reports_them(seeded: Database) -> None:
    # PAR1/A01-01 holds MUG-01 x5, TSHIRT-M x10, BOOK-07 x1
    with seeded.transaction() as s:
        task = counts.open_count(session=s, warehouse_code="PAR1", location_code="A01-01")
        task_id = task.id
        assert {(x.sku, x.expected) for x in task.lines} == {
            ("MUG-01", 5),
            ("TSHIRT-M", 10),
            ("BOOK-07", 1),
        }
    with seeded.transaction() as s:  # a receipt lands between opening and counting
        inventory.receive(
            session=s, warehouse_code="PAR1", location_code="A01-01", sku="MUG-01", quantity=2
        )
    with seeded.transaction() as s:
        counts.submit_count(
            session=s,
            task_id=task_id,
            actor="picker:ana",
            counted=[("MUG-01", "", 6), ("TSHIRT-M", "", 10), ("LAMP-02", "", 1)],
        )  # no book found
    assert on_hand(seeded, "MUG-01") == 6  # 5 + 2 received, 6 found: -1
    assert on_hand(seeded, "BOOK-07") == 0 and on_hand(seeded, "LAMP-02") == 1
    with seeded.reader() as s:
        report = counts.discrepancies(session=s)
        reasons = set(
            s.scalars(select(StockMovement.reason).where(StockMovement.kind == "adjustment"))
        )
        assert inventory.ledger_mismatches(session=s) == []
    assert {(d.sku, d.difference) for d in report} == {
        ("MUG-01", -1),
        ("BOOK-07", -1),
        ("LAMP-02", 1),
    }
    assert report[0].sku == "LAMP-02" and report[0].value_cents == 4990  # largest value first
    assert reasons == {f"cycle count C{task_id}"}
    with seeded.transaction() as s, pytest.raises(Conflict, match="done"):
        counts.submit_count(session=s, task_id=task_id, actor="x", counted=[])


def test_a_count_below_reserved_units_is_refused(seeded: Database) -> None:
    order, _ = orders.place_order(seeded, order_draft([("BOOK-07", 1)]), actor="t")
    with seeded.transaction() as s:
        orders.allocate_order(session=s, number=order.number, actor="t")
        task_id = counts.open_count(session=s, warehouse_code="PAR1", location_code="A01-01").id
    with seeded.transaction() as s, pytest.raises(Conflict, match="reserved"):
        counts.submit_count(
            session=s, task_id=task_id, actor="p", counted=[("MUG-01", "", 5), ("TSHIRT-M", "", 10)]
        )
    assert on_hand(seeded, "MUG-01") == 5  # nothing booked


def test_bad_count_input(seeded: Database) -> None:
    with seeded.transaction() as s, pytest.raises(NotFound):
        counts.open_count(session=s, warehouse_code="PAR1", location_code="NOPE")
    with seeded.transaction() as s:
        task_id = counts.open_count(session=s, warehouse_code="PAR1", location_code="A01-01").id
    with seeded.transaction() as s, pytest.raises(ValidationError) as exc:
        counts.submit_count(
            session=s, task_id=task_id, actor="p", counted=[("MUG-01", "", -1), ("MUG-01", "", 2)]
        )
    assert {e.field for e in exc.value.errors} == {"lines.0.counted", "lines.1.sku"}
