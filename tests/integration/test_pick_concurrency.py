"""Pickers asking for work at the same moment never get the same pick list; concurrent short
picks of one bin keep the ledger equal to the balances."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

from sqlalchemy import select

from maillon.core import clock
from maillon.core.db import Database
from maillon.inventory import service as inventory
from maillon.orders import service as orders
from maillon.warehouse import service
from maillon.warehouse.service import tasks
from maillon.warehouse.tables import PickList
from tests.helpers import order_draft


def issue(db: Database, n: int) -> None:
    with db.transaction() as s:
        inventory.receive(
            session=s, warehouse_code="PAR1", location_code="A01-01", sku="TSHIRT-M", quantity=n
        )
    noon = datetime.now(UTC).replace(hour=12)  # placed at night, fraud scoring holds them
    for i in range(n):
        with clock.frozen_at(noon):
            order, _ = orders.place_order(
                db, order_draft([("TSHIRT-M", 1)], external_id=f"P{i}"), actor="t", allocate=True
            )
        with db.transaction() as s:
            service.create_pick_lists(session=s, number=order.number, actor="t")


def test_two_pickers_never_share_a_list(seeded: Database, db_url: str) -> None:
    db = Database(db_url, pool_size=4)
    issue(db, 8)
    barrier = threading.Barrier(2)

    def work(name: str) -> list[int]:
        barrier.wait()
        got = []
        for k in range(6):  # a new picker id each time: each call claims a fresh list
            with db.transaction() as s:
                task = tasks.next_task(session=s, warehouse_code="PAR1", picker=f"{name}{k}")
            if task is not None:
                got.append(task.pick_list_id)
        return got

    with ThreadPoolExecutor(max_workers=2) as pool:
        a, b = pool.map(work, ["a", "b"])
    assert len(a) + len(b) == 8
    assert not set(a) & set(b) and len(set(a)) == len(a) and len(set(b)) == len(b)
    with db.reader() as s:
        holders = {p.id: p.picker for p in s.scalars(select(PickList))}
    assert all(holders[i].startswith("a") for i in a)
    assert all(holders[i].startswith("b") for i in b)
    db.dispose()


def test_concurrent_short_picks_keep_the_ledger_balanced(seeded: Database, db_url: str) -> None:
    db = Database(db_url, pool_size=4)
    issue(db, 4)  # 14 T-shirts in A01-01, 4 orders of one
    pickers = [f"p{i}" for i in range(4)]
    claimed = []
    for name in pickers:
        with db.transaction() as s:
            task = tasks.next_task(session=s, warehouse_code="PAR1", picker=name)
            assert task is not None
            claimed.append((name, task.line_id, task.location))
    barrier = threading.Barrier(4)

    def short(args: tuple[str, int, str]) -> int:
        name, line_id, location = args
        barrier.wait()
        outcome = tasks.scan(
            db,
            line_id=line_id,
            picker=name,
            location=location,
            barcode=_gtin(db),
            quantity=0,
        )
        assert outcome.exception is not None
        return outcome.exception.backordered

    with ThreadPoolExecutor(max_workers=4) as pool:
        backordered = list(pool.map(short, claimed))
    assert sum(backordered) == 4  # the only bin is empty: nothing to re-allocate
    with db.reader() as s:
        assert inventory.ledger_mismatches(session=s) == []
        rows, _ = inventory.list_balances(session=s, sku="TSHIRT-M", warehouse="PAR1")
        assert all(r.on_hand == 0 and r.reserved == 0 for r in rows)
    db.dispose()


def _gtin(db: Database) -> str:
    from maillon.catalog.service import get_by_sku

    with db.reader() as s:
        gtin = get_by_sku(session=s, sku="TSHIRT-M").gtin
    assert gtin is not None
    return gtin
