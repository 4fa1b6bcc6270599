"""Warehouse use cases: pick lists for allocated orders and their confirmation."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from maillon.catalog.tables import Product
from maillon.core import clock
from maillon.core.errors import Conflict, FieldError, NotFound, ValidationError
from maillon.inventory.tables import Location, StockLevel
from maillon.orders import service as orders
from maillon.orders.model import OrderStatus
from maillon.orders.tables import Order, OrderLine
from maillon.warehouse.tables import PickList, PickListLine


def create_pick_lists(*, session: Session, number: str, actor: str) -> list[PickList]:
    """Issue the pick lists of an allocated order, one per warehouse, lines in location order;
    the order goes to picking. Raises NotFound, InvalidTransition unless allocated."""
    order = orders.get_order_for_update(session=session, number=number)
    orders.transition(session=session, order=order, target=OrderStatus.PICKING, actor=actor)
    allocations = [
        a for a in orders.allocations_of(session=session, order=order) if a.status == "reserved"
    ]
    rows = session.execute(
        select(StockLevel.id, Location.code)
        .join(Location, Location.id == StockLevel.location_id)
        .where(StockLevel.id.in_([a.stock_level_id for a in allocations]))
    ).all()
    location_of = {r[0]: r[1] for r in rows}
    sku_of = {line.id: line.sku for line in order.lines}
    lists = []
    for warehouse_id in sorted({a.warehouse_id for a in allocations}):
        ordered = sorted(
            (a for a in allocations if a.warehouse_id == warehouse_id),
            key=lambda a: (location_of[a.stock_level_id], a.id),
        )
        pick_list = PickList(
            order_id=order.id,
            warehouse_id=warehouse_id,
            status="open",
            created_at=clock.now(),
            lines=[
                PickListLine(
                    allocation_id=a.id,
                    sequence=i + 1,
                    location_code=location_of[a.stock_level_id],
                    sku=sku_of[a.order_line_id],
                    quantity=a.quantity,
                    picked_quantity=0,
                )
                for i, a in enumerate(ordered)
            ],
        )
        session.add(pick_list)
        lists.append(pick_list)
    session.flush()
    return lists


def get_pick_list(*, session: Session, pick_list_id: int) -> PickList:
    """Return the pick list. Raises NotFound."""
    pick_list = session.get(PickList, pick_list_id)
    if pick_list is None:
        raise NotFound("pick list", pick_list_id, field="pick_list_id")
    return pick_list


def pick_lists_of(*, session: Session, order: Order) -> Sequence[PickList]:
    """Return the order's pick lists that are not cancelled, in id order."""
    return session.scalars(
        select(PickList)
        .where(PickList.order_id == order.id, PickList.status != "cancelled")
        .order_by(PickList.id)
    ).all()


def confirm_pick_list(
    *,
    session: Session,
    pick_list_id: int,
    picked: dict[int, int] | None,
    actor: str,
) -> PickList:
    """Record what was picked (line id -> quantity; None means every line in full).

    Short picks are refused for now (the line must be picked in full or the order cancelled).
    Raises NotFound, Conflict if the list is not open, ValidationError naming a bad line.
    """
    pick_list = get_pick_list(session=session, pick_list_id=pick_list_id)
    if pick_list.status != "open":
        raise Conflict(f"pick list {pick_list_id} is {pick_list.status}, not open")
    by_id = {line.id: line for line in pick_list.lines}
    if picked is not None:
        for line_id in picked:
            if line_id not in by_id:
                raise ValidationError(
                    FieldError(f"lines.{line_id}", "not a line of this pick list")
                )
    for line in pick_list.lines:
        qty = line.quantity if picked is None else picked.get(line.id, 0)
        if qty != line.quantity:
            raise ValidationError(
                FieldError(
                    f"lines.{line.id}.quantity",
                    f"must be {line.quantity} (short picks "
                    "are not accepted: cancel or re-allocate the order)",
                )
            )
        line.picked_quantity = qty
    pick_list.status = "done"
    pick_list.picker = actor
    pick_list.completed_at = clock.now()
    return pick_list


def on_order_cancelled(session: Session, payload: dict[str, Any]) -> None:
    """Cancel the open pick lists of a cancelled order (subscribed to ``order.cancelled``)."""
    for pick_list in session.scalars(
        select(PickList).where(PickList.order_id == payload["order_id"], PickList.status == "open")
    ):
        pick_list.status = "cancelled"


def open_pick_lists(*, session: Session, limit: int = 50) -> Sequence[PickList]:
    """Return open pick lists, oldest first."""
    return session.scalars(
        select(PickList).where(PickList.status == "open").order_by(PickList.id).limit(limit)
    ).all()


def order_weight_volume(*, session: Session, order: Order) -> tuple[int, int]:
    """Return the order's total product weight (g) and volume (cm3)."""
    rows = session.execute(
        select(
            OrderLine.quantity,
            Product.weight_g,
            Product.length_mm,
            Product.width_mm,
            Product.height_mm,
        )
        .join(Product, Product.id == OrderLine.product_id)
        .where(OrderLine.order_id == order.id)
    ).all()
    weight = sum(q * w for q, w, *_ in rows)
    volume = sum(q * a * b * c // 1000 for q, _w, a, b, c in rows)
    return weight, volume
