"""A new order with ``allocate=True`` plans on the stock it read and takes the units last; when
another order took them meanwhile, the whole transaction runs again on fresh stock."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select, update

from maillon.core.db import Database
from maillon.inventory import service as inventory
from maillon.inventory.tables import StockLevel
from maillon.orders import service as orders
from maillon.orders.tables import Allocation, Order, OrderEvent
from tests.helpers import order_draft


def _stock(db: Database, sku: str) -> tuple[int, int]:
    with db.reader() as s:
        rows, _ = inventory.list_balances(session=s, sku=sku)
    return sum(r.on_hand for r in rows), sum(r.reserved for r in rows)


def empty_first_record(kwargs: dict[str, Any]) -> None:
    """As a concurrent order would: take every free unit of the first record planned on."""
    first = kwargs["takes"][0].stock_id
    kwargs["session"].execute(
        update(StockLevel).where(StockLevel.id == first).values(reserved=StockLevel.on_hand)
    )


def test_a_lost_race_runs_the_order_again(
    seeded: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = inventory.take_stock
    calls = {"n": 0}

    def racing(**kwargs: Any) -> list[bool]:
        calls["n"] += 1
        if calls["n"] == 1:
            empty_first_record(kwargs)  # the first take is lost
        return real(**kwargs)

    monkeypatch.setattr(inventory, "take_stock", racing)
    order, created = orders.place_order(
        seeded, order_draft([("MUG-01", 2)], external_id="R1"), actor="t", allocate=True
    )
    assert created and order.status == "allocated"
    with seeded.reader() as s:
        assert s.scalar(select(func.count()).select_from(Order)) == 1
        assert s.scalar(select(func.sum(Allocation.quantity))) == 2
        kinds = [e.to_status for e in s.scalars(select(OrderEvent).order_by(OrderEvent.id))]
    assert kinds == ["confirmed", "allocated"]  # nothing of the lost attempt was kept
    assert _stock(seeded, "MUG-01")[1] == 2


def test_repeated_lost_races_fall_back_to_step_by_step_allocation(
    seeded: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = inventory.take_stock

    def always_lost(**kwargs: Any) -> list[bool]:
        if not kwargs.get("partial"):
            empty_first_record(kwargs)  # every planned (all-or-nothing) take is lost
        return real(**kwargs)

    monkeypatch.setattr(inventory, "take_stock", always_lost)
    order, _ = orders.place_order(
        seeded, order_draft([("MUG-01", 1), ("BOOK-07", 1)]), actor="t", allocate=True
    )
    assert order.status == "allocated"  # the last attempt reserved row by row
    assert _stock(seeded, "MUG-01")[1] == 1 and _stock(seeded, "BOOK-07")[1] == 1


def test_a_short_new_order_is_backordered_holding_what_it_got(seeded: Database) -> None:
    on_hand, _ = _stock(seeded, "MUG-01")
    order, _ = orders.place_order(
        seeded,
        order_draft([("MUG-01", on_hand + 3), ("BOOK-07", 1)]),
        actor="t",
        allocate=True,
    )
    assert order.status == "backordered"
    assert _stock(seeded, "MUG-01") == (on_hand, on_hand)
    with seeded.reader() as s:
        notes = [e.note for e in s.scalars(select(OrderEvent).order_by(OrderEvent.id))]
    assert "MUG-01 short by 3" in notes[-1]


def test_a_receipt_serves_only_the_orders_short_of_its_product(
    seeded: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    mugs, _ = _stock(seeded, "MUG-01")
    books, _ = _stock(seeded, "BOOK-07")
    # the first order has its mug and waits for a book; the second waits for two mugs
    short_of_books, _ = orders.place_order(
        seeded, order_draft([("MUG-01", 1), ("BOOK-07", books + 1)]), actor="t", allocate=True
    )
    short_of_mugs, _ = orders.place_order(
        seeded, order_draft([("MUG-01", mugs + 1)], email="m@example.fr"), actor="t", allocate=True
    )
    assert short_of_mugs.status == short_of_books.status == "backordered"
    tried: list[str] = []
    real = orders.allocate_order

    def spy(**kwargs: Any) -> Any:
        tried.append(kwargs["number"])
        return real(**kwargs)

    monkeypatch.setattr(orders, "allocate_order", spy)
    with seeded.transaction() as s:
        inventory.receive(
            session=s, warehouse_code="PAR1", location_code="A-01-01", sku="MUG-01", quantity=2
        )
    with seeded.reader() as s:
        statuses = dict(s.execute(select(Order.id, Order.status)).all())
    assert statuses[short_of_mugs.id] == "allocated"  # its missing mugs arrived
    assert statuses[short_of_books.id] == "backordered"
    assert tried == [short_of_mugs.number]  # mugs cannot serve the other one: not even tried
