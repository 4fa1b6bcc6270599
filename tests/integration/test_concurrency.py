"""Concurrent orders for the last units: never oversold."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select

from maillon.core.db import Database
from maillon.inventory import service as inventory
from maillon.orders import service as orders
from maillon.orders.tables import Order
from tests.helpers import order_draft


def test_fifty_orders_race_for_ten_units(seeded: Database, db_url: str) -> None:
    db = Database(db_url, pool_size=25)
    with db.transaction() as s:  # the last 10 units of MUG-01: 5 + 3 in stock, add 2
        inventory.receive(
            session=s, warehouse_code="LYS1", location_code="B02-03", sku="MUG-01", quantity=2
        )
    numbers = [
        orders.place_order(db, order_draft(external_id=f"R{i}"), actor="t")[0].number
        for i in range(50)
    ]
    barrier = threading.Barrier(50)

    def allocate(number: str) -> bool:
        barrier.wait()
        with db.transaction() as s:
            return orders.allocate_order(session=s, number=number, actor="race").allocated

    with ThreadPoolExecutor(max_workers=50) as pool:
        results = list(pool.map(allocate, numbers))

    assert sum(results) == 10
    with db.reader() as s:
        rows, _ = inventory.list_balances(session=s, sku="MUG-01")
        assert sum(r.reserved for r in rows) == 10
        assert all(r.available == 0 for r in rows)
        assert inventory.ledger_mismatches(session=s) == []
        statuses = dict(s.execute(select(Order.status, func.count()).group_by(Order.status)).all())
    assert statuses == {"allocated": 10, "backordered": 40}
    db.dispose()


def test_concurrent_replays_create_one_order(seeded: Database, db_url: str) -> None:
    db = Database(db_url, pool_size=10)
    barrier = threading.Barrier(10)

    def place(_: int) -> int:
        barrier.wait()
        return orders.place_order(db, order_draft(external_id="SAME"), actor="t")[0].id

    with ThreadPoolExecutor(max_workers=10) as pool:
        ids = set(pool.map(place, range(10)))
    assert len(ids) == 1
    with db.reader() as s:
        assert s.scalar(select(func.count()).select_from(Order)) == 1
    db.dispose()
