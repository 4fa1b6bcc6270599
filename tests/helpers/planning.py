"""Planning helpers for tests: a supplier and ten days of demand before a fixed day."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from maillon.core import clock
from maillon.core.db import Database
from maillon.orders import service as orders
from maillon.planning import service as planning
from tests.helpers import order_draft

TODAY = datetime(2026, 3, 20, 9, tzinfo=UTC)
"""The day the planning tests plan on."""


def seed_history(seeded: Database) -> Database:
    """ACME sells MUG-01 (MOQ 10, packs of 5) and LAMP-02; ten days of one mug a day."""
    with seeded.transaction() as s:
        planning.create_supplier(
            session=s,
            code="ACME",
            name="Acme",
            lead_time_days=3,
            lead_time_sd_days=1,
            email="orders@acme.example",
        )
        planning.set_supplier_item(
            session=s,
            supplier_code="ACME",
            sku="MUG-01",
            unit_price_cents=300,
            moq=10,
            pack_size=5,
            preferred=True,
        )
        planning.set_supplier_item(
            session=s, supplier_code="ACME", sku="LAMP-02", unit_price_cents=1200
        )
    for day in range(10, 0, -1):
        with clock.frozen_at(TODAY - timedelta(days=day)):
            orders.place_order(
                seeded,
                order_draft([("MUG-01", 1)], email=f"c{day}@example.fr"),
                actor="t",
                allocate=True,
            )
    return seeded
