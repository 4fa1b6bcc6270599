"""Cycle counts: count a location, book the differences as ledger adjustments, report them.

Opening a count snapshots what the ledger expects at the location, per product and lot.
Submitting it compares what was counted with the on-hand quantity at that moment (movements
between opening and submitting are taken into account) and books each difference as an
adjustment movement whose reason names the count. A count below the units already reserved
for orders is refused, naming the SKU, because those orders must be re-allocated first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from maillon.catalog.service import get_by_sku
from maillon.catalog.tables import Product
from maillon.core import clock
from maillon.core.errors import Conflict, ErrorCollector, NotFound
from maillon.inventory import service as inventory
from maillon.inventory.model import CountStatus
from maillon.inventory.tables import CountLine, CountTask, Location, StockLevel, Warehouse


def open_count(*, session: Session, warehouse_code: str, location_code: str) -> CountTask:
    """Open a count of a location with what the ledger expects there. Raises NotFound."""
    warehouse = inventory.get_warehouse(session=session, code=warehouse_code)
    location = session.scalar(
        select(Location).where(
            Location.warehouse_id == warehouse.id, Location.code == location_code
        )
    )
    if location is None:
        raise NotFound("location", location_code, field="location")
    rows = session.execute(
        select(StockLevel.product_id, Product.sku, StockLevel.lot, StockLevel.on_hand)
        .join(Product, Product.id == StockLevel.product_id)
        .where(StockLevel.location_id == location.id)
        .order_by(Product.sku, StockLevel.lot)
    ).all()
    task = CountTask(
        warehouse_id=warehouse.id,
        location_id=location.id,
        status=CountStatus.OPEN.value,
        created_at=clock.now(),
        lines=[CountLine(product_id=r[0], sku=r[1], lot=r[2], expected=r[3]) for r in rows],
    )
    session.add(task)
    session.flush()
    return task


def get_count(*, session: Session, task_id: int) -> CountTask:
    """Return the count task. Raises NotFound."""
    task = session.get(CountTask, task_id)
    if task is None:
        raise NotFound("count", task_id, field="count_id")
    return task


def submit_count(
    *, session: Session, task_id: int, counted: Sequence[tuple[str, str, int]], actor: str
) -> CountTask:
    """Record what was counted ((sku, lot, quantity) each) and book the differences.

    Products of the location that are not in ``counted`` count as zero; products found that
    the ledger did not expect are added. Raises NotFound, Conflict (task not open, or a count
    below reserved units), ValidationError naming a bad line.
    """
    task = get_count(session=session, task_id=task_id)
    if task.status != CountStatus.OPEN:
        raise Conflict(f"count {task_id} is {task.status}")
    errors = ErrorCollector()
    found: dict[tuple[str, str], int] = {}
    for i, (sku, lot, quantity) in enumerate(counted):
        if quantity < 0:
            errors.add(f"lines.{i}.counted", "must be >= 0")
        if (sku, lot) in found:
            errors.add(f"lines.{i}.sku", f"{sku} lot {lot!r} is counted twice")
        found[(sku, lot)] = quantity
    errors.raise_if_any()
    location = session.get(Location, task.location_id)
    warehouse = session.get(Warehouse, task.warehouse_id)
    assert location is not None and warehouse is not None
    by_key = {(line.sku, line.lot): line for line in task.lines}
    for i, (sku, lot) in enumerate(found):
        if (sku, lot) not in by_key:
            product = get_by_sku(session=session, sku=sku, field=f"lines.{i}.sku")
            line = CountLine(product_id=product.id, sku=sku, lot=lot, expected=0)
            task.lines.append(line)
            by_key[(sku, lot)] = line
    reason = f"cycle count C{task.id}"
    for (sku, lot), line in sorted(by_key.items()):
        quantity = found.get((sku, lot), 0)
        level = session.scalar(
            select(StockLevel).where(
                StockLevel.product_id == line.product_id,
                StockLevel.location_id == location.id,
                StockLevel.lot == lot,
            )
        )
        on_hand = level.on_hand if level is not None else 0
        reserved = level.reserved if level is not None else 0
        if quantity < reserved:
            raise Conflict(
                f"{sku} lot {lot!r}: counted {quantity} but {reserved} unit(s) are reserved for "
                "orders; re-allocate them before booking this count"
            )
        line.counted = quantity
        line.difference = quantity - on_hand
        if line.difference:
            inventory.adjust(
                session=session,
                warehouse_code=warehouse.code,
                location_code=location.code,
                sku=sku,
                delta=line.difference,
                reason=reason,
                actor=actor,
                lot=lot,
            )
    task.status = CountStatus.DONE.value
    task.counted_at = clock.now()
    task.counted_by = actor
    return task


@dataclass(frozen=True)
class Discrepancy:
    """A counted difference, with its value at the selling price."""

    count_id: int
    counted_at: datetime
    warehouse: str
    location: str
    sku: str
    lot: str
    expected: int
    counted: int
    difference: int
    value_cents: int


def discrepancies(
    *, session: Session, since: datetime | None = None, warehouse: str | None = None
) -> list[Discrepancy]:
    """Return the differences found by finished counts, largest value first."""
    query = (
        select(
            CountTask.id,
            CountTask.counted_at,
            Warehouse.code,
            Location.code,
            CountLine.sku,
            CountLine.lot,
            CountLine.expected,
            CountLine.counted,
            CountLine.difference,
            Product.price_cents,
        )
        .join(CountLine, CountLine.task_id == CountTask.id)
        .join(Warehouse, Warehouse.id == CountTask.warehouse_id)
        .join(Location, Location.id == CountTask.location_id)
        .join(Product, Product.id == CountLine.product_id)
        .where(CountTask.status == CountStatus.DONE, CountLine.difference != 0)
    )
    if since is not None:
        query = query.where(CountTask.counted_at >= since)
    if warehouse:
        query = query.where(Warehouse.code == warehouse)
    out = [
        Discrepancy(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[8] * r[9])
        for r in session.execute(query)
    ]
    return sorted(out, key=lambda d: (-abs(d.value_cents), d.count_id, d.sku))
