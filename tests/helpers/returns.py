"""Returns helpers for tests: an order delivered to a customer, ready to be returned."""

from __future__ import annotations

from typing import Any

from maillon.core.db import Database
from maillon.orders import service as orders
from maillon.shipping import service as shipping
from maillon.shipping.service import follow_up
from maillon.warehouse import service as warehouse
from tests.helpers import order_draft, pack

EMAIL = "camille.martin@example.fr"


def deliver(db: Database, lines: list[tuple[str, int]], **overrides: Any) -> str:
    """Place, allocate, pick, pack, ship and deliver an order; return its number."""
    order, _ = orders.place_order(db, order_draft(lines, **overrides), actor="t")
    number = order.number
    with db.transaction() as s:
        orders.allocate_order(session=s, number=number, actor="t")
        for pick_list in warehouse.create_pick_lists(session=s, number=number, actor="p"):
            warehouse.confirm_pick_list(
                session=s, pick_list_id=pick_list.id, picked=None, actor="p"
            )
        pack(s, number, "p")
        shipping.ship_order(session=s, number=number, carrier_code="colissimo", actor="o")
    with db.transaction() as s:
        follow_up.mark_delivered(session=s, number=number, actor="o")
    return number
