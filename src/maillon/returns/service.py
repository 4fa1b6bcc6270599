"""Return use cases (minimal): request a return of a delivered order, receive it."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from maillon.core import clock
from maillon.core.errors import Conflict, ErrorCollector, FieldError, NotFound, ValidationError
from maillon.inventory import service as inventory
from maillon.inventory.model import MovementKind
from maillon.inventory.tables import Location, StockLevel, Warehouse
from maillon.orders import service as orders
from maillon.orders.model import OrderStatus
from maillon.orders.tables import Allocation
from maillon.returns.tables import ReturnLine, ReturnRequest


def request_return(
    *, session: Session, number: str, lines: list[tuple[str, int]], reason: str, actor: str
) -> ReturnRequest:
    """Open a return for delivered units (SKU, quantity) of an order.

    Raises NotFound, Conflict unless delivered, ValidationError naming a bad line (unknown
    SKU for this order, or more than was delivered and not yet returned).
    """
    order = orders.get_order(session=session, number=number, field="order")
    if order.status != OrderStatus.DELIVERED.value:
        raise Conflict(f"order {order.number} is {order.status}; only delivered orders return")
    errors = ErrorCollector()
    if not reason or not reason.strip():
        errors.add("reason", "is required")
    if not lines:
        errors.add("lines", "at least one line")
    returned = dict(
        session.execute(
            select(ReturnLine.order_line_id, func.sum(ReturnLine.quantity))
            .join(ReturnRequest, ReturnRequest.id == ReturnLine.return_id)
            .where(ReturnRequest.order_id == order.id)
            .group_by(ReturnLine.order_line_id)
        ).all()
    )
    by_sku = {line.sku: line for line in order.lines}
    new_lines = []
    for i, (sku, qty) in enumerate(lines):
        line = by_sku.get(sku)
        if line is None:
            errors.add(f"lines.{i}.sku", f"{sku!r} is not in order {order.number}")
            continue
        left = line.quantity - int(returned.get(line.id, 0))
        if qty <= 0 or qty > left:
            errors.add(f"lines.{i}.quantity", f"must be between 1 and {left}")
            continue
        new_lines.append(ReturnLine(order_line_id=line.id, sku=sku, quantity=qty))
    errors.raise_if_any()
    request = ReturnRequest(
        order_id=order.id,
        status="requested",
        reason=reason.strip(),
        created_at=clock.now(),
        lines=new_lines,
    )
    session.add(request)
    session.flush()
    orders.add_note(
        session=session,
        number=order.number,
        actor=actor,
        note=f"return R{request.id} requested: {reason.strip()}",
    )
    return request


def receive_return(*, session: Session, return_id: int, restock: bool, actor: str) -> ReturnRequest:
    """Receive a requested return: restock units where they were picked from, or scrap them.

    Raises NotFound, Conflict if already received.
    """
    request = session.get(ReturnRequest, return_id)
    if request is None:
        raise NotFound("return", return_id, field="return_id")
    if request.status != "requested":
        raise Conflict(f"return {return_id} is already {request.status}")
    for line in request.lines:
        line.disposition = "restock" if restock else "scrap"
        if not restock:
            continue
        place = session.execute(
            select(Warehouse.code, Location.code)
            .select_from(Allocation)
            .join(StockLevel, StockLevel.id == Allocation.stock_level_id)
            .join(Location, Location.id == StockLevel.location_id)
            .join(Warehouse, Warehouse.id == StockLevel.warehouse_id)
            .where(Allocation.order_line_id == line.order_line_id)
            .order_by(Allocation.id)
        ).first()
        if place is None:
            raise Conflict(f"no pick location known for {line.sku}")
        inventory.receive(
            session=session,
            warehouse_code=place[0],
            location_code=place[1],
            sku=line.sku,
            quantity=line.quantity,
            reference=f"R{request.id}",
            actor=actor,
            kind=MovementKind.RETURN,
        )
    request.status = "received"
    request.received_at = clock.now()
    return request


def list_returns(*, session: Session, limit: int = 50, offset: int = 0) -> Sequence[ReturnRequest]:
    """Return one page of returns, newest first."""
    return session.scalars(
        select(ReturnRequest).order_by(ReturnRequest.id.desc()).limit(limit).offset(offset)
    ).all()


def parse_lines(raw: list[dict[str, object]]) -> list[tuple[str, int]]:
    """Return (sku, quantity) pairs from request dicts. Raises ValidationError on bad shape."""
    out = []
    for i, item in enumerate(raw):
        sku, qty = item.get("sku"), item.get("quantity")
        if not isinstance(sku, str) or not isinstance(qty, int):
            raise ValidationError(FieldError(f"lines.{i}", "needs a sku and a whole quantity"))
        out.append((sku, qty))
    return out
