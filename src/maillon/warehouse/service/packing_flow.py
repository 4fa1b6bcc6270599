"""Packing an order: the packer's scans, then closing the boxes (the order is packed).

:func:`packing_scan` tells the packer where each scanned unit goes in the pack plan fixed at
the first scan; :func:`finish_packing` is the one place an order becomes ``packed``, whether
its last unit was just scanned (the API and the console alike) or an operator packs it at once.
It closes the order's packing sessions, says what its parcels are, moves the order on and
publishes ``order.packed``, on which shipping records the shipments to label.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from maillon.catalog.tables import Product
from maillon.core import clock, outbox
from maillon.core.errors import Conflict, ErrorCollector, FieldError, NotFound, ValidationError
from maillon.inventory.tables import Warehouse
from maillon.orders import service as orders
from maillon.orders.model import AllocationStatus, OrderStatus, ensure_transition
from maillon.orders.service import timeline
from maillon.orders.tables import Allocation, Order, OrderLine
from maillon.warehouse.cartons import ShippingTariff, estimate_parcel
from maillon.warehouse.model import PackingStatus, PickListStatus
from maillon.warehouse.scanning import barcode_matches, normalise_scan
from maillon.warehouse.service import pick_lists_of
from maillon.warehouse.service.packstation import (
    FieldConflict,
    PackPlan,
    PlannedUnit,
    plan_units,
    units_to_pack,
)
from maillon.warehouse.tables import PackingScan, PackingSession, PickList

__all__ = [
    "ClosedParcel",
    "PackScanResult",
    "finish_packing",
    "packing_scan",
    "price_cartons_with",
]


@dataclass(frozen=True)
class ClosedParcel:
    """A closed parcel: gross weight and outer sizes, longest side first."""

    weight_g: int
    length_mm: int
    width_mm: int
    height_mm: int


TariffSource = Callable[[Session, Order], ShippingTariff | None]
_tariff_source: list[TariffSource] = []


def price_cartons_with(source: TariffSource) -> None:
    """Have cartons chosen at :func:`finish_packing` priced by ``source(session, order)``
    (shipping's cheapest home service for the order; None: the default tariff). Shipping sits
    above the warehouse, so the app's assembly installs it (``maillon.bootstrap``)."""
    _tariff_source[:] = [source]


def _tariff(session: Session, order: Order) -> ShippingTariff | None:
    return _tariff_source[0](session, order) if _tariff_source else None


@dataclass(frozen=True)
class PackScanResult:
    """Where the scanned unit goes: its parcel, carton and loading step, and what is left."""

    session_id: int
    order: str
    warehouse: str
    parcel: int
    carton: str
    unit: PlannedUnit
    earlier_steps_open: int
    parcel_units_left: int
    order_units_left: int
    done: bool
    parcels: int = 0
    """The order's parcels once this scan packed its last unit (it is ``packed`` then)."""


def _latest_session(session: Session, order: Order, warehouse_id: int) -> PackingSession | None:
    """The order's latest packing session in ``warehouse_id``: its plan is the one packed."""
    return session.scalar(
        select(PackingSession)
        .where(PackingSession.order_id == order.id, PackingSession.warehouse_id == warehouse_id)
        .order_by(PackingSession.id.desc())
        .limit(1)
    )


def _session_for(
    session: Session, order: Order, warehouse_id: int, warehouse_code: str, packer: str
) -> PackingSession:
    found = _latest_session(session, order, warehouse_id)
    if found is not None:
        return found
    lists = [
        p for p in pick_lists_of(session=session, order=order) if p.warehouse_id == warehouse_id
    ]
    if not lists or any(p.status != PickListStatus.DONE for p in lists):
        raise Conflict(
            f"order {order.number} cannot be packed in {warehouse_code} before its pick "
            "lists there are done"
        )
    units = units_to_pack(session=session, order=order).get(warehouse_id, {})
    plan = plan_units(
        session=session, order_number=order.number, warehouse_code=warehouse_code, units=units
    )
    row = PackingSession(
        order_id=order.id,
        warehouse_id=warehouse_id,
        status=PackingStatus.OPEN.value,
        plan=plan.to_dict(),
        packer=packer,
        created_at=clock.now(),
    )
    session.add(row)
    session.flush()
    return row


def packing_scan(
    *,
    session: Session,
    barcode: str,
    packer: str,
    number: str | None = None,
    pick_list_id: int | None = None,
) -> PackScanResult:
    """Tell the packer where the scanned unit goes, and record it.

    The order is named by ``number`` or by one of its pick lists (``pick_list_id``: the
    warehouse is then the list's). The first scan opens a packing session that keeps the
    order's pack plan fixed; each scan of a product fills its next open placement in loading
    order. Raises ValidationError (neither or both of order/pick list), NotFound, Conflict
    naming ``barcode`` for a product not in the order or already all packed, Conflict when
    picking is not finished or the order ships from several warehouses without a pick list
    named. The scan that packs the order's last unit closes its boxes
    (:func:`finish_packing`).
    """
    if (number is None) == (pick_list_id is None):
        raise ValidationError(FieldError("order", "give the order number or a pick_list id"))
    if not normalise_scan(barcode):
        raise ValidationError(FieldError("barcode", "is empty"))
    order, warehouse_id = _order_and_warehouse(session, number, pick_list_id)
    code = session.scalar(select(Warehouse.code).where(Warehouse.id == warehouse_id)) or ""
    row = _session_for(session, order, warehouse_id, code, packer)
    plan = PackPlan.from_dict(row.plan)
    flat = [(parcel, unit) for parcel in plan.parcels for unit in parcel.units]
    filled = set(
        session.scalars(select(PackingScan.placement).where(PackingScan.session_id == row.id))
    )
    index = _next_placement(flat, filled, barcode)
    parcel, unit = flat[index]
    session.add(
        PackingScan(session_id=row.id, placement=index, sku=unit.sku, packer=packer, at=clock.now())
    )
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:  # the same unit scanned at the same moment on another station
        raise Conflict("this unit was just packed by another scan: scan again") from None
    filled.add(index)
    in_parcel = [i for i, (p, _) in enumerate(flat) if p.number == parcel.number]
    done = len(filled) == len(flat)
    parcels = 0
    if done:
        row.status = PackingStatus.DONE.value
        row.completed_at = clock.now()
        parcels = _finish_if_packed(session, order, packer)
    return PackScanResult(
        session_id=row.id,
        order=order.number,
        warehouse=code,
        parcel=parcel.number,
        carton=parcel.carton,
        unit=unit,
        earlier_steps_open=sum(1 for i in in_parcel if i < index and i not in filled),
        parcel_units_left=sum(1 for i in in_parcel if i not in filled),
        order_units_left=len(flat) - len(filled),
        done=done,
        parcels=parcels,
    )


def _order_and_warehouse(
    session: Session, number: str | None, pick_list_id: int | None
) -> tuple[Order, int]:
    """The order being packed and the warehouse it is packed in: the named pick list's, else
    the order's only one. Raises NotFound, Conflict (no pick list), ValidationError (several
    warehouses and no pick list named)."""
    if pick_list_id is not None:
        pick_list = session.get(PickList, pick_list_id)
        if pick_list is None:
            raise NotFound("pick list", pick_list_id, field="pick_list")
        order = session.get(Order, pick_list.order_id)
        assert order is not None
        return order, pick_list.warehouse_id
    assert number is not None
    order = orders.get_order(session=session, number=number, field="order")
    ids = sorted({p.warehouse_id for p in pick_lists_of(session=session, order=order)})
    if not ids:
        raise Conflict(f"order {order.number} has no pick list: pick it before packing")
    if len(ids) > 1:
        raise ValidationError(
            FieldError("order", "ships from several warehouses: scan with its pick_list id")
        )
    return order, ids[0]


def _next_placement(flat: Sequence[tuple[Any, PlannedUnit]], filled: set[int], barcode: str) -> int:
    """The first open placement, in loading order, of the scanned product. Raises
    FieldConflict naming ``barcode`` for a product not in the plan or already all packed."""
    matching = [
        i
        for i, (_, unit) in enumerate(flat)
        if barcode_matches(barcode, gtin=unit.gtin, sku=unit.sku)
    ]
    if not matching:
        raise FieldConflict(
            "barcode", f"{normalise_scan(barcode)!r} is not a product of this order's pack plan"
        )
    open_ = [i for i in matching if i not in filled]
    if not open_:
        raise FieldConflict(
            "barcode",
            f"every unit of {flat[matching[0]][1].sku} ({len(matching)}) is already packed",
        )
    return open_[0]


# --------------------------------------------------------------------------- closing the boxes


def _check_declared(parcels: Sequence[ClosedParcel], warehouses: Sequence[int]) -> None:
    errors = ErrorCollector()
    if not parcels:
        errors.add("parcels", "give at least one parcel, or none to let Maillon estimate")
    if len(warehouses) > 1:
        errors.add(
            "parcels", "this order ships from several warehouses: let Maillon estimate its parcels"
        )
    for i, p in enumerate(parcels):
        for name in ("weight_g", "length_mm", "width_mm", "height_mm"):
            if getattr(p, name) <= 0:
                errors.add(f"parcels.{i}.{name}", "must be greater than 0")
    errors.raise_if_any()


def finish_packing(
    *, session: Session, number: str, parcels: Sequence[ClosedParcel] | None = None, actor: str
) -> dict[int, list[ClosedParcel]]:
    """Close the boxes of a picked order: it becomes ``packed``; return its parcels per
    warehouse id.

    Without ``parcels``, each warehouse's parcels are the cartons of its pack plan (the one
    the packer followed at the packing station, else the cheapest carton choice for the units
    picked, priced as :func:`price_cartons_with` says), and its packing session is closed;
    declared ``parcels`` are for orders that ship from one warehouse. Publishes
    ``order.packed`` (``{"order_id", "parcels": [[warehouse_id, weight_g, length_mm,
    width_mm, height_mm], ...]}``). Raises NotFound, InvalidTransition, Conflict if a pick list
    is not done, ValidationError naming ``parcels.N.*`` for bad sizes.
    """
    order = orders.get_order_for_update(session=session, number=number)
    ensure_transition(OrderStatus(order.status), OrderStatus.PACKED)
    pick_lists = pick_lists_of(session=session, order=order)
    if not pick_lists or any(p.status != PickListStatus.DONE for p in pick_lists):
        raise Conflict(f"order {order.number} cannot be packed before its pick lists are done")
    warehouses = sorted({p.warehouse_id for p in pick_lists})
    if parcels is not None:
        _check_declared(parcels, warehouses)
        by_warehouse = {warehouses[0]: list(parcels)}
    else:
        by_warehouse = _planned_parcels(session, order, warehouses, actor)
    count = sum(len(p) for p in by_warehouse.values())
    weight = sum(p.weight_g for ps in by_warehouse.values() for p in ps)
    timeline.transition(
        session=session,
        order=order,
        target=OrderStatus.PACKED,
        actor=actor,
        note=f"{count} parcel(s), {weight} g",
    )
    outbox.publish(
        session,
        "order.packed",
        {
            "order_id": order.id,
            "order": order.number,
            "actor": actor,
            "parcels": [
                [wh, p.weight_g, p.length_mm, p.width_mm, p.height_mm]
                for wh in warehouses
                for p in by_warehouse[wh]
            ],
        },
    )
    return by_warehouse


def _finish_if_packed(session: Session, order: Order, packer: str) -> int:
    """Once every warehouse of a picking order has packed its last unit, close the boxes;
    return the number of parcels then, else 0."""
    warehouses = {p.warehouse_id for p in pick_lists_of(session=session, order=order)}
    packed = set(
        session.scalars(
            select(PackingSession.warehouse_id).where(
                PackingSession.order_id == order.id, PackingSession.status == PackingStatus.DONE
            )
        )
    )
    if order.status != OrderStatus.PICKING.value or not warehouses <= packed:
        return 0
    closed = finish_packing(session=session, number=order.number, actor=packer)
    return sum(len(p) for p in closed.values())


def _estimated_parcel(rows: Sequence[Any]) -> ClosedParcel:
    items = [(int(r[0]), int(r[1]), int(r[2]), int(r[3]), int(r[4])) for r in rows]
    w, ln, wd, h = estimate_parcel(items)
    return ClosedParcel(w, ln, wd, h)


def _plan_of(
    session: Session, order: Order, wh: int, code: str, actor: str, units: dict[str, int]
) -> PackPlan:
    """The plan the packer followed in warehouse ``wh`` (its session closed now), else the
    carton choice for ``units``, recorded as a closed packing session."""
    now = clock.now()
    packing = _latest_session(session, order, wh)
    if packing is not None:
        plan = PackPlan.from_dict(packing.plan)
    else:
        plan = plan_units(
            session=session,
            order_number=order.number,
            warehouse_code=code,
            units=units,
            tariff=_tariff(session, order),
        )
        packing = PackingSession(
            order_id=order.id,
            warehouse_id=wh,
            status=PackingStatus.OPEN.value,
            plan=plan.to_dict(),
            packer=actor[:120],
            created_at=now,
        )
        session.add(packing)
    if packing.status != PackingStatus.DONE:
        packing.status, packing.completed_at = PackingStatus.DONE.value, now
    return plan


def _planned_parcels(
    session: Session, order: Order, warehouses: Sequence[int], actor: str
) -> dict[int, list[ClosedParcel]]:
    """Return the parcels of each warehouse from its carton plan (see :func:`_plan_of`).
    Units no carton takes travel in a box of their own, estimated from the product; a
    warehouse without units gets one estimated parcel."""
    codes = dict(
        session.execute(
            select(Warehouse.id, Warehouse.code).where(Warehouse.id.in_(list(warehouses)))
        ).all()
    )
    units = units_to_pack(session=session, order=order)
    by_warehouse: dict[int, list[ClosedParcel]] = {}
    for wh in warehouses:
        plan = _plan_of(session, order, wh, codes[wh], actor, units.get(wh, {}))
        parcels = [
            ClosedParcel(p.gross_weight_g, *sorted(p.outer_mm, reverse=True)) for p in plan.parcels
        ]
        if plan.unpackable:
            sizes = {
                r[0]: r[1:]
                for r in session.execute(
                    select(
                        Product.sku,
                        Product.weight_g,
                        Product.length_mm,
                        Product.width_mm,
                        Product.height_mm,
                    ).where(Product.sku.in_(set(plan.unpackable)))
                )
            }
            parcels += [_estimated_parcel([(1, *sizes[sku])]) for sku in plan.unpackable]
        if not parcels:
            parcels = [_estimated_parcel(_reserved_items(session, order, wh))]
        by_warehouse[wh] = parcels
    return by_warehouse


def _reserved_items(session: Session, order: Order, warehouse_id: int) -> Sequence[Any]:
    return session.execute(
        select(
            Allocation.quantity,
            Product.weight_g,
            Product.length_mm,
            Product.width_mm,
            Product.height_mm,
        )
        .join(OrderLine, OrderLine.id == Allocation.order_line_id)
        .join(Product, Product.id == OrderLine.product_id)
        .where(
            Allocation.order_id == order.id,
            Allocation.warehouse_id == warehouse_id,
            Allocation.status == AllocationStatus.RESERVED,
        )
    ).all()
