"""Purchase orders: creating them from proposal lines, sending them to suppliers,
receiving them into stock, and listing the ones a planner follows."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from maillon.catalog.tables import Product
from maillon.core import clock, outbox
from maillon.core.errors import (
    Conflict,
    ErrorCollector,
    NotFound,
)
from maillon.inventory import service as inventory
from maillon.inventory.tables import Warehouse
from maillon.planning.model import OPEN_PO, PurchaseOrderStatus
from maillon.planning.tables import (
    PurchaseOrder,
    PurchaseOrderLine,
    Supplier,
    SupplierItem,
)


def parse_po_number(number: str) -> int | None:
    """Return the id in ``PO000123`` (or a bare number), or None."""
    text = number.strip().upper().removeprefix("PO")
    return int(text) if text.isdigit() and 0 < int(text) < 2**31 else None


def get_purchase_order(*, session: Session, number: str, field: str = "number") -> PurchaseOrder:
    """Return a purchase order by number. Raises NotFound."""
    po_id = parse_po_number(number)
    po = session.get(PurchaseOrder, po_id) if po_id is not None else None
    if po is None:
        raise NotFound("purchase order", number, field=field)
    return po


def list_purchase_orders(
    *, session: Session, status: str | None = None, limit: int = 50, offset: int = 0
) -> list[PurchaseOrder]:
    """Return purchase orders, newest first."""
    query = select(PurchaseOrder).order_by(PurchaseOrder.id.desc()).limit(limit).offset(offset)
    if status:
        query = query.where(PurchaseOrder.status == status)
    return list(session.scalars(query))


def purchase_orders_to_follow(
    *, session: Session, open_limit: int = 50, closed_limit: int = 10
) -> list[PurchaseOrder]:
    """Return the purchase orders a planner follows: the open ones (draft, sent, partially
    received), soonest expected first (undated last), then the most recently closed."""
    open_pos = session.scalars(
        select(PurchaseOrder)
        .where(PurchaseOrder.status.in_(OPEN_PO))
        .order_by(PurchaseOrder.expected_at.is_(None), PurchaseOrder.expected_at, PurchaseOrder.id)
        .limit(open_limit)
    )
    closed = session.scalars(
        select(PurchaseOrder)
        .where(PurchaseOrder.status.not_in(OPEN_PO))
        .order_by(PurchaseOrder.id.desc())
        .limit(closed_limit)
    )
    return [*open_pos, *closed]


def create_purchase_orders(
    *,
    session: Session,
    warehouse_code: str,
    lines: list[tuple[str, str, int, str]],
    actor: str,
) -> list[PurchaseOrder]:
    """Create draft purchase orders, one per supplier, from (supplier, SKU, quantity, reason)
    lines. Prices come from what the supplier sells. Raises ValidationError naming
    ``lines.N.field``, NotFound for the warehouse."""
    warehouse = inventory.get_warehouse(session=session, code=warehouse_code, field="warehouse")
    errors = ErrorCollector()
    if not lines:
        errors.add("lines", "at least one line")
    resolved: list[tuple[Supplier, Product, SupplierItem, int, str]] = []
    for i, (supplier_code, sku, quantity, reason) in enumerate(lines):
        supplier = session.scalar(select(Supplier).where(Supplier.code == supplier_code))
        product = session.scalar(select(Product).where(Product.sku == sku))
        if supplier is None:
            errors.add(f"lines.{i}.supplier", f"unknown supplier {supplier_code!r}")
            continue
        if product is None:
            errors.add(f"lines.{i}.sku", f"unknown SKU {sku!r}")
            continue
        item = session.scalar(
            select(SupplierItem).where(
                SupplierItem.supplier_id == supplier.id, SupplierItem.product_id == product.id
            )
        )
        if item is None:
            errors.add(f"lines.{i}.sku", f"{supplier_code} does not sell {sku}")
            continue
        if not 1 <= quantity <= 1_000_000:
            errors.add(f"lines.{i}.quantity", "1-1,000,000 units")
            continue
        if quantity < item.moq:
            errors.add(f"lines.{i}.quantity", f"below the minimum order of {item.moq}")
            continue
        if quantity % item.pack_size:
            errors.add(f"lines.{i}.quantity", f"not a multiple of the pack size {item.pack_size}")
            continue
        resolved.append((supplier, product, item, quantity, reason))
    errors.raise_if_any()
    now = clock.now()
    orders: dict[int, PurchaseOrder] = {}
    for supplier, product, item, quantity, reason in resolved:
        po = orders.get(supplier.id)
        if po is None:
            lead = (
                item.lead_time_days if item.lead_time_days is not None else supplier.lead_time_days
            )
            po = PurchaseOrder(
                supplier_id=supplier.id,
                warehouse_id=warehouse.id,
                status=PurchaseOrderStatus.DRAFT.value,
                created_at=now,
                expected_at=now + timedelta(days=lead),
                created_by=actor,
            )
            session.add(po)
            orders[supplier.id] = po
        po.lines.append(
            PurchaseOrderLine(
                product_id=product.id,
                sku=product.sku,
                quantity=quantity,
                received_quantity=0,
                unit_price_cents=item.unit_price_cents,
                reason=reason[:400],
            )
        )
    session.flush()
    return list(orders.values())


def send_purchase_order(*, session: Session, number: str, actor: str) -> PurchaseOrder:
    """Send a draft purchase order to its supplier (an e-mail through the outbox).
    Raises NotFound, Conflict unless draft."""
    po = get_purchase_order(session=session, number=number)
    if po.status != PurchaseOrderStatus.DRAFT:
        raise Conflict(f"{po.number} is {po.status}, not draft")
    supplier = session.get(Supplier, po.supplier_id)
    assert supplier is not None
    po.status = PurchaseOrderStatus.SENT.value
    po.sent_at = clock.now()
    if supplier.email:
        body = "\n".join(f"{line.sku}: {line.quantity}" for line in po.lines)
        outbox.enqueue_message(
            session,
            topic="purchase_order.sent",
            recipient=supplier.email,
            subject=f"Purchase order {po.number}",
            body=f"Hello {supplier.name},\n\nPlease deliver:\n{body}\n\n({actor})\n",
            payload={"purchase_order": po.number},
        )
    return po


def receive_purchase_order(
    *,
    session: Session,
    number: str,
    location_code: str,
    actor: str,
    quantities: dict[str, int] | None = None,
) -> PurchaseOrder:
    """Receive units of a purchase order into ``location_code`` of its warehouse (all that is
    still due, or ``quantities`` per SKU): ledger receipts that serve waiting backorders.
    Raises NotFound, Conflict (closed order), ValidationError naming ``lines.SKU``."""
    po = get_purchase_order(session=session, number=number)
    if po.status not in OPEN_PO:
        raise Conflict(f"{po.number} is {po.status}: nothing more to receive")
    due = {line.sku: line.quantity - line.received_quantity for line in po.lines}
    wanted = dict(quantities) if quantities is not None else dict(due)
    errors = ErrorCollector()
    for sku, qty in wanted.items():
        if sku not in due:
            errors.add(f"lines.{sku}", "not on this purchase order")
        elif not 0 < qty <= max(due[sku], 0) * 2 + 1_000:
            errors.add(f"lines.{sku}", f"must be between 1 and what is due ({due[sku]})")
    errors.raise_if_any()
    warehouse = session.get(Warehouse, po.warehouse_id)
    assert warehouse is not None
    for line in po.lines:
        qty = wanted.get(line.sku, 0)
        if qty <= 0:
            continue
        inventory.receive(
            session=session,
            warehouse_code=warehouse.code,
            location_code=location_code,
            sku=line.sku,
            quantity=qty,
            reference=po.number,
            actor=actor,
        )
        line.received_quantity += qty
    complete = all(line.received_quantity >= line.quantity for line in po.lines)
    po.status = (
        PurchaseOrderStatus.RECEIVED if complete else PurchaseOrderStatus.PARTIALLY_RECEIVED
    ).value
    if complete:
        po.closed_at = clock.now()
    return po


def purchase_order_summary(po: PurchaseOrder, supplier_code: str, warehouse_code: str) -> Any:
    """A plain dict of a purchase order (for the CLI and the API)."""
    return {
        "number": po.number,
        "supplier": supplier_code,
        "warehouse": warehouse_code,
        "status": po.status,
        "created_at": po.created_at,
        "expected_at": po.expected_at,
        "lines": [
            {
                "sku": line.sku,
                "quantity": line.quantity,
                "received": line.received_quantity,
                "unit_price_cents": line.unit_price_cents,
                "reason": line.reason,
            }
            for line in po.lines
        ],
        "total_cents": sum(line.quantity * line.unit_price_cents for line in po.lines),
    }
