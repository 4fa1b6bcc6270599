"""Pick tasks: the next stop for a picker's handheld (or pick-to-light / voice front end),
scan-confirmed picks, short-pick exceptions and per-picker metrics.

A picker asks for work in a warehouse: the oldest, most urgent open pick list nobody holds
(or the whole picker tour of a wave it belongs to) is claimed for them by a conditional update,
so two pickers never get the same list. Each stop is confirmed by scanning its location and
the product's barcode (GTIN): a mismatch is refused (409 naming ``location`` or ``barcode``),
counted for the picker, and changes nothing else. Fewer units than asked is a short pick: the
missing units are released, the location's unreserved stock is written off as a count
discrepancy (ledger adjustment with a reason), and the missing units are re-allocated from
other locations of the warehouse (a new stop is added to the list) or, failing that, reported
as a backorder (event ``pick.short``, customer told). When the last stop is done the list is
done, as with :func:`maillon.warehouse.service.confirm_pick_list`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from maillon.catalog.tables import Product
from maillon.core import clock, outbox
from maillon.core.db import Database
from maillon.core.errors import Conflict, FieldError, NotFound, ValidationError
from maillon.inventory import service as inventory
from maillon.inventory.model import StockTake
from maillon.inventory.tables import StockLevel, Warehouse
from maillon.orders.model import order_number
from maillon.orders.service import allocation as allocations
from maillon.orders.service import timeline
from maillon.orders.tables import Allocation, Order
from maillon.warehouse.model import PickLineStatus, PickListStatus, PickScanOutcome, TourStatus
from maillon.warehouse.scanning import barcode_matches, normalise_location, normalise_scan
from maillon.warehouse.service.packstation import FieldConflict
from maillon.warehouse.tables import (
    PickException,
    PickList,
    PickListLine,
    PickScan,
    PickTour,
)

__all__ = [
    "PickTask",
    "ScanMismatch",
    "ScanOutcome",
    "list_exceptions",
    "next_task",
    "record_mismatch",
    "scan",
    "scan_task",
]

MAX_CLAIM_ATTEMPTS = 20


@dataclass(frozen=True)
class PickTask:
    """One stop for a picker: where, what, how many, and where it is in the route."""

    line_id: int
    pick_list_id: int
    tour_id: int | None
    order: str
    warehouse: str
    location: str
    sku: str
    name: str
    gtin: str | None
    quantity: int
    position: int
    stops: int
    remaining: int
    route_m: float | None


_MISMATCH = {"location": PickScanOutcome.WRONG_LOCATION, "barcode": PickScanOutcome.WRONG_BARCODE}
"""The scan outcome of a mismatch, by the field that did not match."""


class ScanMismatch(FieldConflict):
    """A scan of the wrong location or product (409 naming ``location`` or ``barcode``)."""

    def __init__(
        self,
        field: str,
        message: str,
        *,
        line_id: int,
        warehouse_id: int,
        picker: str,
        location: str,
        barcode: str,
        quantity: int,
    ) -> None:
        super().__init__(field, message)
        self.scan = PickScan(
            line_id=line_id,
            warehouse_id=warehouse_id,
            picker=picker[:120],
            location=location[:60],
            barcode=barcode[:60],
            quantity=quantity,
            outcome=_MISMATCH[field].value,
        )


@dataclass(frozen=True)
class ScanOutcome:
    """What a good scan did: the line, its list's status, any short-pick exception, and the
    picker's next stop in the same list or tour (None when it is finished)."""

    line: PickListLine
    list_status: str
    exception: PickException | None
    next: PickTask | None


# --------------------------------------------------------------------------- next task


def _unit_lines(session: Session, warehouse_id: int, picker: str) -> list[PickListLine]:
    """Return the open lines of the picker's current work (one list, or one tour)."""
    held = session.scalars(
        select(PickList)
        .where(
            PickList.warehouse_id == warehouse_id,
            PickList.picker == picker,
            PickList.status == PickListStatus.OPEN,
        )
        .order_by(PickList.assigned_at, PickList.id)
        .execution_options(populate_existing=True)
    ).all()
    if not held:
        return []
    first = held[0]
    members = [p for p in held if first.tour_id is not None and p.tour_id == first.tour_id]
    members = members or [first]
    lines = [line for p in members for line in p.lines]
    return sorted(
        lines,
        key=lambda ln: (
            ln.tour_sequence if first.tour_id is not None and ln.tour_sequence else ln.sequence,
            ln.id,
        ),
    )


def _claim(session: Session, warehouse_id: int, picker: str) -> bool:
    """Claim the most urgent unheld open list (or its whole tour); return False if none."""
    for _ in range(MAX_CLAIM_ATTEMPTS):
        candidates = session.execute(
            select(PickList.id, PickList.tour_id)
            .join(Order, Order.id == PickList.order_id)
            .where(
                PickList.warehouse_id == warehouse_id,
                PickList.status == PickListStatus.OPEN,
                PickList.picker == "",
            )
            .order_by(Order.promised_at.is_(None), Order.promised_at, PickList.id)
            .limit(10)
        ).all()
        if not candidates:
            return False
        now = clock.now()
        for list_id, tour_id in candidates:
            if tour_id is not None:
                won = session.execute(
                    update(PickTour)
                    .execution_options(synchronize_session=False)
                    .where(PickTour.id == tour_id, PickTour.picker == "")
                    .values(picker=picker, assigned_at=now)
                )
                if won.rowcount == 1:  # type: ignore[attr-defined]
                    session.execute(
                        update(PickList)
                        .execution_options(synchronize_session=False)
                        .where(PickList.tour_id == tour_id, PickList.status == PickListStatus.OPEN)
                        .values(picker=picker, assigned_at=now)
                    )
                    return True
            else:
                won = session.execute(
                    update(PickList)
                    .execution_options(synchronize_session=False)
                    .where(
                        PickList.id == list_id,
                        PickList.picker == "",
                        PickList.status == PickListStatus.OPEN,
                    )
                    .values(picker=picker, assigned_at=now)
                )
                if won.rowcount == 1:  # type: ignore[attr-defined]
                    return True
    return False


def _task(session: Session, lines: list[PickListLine], line: PickListLine) -> PickTask:
    pick_list = session.get(PickList, line.pick_list_id)
    assert pick_list is not None
    product = session.scalar(select(Product).where(Product.sku == line.sku))
    code = session.scalar(select(Warehouse.code).where(Warehouse.id == pick_list.warehouse_id))
    route_m = pick_list.route_m
    if pick_list.tour_id is not None:
        tour = session.get(PickTour, pick_list.tour_id)
        route_m = tour.route_m if tour is not None else None
    return PickTask(
        line_id=line.id,
        pick_list_id=pick_list.id,
        tour_id=pick_list.tour_id,
        order=order_number(pick_list.order_id),
        warehouse=code or "",
        location=line.location_code,
        sku=line.sku,
        name=product.name if product is not None else line.sku,
        gtin=product.gtin if product is not None else None,
        quantity=line.quantity,
        position=lines.index(line) + 1,
        stops=len(lines),
        remaining=sum(1 for ln in lines if ln.status == PickLineStatus.OPEN),
        route_m=route_m,
    )


def next_task(
    *, session: Session, warehouse_code: str, picker: str, claim: bool = True
) -> PickTask | None:
    """Return the picker's next stop in ``warehouse_code``, in route order.

    A picker finishes the list (or tour) they hold first; with ``claim`` and nothing held,
    the most urgent open list nobody holds (earliest promise, then oldest) is assigned to
    them, with every list of its tour. Returns None when there is no work.
    Raises ValidationError naming ``picker``, NotFound naming ``warehouse``.
    """
    if not picker.strip():
        raise ValidationError(FieldError("picker", "is required"))
    warehouse = inventory.get_warehouse(session=session, code=warehouse_code)
    lines = _unit_lines(session, warehouse.id, picker)
    if not lines and claim and _claim(session, warehouse.id, picker):
        lines = _unit_lines(session, warehouse.id, picker)
    open_lines = [ln for ln in lines if ln.status == PickLineStatus.OPEN]
    if not open_lines:
        return None
    return _task(session, lines, open_lines[0])


# --------------------------------------------------------------------------- scans


def _open_task(
    session: Session, line_id: int, picker: str, quantity: int
) -> tuple[PickListLine, PickList]:
    """Return the open stop and its list, held by ``picker``; raise when it cannot be scanned."""
    line = session.get(PickListLine, line_id)
    if line is None:
        raise NotFound("pick task", line_id, field="line_id")
    pick_list = session.get(PickList, line.pick_list_id)
    assert pick_list is not None
    if pick_list.status != PickListStatus.OPEN:
        raise Conflict(f"pick list {pick_list.id} is {pick_list.status}, not open")
    if line.status != PickLineStatus.OPEN:
        raise Conflict(f"pick task {line_id} is already {line.status}")
    if pick_list.picker != picker:
        held = f"held by {pick_list.picker}" if pick_list.picker else "not assigned to you"
        raise Conflict(f"pick list {pick_list.id} is {held}: ask for your next task")
    if quantity < 0 or quantity > line.quantity:
        raise ValidationError(FieldError("quantity", f"must be from 0 to {line.quantity}"))
    return line, pick_list


def _check_scans(
    session: Session,
    line: PickListLine,
    pick_list: PickList,
    picker: str,
    location: str,
    barcode: str,
    quantity: int,
) -> Product | None:
    """Return the stop's product; raise ScanMismatch for a wrong location or barcode."""
    context: dict[str, Any] = dict(
        line_id=line.id,
        warehouse_id=pick_list.warehouse_id,
        picker=picker,
        location=location,
        barcode=barcode,
        quantity=quantity,
    )
    if normalise_location(location) != normalise_location(line.location_code):
        raise ScanMismatch(
            "location",
            f"{normalise_scan(location)!r} is not {line.location_code}: go to {line.location_code}",
            **context,
        )
    product = session.scalar(select(Product).where(Product.sku == line.sku))
    gtin = product.gtin if product is not None else None
    if not barcode_matches(barcode, gtin=gtin, sku=line.sku):
        raise ScanMismatch(
            "barcode",
            f"{normalise_scan(barcode)!r} is not {line.sku}" + (f" (GTIN {gtin})" if gtin else ""),
            **context,
        )
    return product


def scan_task(
    *,
    session: Session,
    line_id: int,
    picker: str,
    location: str,
    barcode: str,
    quantity: int,
) -> ScanOutcome:
    """Confirm a stop by its scans: location, product barcode, units taken.

    Raises NotFound (``line_id``), Conflict (list not open, stop already done or held by
    another picker), ValidationError naming ``quantity`` (more than asked), ScanMismatch
    naming ``location`` or ``barcode`` (the caller records it with :func:`record_mismatch`
    after this transaction is rolled back: see :func:`scan`).
    """
    line, pick_list = _open_task(session, line_id, picker, quantity)
    product = _check_scans(session, line, pick_list, picker, location, barcode, quantity)
    now = clock.now()
    short = quantity < line.quantity
    session.add(
        PickScan(
            line_id=line.id,
            warehouse_id=pick_list.warehouse_id,
            picker=picker[:120],
            at=now,
            location=normalise_scan(location)[:60],
            barcode=normalise_scan(barcode)[:60],
            quantity=quantity,
            outcome=(PickScanOutcome.SHORT if short else PickScanOutcome.OK).value,
        )
    )
    line.picked_quantity = quantity
    line.picked_at = now
    line.picked_by = picker[:120]
    line.status = (PickLineStatus.SHORT if short else PickLineStatus.DONE).value
    exception = None
    if short:
        assert product is not None
        exception = _short_pick(session, pick_list, line, product, picker)
        session.flush()
        session.refresh(pick_list)
    _complete_if_finished(session, pick_list, now)
    return ScanOutcome(
        line=line,
        list_status=pick_list.status,
        exception=exception,
        next=next_task(
            session=session,
            warehouse_code=session.scalar(
                select(Warehouse.code).where(Warehouse.id == pick_list.warehouse_id)
            )
            or "",
            picker=picker,
            claim=False,
        ),
    )


def _complete_if_finished(session: Session, pick_list: PickList, now: datetime) -> None:
    if any(ln.status == PickLineStatus.OPEN for ln in pick_list.lines):
        return
    pick_list.status = PickListStatus.DONE.value
    pick_list.completed_at = now
    if pick_list.tour_id is not None:
        session.flush()
        still_open = session.scalar(
            select(func.count())
            .select_from(PickList)
            .where(PickList.tour_id == pick_list.tour_id, PickList.status == PickListStatus.OPEN)
        )
        if not still_open:
            tour = session.get(PickTour, pick_list.tour_id)
            if tour is not None:
                tour.status = TourStatus.DONE.value


def _short_pick(
    session: Session, pick_list: PickList, line: PickListLine, product: Product, picker: str
) -> PickException:
    """Handle a short pick: release and write off, then re-allocate or report a backorder."""
    actor = f"picker:{picker}"
    order = session.get(Order, pick_list.order_id)
    assert order is not None
    missing = line.quantity - line.picked_quantity
    allocation = session.get(Allocation, line.allocation_id)
    assert allocation is not None
    warehouse = session.get(Warehouse, pick_list.warehouse_id)
    assert warehouse is not None
    # 1. The missing units were never there: give back their reservation...
    allocations.give_back(session=session, order=order, units=[(allocation, missing)], actor=actor)
    # 2. ...and the shelf is empty: what the ledger still shows free there is written off.
    written_off = _write_off_shelf(session, pick_list, line, allocation, warehouse, actor)
    # 3. Re-allocate the missing units from other locations of the same warehouse.
    reallocated = _reallocate(
        session, order, pick_list, line, allocation, product, warehouse, missing, actor
    )
    need = missing - reallocated
    # 4. What no location holds waits for stock: tell the customer and whoever subscribes.
    if need:
        _tell_short(session, order, warehouse, line, product, need)
    exception = PickException(
        pick_list_id=pick_list.id,
        line_id=line.id,
        order_id=order.id,
        warehouse_id=warehouse.id,
        sku=line.sku,
        location_code=line.location_code,
        asked=line.quantity,
        picked=line.picked_quantity,
        reallocated=reallocated,
        backordered=need,
        written_off=max(0, written_off),
        resolution="reallocated" if not need else ("backordered" if not reallocated else "partly"),
        picker=picker[:120],
        created_at=clock.now(),
    )
    session.add(exception)
    return exception


def _write_off_shelf(
    session: Session,
    pick_list: PickList,
    line: PickListLine,
    allocation: Allocation,
    warehouse: Warehouse,
    actor: str,
) -> int:
    """Write off what the ledger still shows free on the short-picked record; return it."""
    level = session.get(StockLevel, allocation.stock_level_id, populate_existing=True)
    assert level is not None
    written_off = level.on_hand - level.reserved
    if written_off > 0:
        inventory.adjust(
            session=session,
            warehouse_code=warehouse.code,
            location_code=line.location_code,
            sku=line.sku,
            delta=-written_off,
            reason=f"count discrepancy: short pick at {line.location_code} "
            f"(pick list {pick_list.id}, {line.picked_quantity}/{line.quantity} found)",
            actor=actor,
            lot=level.lot,
        )
    return written_off


def _reallocate(
    session: Session,
    order: Order,
    pick_list: PickList,
    line: PickListLine,
    allocation: Allocation,
    product: Product,
    warehouse: Warehouse,
    missing: int,
    actor: str,
) -> int:
    """Reserve up to ``missing`` units from the warehouse's other records, first to leave
    first, each a new line at the end of the pick list (and of its tour); return how many."""
    candidates, _ = inventory.sourcing_candidates(session=session, product_ids=[product.id])
    here = sorted(
        (
            c
            for c in candidates
            if c.warehouse_id == warehouse.id and c.stock_id != allocation.stock_level_id
        ),
        key=lambda c: (*c.removal_key(), c.stock_id),
    )
    last_sequence = max(ln.sequence for ln in pick_list.lines)
    last_tour = None
    if pick_list.tour_id is not None:
        last_tour = session.scalar(
            select(func.max(PickListLine.tour_sequence))
            .join(PickList, PickList.id == PickListLine.pick_list_id)
            .where(PickList.tour_id == pick_list.tour_id)
        )
    need = missing
    for candidate in here:
        if need == 0:
            break
        take = min(need, candidate.available)
        allocation_id = allocations.reserve_one(
            session=session,
            order=order,
            line_id=allocation.order_line_id,
            take=StockTake(candidate.stock_id, product.id, warehouse.id, take),
            actor=actor,
        )
        if allocation_id is None:
            continue  # taken meanwhile by a concurrent order
        last_sequence += 1
        if last_tour is not None:
            last_tour += 1
        session.add(
            PickListLine(
                pick_list_id=pick_list.id,
                allocation_id=allocation_id,
                sequence=last_sequence,
                location_code=candidate.location_code,
                sku=line.sku,
                quantity=take,
                picked_quantity=0,
                status=PickLineStatus.OPEN.value,
                tour_sequence=last_tour,
            )
        )
        need -= take
    return missing - need


def _tell_short(
    session: Session,
    order: Order,
    warehouse: Warehouse,
    line: PickListLine,
    product: Product,
    need: int,
) -> None:
    """Publish ``pick.short`` and tell the customer that ``need`` units wait for stock."""
    outbox.publish(
        session,
        "pick.short",
        {
            "order_id": order.id,
            "order": order.number,
            "warehouse_id": warehouse.id,
            "sku": line.sku,
            "quantity": need,
        },
    )
    timeline.notify_customer(
        session=session,
        order=order,
        topic="order.short_picked",
        context={"quantity": need, "product": product.name},
        extra={"sku": line.sku, "quantity": need},
    )


def record_mismatch(*, session: Session, mismatch: ScanMismatch) -> None:
    """Count a refused scan for its picker (its own transaction: the scan changed nothing)."""
    scan_row = mismatch.scan
    session.add(
        PickScan(
            line_id=scan_row.line_id,
            warehouse_id=scan_row.warehouse_id,
            picker=scan_row.picker,
            at=clock.now(),
            location=normalise_scan(scan_row.location)[:60],
            barcode=normalise_scan(scan_row.barcode)[:60],
            quantity=scan_row.quantity,
            outcome=scan_row.outcome,
        )
    )


def scan(
    db: Database,
    *,
    line_id: int,
    picker: str,
    location: str,
    barcode: str,
    quantity: int,
) -> ScanOutcome:
    """Run :func:`scan_task` in its own transaction; a mismatch is rolled back, then counted
    in a second transaction, then raised. Raises what :func:`scan_task` raises."""
    try:
        with db.transaction() as session:
            return scan_task(
                session=session,
                line_id=line_id,
                picker=picker,
                location=location,
                barcode=barcode,
                quantity=quantity,
            )
    except ScanMismatch as mismatch:
        with db.transaction() as session:
            record_mismatch(session=session, mismatch=mismatch)
        raise


def list_exceptions(
    *, session: Session, warehouse_code: str | None = None, limit: int = 50, offset: int = 0
) -> tuple[Sequence[PickException], int]:
    """Return one page of short-pick exceptions, newest first, and their total."""
    query = select(PickException)
    if warehouse_code is not None:
        warehouse = inventory.get_warehouse(session=session, code=warehouse_code)
        query = query.where(PickException.warehouse_id == warehouse.id)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(PickException.id.desc()).limit(limit).offset(offset)
    ).all()
    return rows, total


# --------------------------------------------------------------------------- metrics
