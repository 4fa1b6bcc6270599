"""The main job on a small scale: a generated business replayed through the chain."""

from __future__ import annotations

import pytest
from rich.console import Console
from sqlalchemy import func, select

from maillon.core.auth import authenticate
from maillon.core.db import Database
from maillon.core.errors import Conflict
from maillon.demo.run import run_demo
from maillon.inventory.service import ledger_mismatches
from maillon.orders.tables import Order, OrderEvent


@pytest.mark.slow
def test_demo_replays_a_business(db: Database) -> None:
    key = run_demo(db, seed=3, days=6, orders=150, skus=60, console=Console(quiet=True))
    with db.reader() as s:
        assert authenticate(session=s, raw_key=key).role.value == "admin"
        assert s.scalar(select(func.count()).select_from(Order)) == 150
        statuses = dict(s.execute(select(Order.status, func.count()).group_by(Order.status)).all())
        assert statuses.get("delivered", 0) > 30
        assert statuses.get("shipped", 0) + statuses.get("delivered", 0) > 100
        assert ledger_mismatches(session=s) == []
        # every order's timeline starts with its confirmation
        firsts = s.scalar(
            select(func.count()).select_from(OrderEvent).where(OrderEvent.from_status.is_(None))
        )
        assert firsts == 150
        # the warehouses have layouts: pick lists are walked by the shortest route
        from maillon.warehouse.tables import PickList

        routed = s.scalar(
            select(func.count()).select_from(PickList).where(PickList.route_m.is_not(None))
        )
        assert routed and routed == s.scalar(select(func.count()).select_from(PickList))
    # every product has a supplier, so planning has something to propose
    from maillon.planning import service as planning

    with db.reader() as s:
        assert planning.propose_replenishment(session=s, warehouse_code="PAR1")
    with pytest.raises(Conflict, match="fresh"):
        run_demo(db, seed=3, days=1, orders=5, skus=5, console=Console(quiet=True))
