"""Warehouse use cases: layouts, pick lists for allocated orders and their confirmation,
slotting proposals and putaway suggestions."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from maillon.catalog.tables import Product
from maillon.core import clock
from maillon.core.errors import Conflict, FieldError, NotFound, ValidationError
from maillon.inventory import service as inventory
from maillon.inventory.tables import Location, StockLevel, Warehouse
from maillon.orders import service as orders
from maillon.orders.model import AllocationStatus, OrderStatus
from maillon.orders.service import allocation, timeline
from maillon.orders.tables import Allocation, Order, OrderLine
from maillon.warehouse import putaway, routing, slotting
from maillon.warehouse.cartons import ShippingTariff
from maillon.warehouse.layout_spec import LayoutSpec
from maillon.warehouse.model import PickLineStatus, PickListStatus, TourStatus
from maillon.warehouse.service import packstation
from maillon.warehouse.service.packstation import PackPlan
from maillon.warehouse.tables import PickList, PickListLine, PickTour, WarehouseLayout


def create_pick_lists(*, session: Session, number: str, actor: str) -> list[PickList]:
    """Issue the pick lists of an allocated order, one per warehouse, lines in location order;
    the order goes to picking. Raises NotFound, InvalidTransition unless allocated, Conflict
    while the order is on hold (e.g. waiting for a fraud review)."""
    order = orders.get_order_for_update(session=session, number=number)
    blocked = orders.block_reasons(session=session, order=order)
    if blocked:
        raise Conflict(f"order {order.number} is on hold ({', '.join(blocked)}): not picked yet")
    timeline.transition(session=session, order=order, target=OrderStatus.PICKING, actor=actor)
    allocations = [
        a
        for a in allocation.allocations_of(session=session, order=order)
        if a.status == AllocationStatus.RESERVED
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
        route_m = None
        spec = layout_of(session=session, warehouse_id=warehouse_id)
        if spec is not None:
            codes = [location_of[a.stock_level_id] for a in ordered]
            sequence, route_m = route_order(spec, codes)
            ordered = [ordered[i] for i in sequence]
        pick_list = PickList(
            order_id=order.id,
            warehouse_id=warehouse_id,
            status=PickListStatus.OPEN.value,
            route_m=route_m,
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


def route_order(spec: LayoutSpec, codes: Sequence[str]) -> tuple[list[int], float | None]:
    """Return the walking order of the stops at ``codes`` (indices) and the route's metres.

    Stops at codes the layout does not place come last, by code; the metres then count the
    placed stops only (None when none is placed).
    """
    placed = [(i, spec.locate(code)) for i, code in enumerate(codes)]
    located = [(i, loc) for i, loc in placed if loc is not None]
    unplaced = sorted((i for i, loc in placed if loc is None), key=lambda i: (codes[i], i))
    if not located:
        return unplaced, None
    problem = routing.PickingProblem(spec.layout(), tuple(loc for _, loc in located))
    result = routing.solve(problem, method="exact")
    return [located[k][0] for k in result.sequence] + unplaced, round(result.distance, 2)


def set_layout(
    *, session: Session, warehouse_code: str, data: Any, actor: str
) -> tuple[Warehouse, LayoutSpec]:
    """Validate and store the layout document of a warehouse (replacing any earlier one).

    Raises NotFound for the warehouse, ValidationError naming the bad field of the document.
    """
    warehouse = inventory.get_warehouse(session=session, code=warehouse_code)
    spec = LayoutSpec.parse(data)
    row = session.get(WarehouseLayout, warehouse.id)
    if row is None:
        row = WarehouseLayout(warehouse_id=warehouse.id)
        session.add(row)
    row.spec = spec.to_dict()
    row.updated_at = clock.now()
    row.updated_by = actor
    return warehouse, spec


def layout_of(*, session: Session, warehouse_id: int) -> LayoutSpec | None:
    """Return the stored layout of a warehouse, or None if it has none."""
    row = session.get(WarehouseLayout, warehouse_id)
    return None if row is None else LayoutSpec.parse(row.spec)


def require_layout(*, session: Session, warehouse_code: str) -> tuple[Warehouse, LayoutSpec]:
    """Return a warehouse and its layout. Raises NotFound (no warehouse or no layout yet)."""
    warehouse = inventory.get_warehouse(session=session, code=warehouse_code)
    spec = layout_of(session=session, warehouse_id=warehouse.id)
    if spec is None:
        raise NotFound("layout of warehouse", warehouse_code, field="warehouse")
    return warehouse, spec


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
        .where(PickList.order_id == order.id, PickList.status != PickListStatus.CANCELLED)
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

    Lines already confirmed by a scan (see :mod:`maillon.warehouse.service.tasks`) are kept as they
    are; short picks are refused here (the scan API handles them with an exception).
    Raises NotFound, Conflict if the list is not open, ValidationError naming a bad line.
    """
    pick_list = get_pick_list(session=session, pick_list_id=pick_list_id)
    if pick_list.status != PickListStatus.OPEN:
        raise Conflict(f"pick list {pick_list_id} is {pick_list.status}, not open")
    by_id = {line.id: line for line in pick_list.lines}
    if picked is not None:
        for line_id in picked:
            if line_id not in by_id:
                raise ValidationError(
                    FieldError(f"lines.{line_id}", "not a line of this pick list")
                )
    for line in pick_list.lines:
        if line.status != PickLineStatus.OPEN:
            continue  # already confirmed by a scan
        qty = line.quantity if picked is None else picked.get(line.id, 0)
        if qty != line.quantity:
            raise ValidationError(
                FieldError(
                    f"lines.{line.id}.quantity",
                    f"must be {line.quantity} (short picks "
                    "are not accepted: cancel or re-allocate the order)",
                )
            )
    now = clock.now()
    for line in pick_list.lines:
        if line.status == PickLineStatus.OPEN:
            line.picked_quantity = line.quantity
            line.status = PickLineStatus.DONE.value
            line.picked_at = now
            line.picked_by = actor[:120]
    pick_list.status = PickListStatus.DONE.value
    pick_list.picker = pick_list.picker or actor
    pick_list.completed_at = now
    if pick_list.tour_id is not None:
        session.flush()
        if not session.scalar(
            select(PickList.id).where(
                PickList.tour_id == pick_list.tour_id, PickList.status == PickListStatus.OPEN
            )
        ):
            tour = session.get(PickTour, pick_list.tour_id)
            if tour is not None:
                tour.status = TourStatus.DONE.value
    return pick_list


def on_order_cancelled(session: Session, payload: dict[str, Any]) -> None:
    """Cancel the open pick lists of a cancelled order (subscribed to ``order.cancelled``)."""
    for pick_list in session.scalars(
        select(PickList).where(
            PickList.order_id == payload["order_id"], PickList.status == PickListStatus.OPEN
        )
    ):
        pick_list.status = PickListStatus.CANCELLED.value


def open_pick_lists(*, session: Session, limit: int = 50) -> Sequence[PickList]:
    """Return open pick lists, oldest first."""
    return session.scalars(
        select(PickList)
        .where(PickList.status == PickListStatus.OPEN)
        .order_by(PickList.id)
        .limit(limit)
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


def _slots(spec: LayoutSpec) -> list[slotting.Slot]:
    """Every rack location of ``spec`` as a slot: zone, golden zone and capacity."""
    slots = []
    for code in spec.locations():
        location = spec.locate(code)
        assert location is not None  # every generated code is in the racks
        golden = not spec.golden_levels or spec.level_of(code) in spec.golden_levels
        slots.append(
            slotting.Slot(
                id=code,
                location=location,
                volume=spec.slot_volume_l,
                zone=spec.zone_of(code),
                ergonomic_class=0 if golden else 1,
            )
        )
    return slots


def _unit_litres(product: Product) -> float:
    return product.length_mm * product.width_mm * product.height_mm / 1_000_000


def pick_history(
    *, session: Session, warehouse_id: int, days: int, max_orders: int = 3000
) -> tuple[dict[int, int], list[tuple[int, ...]]]:
    """Return picks (order lines) per product over the last ``days`` days in a warehouse, and
    the most recent orders as tuples of product ids (for measuring routes)."""
    since = clock.now() - timedelta(days=days)
    rows = session.execute(
        select(Allocation.order_id, OrderLine.product_id)
        .join(OrderLine, OrderLine.id == Allocation.order_line_id)
        .join(Order, Order.id == Allocation.order_id)
        .where(Allocation.warehouse_id == warehouse_id, Order.created_at >= since)
        .order_by(Allocation.order_id.desc())
    ).all()
    picks: dict[int, int] = {}
    by_order: dict[int, set[int]] = {}
    for order_id, product_id in rows:
        picks[product_id] = picks.get(product_id, 0) + 1
        if len(by_order) < max_orders or order_id in by_order:
            by_order.setdefault(order_id, set()).add(product_id)
    return picks, [tuple(sorted(p)) for p in by_order.values()]


def _pick_faces(session: Session, warehouse_id: int) -> dict[int, list[tuple[str, int, str]]]:
    """Return, per product, its pick locations in a warehouse: (code, units on hand, lot)."""
    rows = session.execute(
        select(StockLevel.product_id, Location.code, StockLevel.on_hand, StockLevel.lot)
        .join(Location, Location.id == StockLevel.location_id)
        .where(
            StockLevel.warehouse_id == warehouse_id,
            Location.kind == "pick",
            StockLevel.on_hand > 0,
        )
    ).all()
    faces: dict[int, list[tuple[str, int, str]]] = {}
    for product_id, code, on_hand, lot in rows:
        faces.setdefault(product_id, []).append((code, on_hand, lot or ""))
    return faces


def slotting_proposal(
    *,
    session: Session,
    warehouse_code: str,
    method: str = "coi",
    max_moves: int | None = None,
    days: int = 90,
    time_limit: float = 10.0,
) -> slotting.SlottingResult:
    """Propose moves that put fast movers near the depot, from the last ``days`` of picks.

    A product's current slot is its largest pick face; the result's measured figures re-route
    the recent orders before and after. Raises NotFound (warehouse or layout),
    ValidationError naming ``method``.
    """
    if method not in slotting.METHODS:
        raise ValidationError(FieldError("method", f"use one of {', '.join(slotting.METHODS)}"))
    warehouse, spec = require_layout(session=session, warehouse_code=warehouse_code)
    picks, recent = pick_history(session=session, warehouse_id=warehouse.id, days=days)
    faces = _pick_faces(session, warehouse.id)
    product_ids = set(faces) | set(picks)
    products = {
        p.id: p for p in session.scalars(select(Product).where(Product.id.in_(product_ids)))
    }
    slots = _slots(spec)
    slot_ids = {s.id for s in slots}
    skus = []
    for pid in sorted(product_ids):
        here = sorted(faces.get(pid, []), key=lambda f: (-f[1], f[0]))
        current = next((code for code, _, _ in here if code in slot_ids), None)
        if current is None and not picks.get(pid):
            continue  # stock outside the racks and never picked: nothing to decide
        product = products[pid]
        skus.append(
            slotting.Sku(
                id=product.sku,
                picks=float(picks.get(pid, 0)),
                unit_cube=_unit_litres(product) if spec.slot_volume_l else 0.0,
                current=current,
            )
        )
    sku_of = {pid: products[pid].sku for pid in products}
    known = {s.id for s in skus}
    orders = tuple(tuple(sku_of[p] for p in order if sku_of.get(p) in known) for order in recent)
    problem = slotting.SlottingProblem(
        spec.layout(), tuple(slots), tuple(skus), orders=tuple(o for o in orders if o)
    )
    return slotting.solve(problem, method=method, max_moves=max_moves, time_limit=time_limit)


def putaway_suggestions(
    *,
    session: Session,
    warehouse_code: str,
    sku: str,
    quantity: int,
    lot: str | None = None,
    days: int = 90,
) -> putaway.PutawayResult:
    """Suggest where to put ``quantity`` received units of ``sku``: next to the same product
    (and lot) first, else an empty location of its velocity class. Raises NotFound (warehouse,
    layout or SKU), ValidationError naming ``quantity``."""
    if quantity < 1:
        raise ValidationError(FieldError("quantity", "must be at least 1"))
    warehouse, spec = require_layout(session=session, warehouse_code=warehouse_code)
    product = session.scalar(select(Product).where(Product.sku == sku))
    if product is None:
        raise NotFound("product", sku, field="sku")
    faces = _pick_faces(session, warehouse.id)
    products = {p.id: p for p in session.scalars(select(Product).where(Product.id.in_(set(faces))))}
    holdings: dict[str, list[putaway.Holding]] = {}
    for pid, here in faces.items():
        for code, units, held_lot in here:
            holdings.setdefault(code, []).append(
                putaway.Holding(
                    sku=products[pid].sku,
                    units=units,
                    lot=held_lot or None,
                    unit_cube=_unit_litres(products[pid]),
                    unit_weight=float(products[pid].weight_g),
                )
            )
    states = [putaway.SlotState(s, tuple(holdings.get(s.id, ()))) for s in _slots(spec)]
    picks, _ = pick_history(session=session, warehouse_id=warehouse.id, days=days)
    classes = slotting.abc_classes(
        [slotting.Sku(id=str(pid), picks=float(n)) for pid, n in picks.items()]
    )
    return putaway.suggest_putaway(
        layout=spec.layout(),
        sku=sku,
        quantity=quantity,
        unit_cube=_unit_litres(product),
        unit_weight=float(product.weight_g),
        slots_state=states,
        lot=lot,
        abc_class=classes.get(str(product.id), "C"),
    )


def pack_plan(
    *,
    session: Session,
    number: str,
    warehouse: str | None = None,
    tariff: ShippingTariff | None = None,
    time_limit: float = 0.0,
) -> list[PackPlan]:
    """Return the cartons (and where each unit goes) for an order, one plan per warehouse it
    ships from: cheapest carton cost + shipping cost on the chargeable weight, real 3D
    placement, several cartons when needed. ``tariff`` prices a parcel in cents by chargeable
    weight (shipping passes its carrier's; default ``packstation.DEFAULT_TARIFF``).
    See :func:`maillon.warehouse.service.packstation.pack_plan`. Raises NotFound."""
    return packstation.pack_plan(
        session=session, number=number, warehouse=warehouse, tariff=tariff, time_limit=time_limit
    )
