"""Wave release: allocated orders of a warehouse released together, batched into picker tours.

A wave takes the allocated orders waiting in a warehouse (earliest promise first, up to
``max_orders``, placed before the ``cutoff`` when one is given), issues their pick lists and
groups them into tours that fit the picker's cart (``cart_units``) with
:func:`maillon.warehouse.batching.solve` when the warehouse has a layout (the shortest route
over the whole batch orders the stops of a tour), or in promise order otherwise. A picker who
asks for work then receives a whole tour (see :mod:`maillon.warehouse.service.tasks`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from maillon.core import clock
from maillon.core.errors import Conflict, ErrorCollector, FieldError, NotFound, ValidationError
from maillon.inventory import service as inventory
from maillon.inventory.tables import Location, StockLevel, Warehouse
from maillon.orders import service as orders
from maillon.orders.model import AllocationStatus, OrderStatus, order_number
from maillon.orders.tables import Allocation, Order
from maillon.warehouse import batching, waves
from maillon.warehouse import service as warehouse_service
from maillon.warehouse.batching import BatchingProblem, BatchOrder
from maillon.warehouse.layout_spec import LayoutSpec
from maillon.warehouse.model import TourStatus, WaveStatus
from maillon.warehouse.tables import PickList, PickTour, PickWave

__all__ = [
    "SELECTIONS",
    "check_wave",
    "create_wave",
    "get_wave",
    "list_waves",
    "lists_of_wave",
    "warehouse_code",
]

MAX_CANDIDATES = 2000
SELECTIONS = ("promise", "density")


def _densest(
    session: Session,
    warehouse: Warehouse,
    candidates: Any,
    min_units: int,
    max_units: int,
    time_limit: float,
) -> list[tuple[int, int]]:
    """Return (order id, units) of the waiting orders whose units per aisle visited is
    highest with their total units within ``[min_units, max_units]``.

    Each reserved allocation is an item of its own, stocked in the aisle of its location, so
    a chosen order is served from exactly the places its stock is reserved at. Raises
    ValidationError (no layout), Conflict (no wave fits the bounds).
    """
    spec = warehouse_service.layout_of(session=session, warehouse_id=warehouse.id)
    if spec is None:
        raise ValidationError(
            FieldError("selection", "density needs the warehouse's layout (its aisles)")
        )
    order_ids = [r[0] for r in session.execute(candidates.limit(MAX_CANDIDATES)).all()]
    if not order_ids:
        return []
    reserved = session.execute(
        select(Allocation.order_id, Location.code, Allocation.quantity)
        .join(StockLevel, StockLevel.id == Allocation.stock_level_id)
        .join(Location, Location.id == StockLevel.location_id)
        .where(
            Allocation.order_id.in_(order_ids),
            Allocation.warehouse_id == warehouse.id,
            Allocation.status == AllocationStatus.RESERVED,
        )
        .order_by(Allocation.id)
    ).all()
    index = {order_id: k for k, order_id in enumerate(order_ids)}
    demand: list[dict[int, int]] = [{} for _ in order_ids]
    aisle_of: dict[object, int] = {}
    stock: list[dict[int, int]] = []
    for item, (order_id, code, quantity) in enumerate(reserved):
        place = spec.locate(code)
        key: object = place.aisle if place is not None else ("unmapped", code)
        if key not in aisle_of:
            aisle_of[key] = len(stock)
            stock.append({})
        demand[index[order_id]][item] = int(quantity)
        stock[aisle_of[key]][item] = int(quantity)
    keep = [k for k, d in enumerate(demand) if d]
    if not keep:
        return []
    problem = waves.WaveProblem.from_mappings(
        [demand[k] for k in keep], stock, n_items=len(reserved), lb=min_units, ub=max_units
    )
    result = waves.solve(problem, time_limit=time_limit, workers=1)
    if not result.feasible:
        raise Conflict(
            f"no wave of {min_units} to {max_units} units can be formed in {warehouse.code}"
        )
    return [(order_ids[keep[k]], sum(demand[keep[k]].values())) for k in sorted(result.orders)]


def _check_wave(
    max_orders: int,
    cart_units: int,
    method: str,
    selection: str,
    min_units: int,
    max_units: int | None,
) -> int:
    """Raise ValidationError for a bad wave argument; return the wave's upper unit bound."""
    errors = ErrorCollector()
    if not 1 <= max_orders <= 500:
        errors.add("max_orders", "must be from 1 to 500")
    if not 1 <= cart_units <= 10_000:
        errors.add("cart_units", "must be from 1 to 10000")
    if method not in batching.METHODS:
        errors.add("method", f"use one of {', '.join(batching.METHODS)}")
    if selection not in SELECTIONS:
        errors.add("selection", f"use one of {', '.join(SELECTIONS)}")
    upper = max_units if max_units is not None else 4 * cart_units
    if min_units < 0:
        errors.add("min_units", "must be 0 or more")
    if not 1 <= upper <= 100_000 or upper < min_units:
        errors.add("max_units", "must be from 1 to 100000 and at least min_units")
    errors.raise_if_any()
    return upper


def _waiting_orders(
    session: Session,
    warehouse: Warehouse,
    cutoff: datetime | None,
    selection: str,
    max_orders: int,
    min_units: int,
    upper: int,
    time_limit: float,
) -> Sequence[Any]:
    """Return (order id, units) of the allocated orders the wave takes, by ``selection``."""
    by_promise = _waiting(warehouse, cutoff)
    if selection == "density":
        rows = _densest(session, warehouse, by_promise, min_units, upper, time_limit)
    else:
        rows = session.execute(by_promise.limit(min(max_orders, MAX_CANDIDATES))).all()
    return rows


def _waiting(warehouse: Warehouse, cutoff: datetime | None) -> Any:
    """The query of (order id, units here) of the allocated orders waiting in ``warehouse``,
    the earliest promise first."""
    units_here = (
        select(Allocation.order_id, func.sum(Allocation.quantity).label("units"))
        .where(
            Allocation.warehouse_id == warehouse.id, Allocation.status == AllocationStatus.RESERVED
        )
        .group_by(Allocation.order_id)
        .subquery()
    )
    query = (
        select(Order.id, units_here.c.units)
        .join(units_here, units_here.c.order_id == Order.id)
        .where(Order.status == OrderStatus.ALLOCATED.value, orders.not_blocked())
    )
    if cutoff is not None:
        query = query.where(Order.created_at <= cutoff)
    return query.order_by(Order.promised_at.is_(None), Order.promised_at, Order.id)


def check_wave(
    *,
    session: Session,
    warehouse_code: str,
    max_orders: int = 20,
    cart_units: int = 40,
    cutoff: datetime | None = None,
    method: str = "savings",
    selection: str = "promise",
    min_units: int = 0,
    max_units: int | None = None,
) -> None:
    """Check a wave's arguments and that an order waits for it (reads only, no solving), so
    a request can refuse at once what :func:`create_wave` would. Raises like it."""
    upper = _check_wave(max_orders, cart_units, method, selection, min_units, max_units)
    warehouse = inventory.get_warehouse(session=session, code=warehouse_code)
    waiting = _waiting(warehouse, cutoff)
    if session.execute(waiting.limit(1)).first() is None:
        raise Conflict(f"no allocated order waits in {warehouse.code} for a wave")
    if selection == "density":  # all the units the solver may choose from fall short
        units = sum(u for _, u in session.execute(waiting.limit(MAX_CANDIDATES)))
        if units < min_units:
            raise Conflict(
                f"no wave of {min_units} to {upper} units can be formed in {warehouse.code}"
            )


def _add_tours(
    session: Session,
    wave: PickWave,
    lists: list[PickList],
    batches: Sequence[Sequence[int]],
    spec: LayoutSpec | None,
    now: datetime,
) -> None:
    """Add one picker tour per batch, its lines in walking order, and the wave's distance."""
    total = 0.0
    routed = False
    for batch in batches:
        members = [lists[i] for i in batch]
        lines = [line for p in members for line in p.lines]
        route_m = None
        if spec is not None:
            order, route_m = warehouse_service.route_order(spec, [ln.location_code for ln in lines])
            lines = [lines[i] for i in order]
        else:
            lines.sort(key=lambda ln: (ln.location_code, ln.id))
        tour = PickTour(
            wave_id=wave.id,
            warehouse_id=wave.warehouse_id,
            status=TourStatus.OPEN.value,
            picker="",
            route_m=route_m,
            created_at=now,
        )
        session.add(tour)
        session.flush()
        for p in members:
            p.tour_id = tour.id
        for k, line in enumerate(lines, start=1):
            line.tour_sequence = k
        if route_m is not None:
            total += route_m
            routed = True
    wave.route_m = round(total, 2) if routed else None


def create_wave(
    *,
    session: Session,
    warehouse_code: str,
    actor: str,
    max_orders: int = 20,
    cart_units: int = 40,
    cutoff: datetime | None = None,
    method: str = "savings",
    time_limit: float = 2.0,
    selection: str = "promise",
    min_units: int = 0,
    max_units: int | None = None,
    job_id: int | None = None,
) -> PickWave:
    """Release a wave of allocated orders in a warehouse as picker tours; return it
    (``job_id``: the worker tier's job that asked, kept on the wave).

    ``selection`` says which orders: ``"promise"`` takes the most urgent ``max_orders``;
    ``"density"`` chooses, among the waiting orders, the set whose units per aisle visited is
    highest with the wave's units within ``[min_units, max_units]`` (default ``max_units``:
    four carts), as the Mercado Libre SBPO challenge poses it (:mod:`maillon.warehouse.waves`,
    each reserved unit is stocked where it was reserved; the warehouse needs a layout).
    Raises ValidationError naming ``max_orders``, ``cart_units``, ``method``, ``selection``,
    ``min_units`` or ``max_units``, NotFound naming ``warehouse``, Conflict when no allocated
    order waits there or no wave fits the bounds.
    """
    upper = _check_wave(max_orders, cart_units, method, selection, min_units, max_units)
    warehouse = inventory.get_warehouse(session=session, code=warehouse_code)
    rows = _waiting_orders(
        session, warehouse, cutoff, selection, max_orders, min_units, upper, time_limit
    )
    if not rows:
        raise Conflict(f"no allocated order waits in {warehouse.code} for a wave")
    lists: list[PickList] = []
    for order_id, _units in rows:
        created = warehouse_service.create_pick_lists(
            session=session, number=order_number(order_id), actor=actor
        )
        lists.extend(p for p in created if p.warehouse_id == warehouse.id)
    spec = warehouse_service.layout_of(session=session, warehouse_id=warehouse.id)
    batches = _batches(lists, spec, cart_units, method, time_limit)
    now = clock.now()
    wave = PickWave(
        warehouse_id=warehouse.id,
        status=WaveStatus.RELEASED.value,
        cutoff=cutoff,
        method=method if spec is not None else "promise_order",
        max_orders=max_orders,
        cart_units=cart_units,
        orders=len(lists),
        created_at=now,
        created_by=actor,
        job_id=job_id,
    )
    session.add(wave)
    session.flush()
    _add_tours(session, wave, lists, batches, spec, now)
    session.flush()
    return wave


def _batches(
    lists: Sequence[PickList],
    spec: LayoutSpec | None,
    cart_units: int,
    method: str,
    time_limit: float,
) -> list[list[int]]:
    """Return the pick lists (indices) of each tour."""
    units = [sum(line.quantity for line in p.lines) for p in lists]
    if spec is None:
        batches: list[list[int]] = []
        for i, n in enumerate(units):
            if batches and sum(units[j] for j in batches[-1]) + n <= cart_units:
                batches[-1].append(i)
            else:
                batches.append([i])
        return batches
    alone: list[list[int]] = []
    batchable: list[int] = []
    orders: list[BatchOrder] = []
    for i, p in enumerate(lists):
        picks = [spec.locate(line.location_code) for line in p.lines]
        placed = tuple(loc for loc in picks if loc is not None)
        if not placed or units[i] > cart_units:
            alone.append([i])
            continue
        batchable.append(i)
        orders.append(BatchOrder(picks=placed, units=max(1, units[i]), ref=str(p.id)))
    if orders:
        problem = BatchingProblem(spec.layout(), tuple(orders), max_units=cart_units)
        result = batching.solve(problem, method=method, time_limit=time_limit)
        alone = [[batchable[k] for k in batch] for batch in result.batches] + alone
    return alone


def get_wave(*, session: Session, wave_id: int) -> PickWave:
    """Return the wave. Raises NotFound naming ``wave_id``."""
    wave = session.get(PickWave, wave_id)
    if wave is None:
        raise NotFound("wave", wave_id, field="wave_id")
    return wave


def warehouse_code(*, session: Session, wave: PickWave) -> str:
    """Return the code of the wave's warehouse."""
    return session.scalar(select(Warehouse.code).where(Warehouse.id == wave.warehouse_id)) or ""


def lists_of_wave(*, session: Session, wave: PickWave) -> dict[int, list[PickList]]:
    """Return the pick lists of each tour of ``wave``."""
    tour_ids = [t.id for t in wave.tours]
    out: dict[int, list[PickList]] = {t: [] for t in tour_ids}
    for p in session.scalars(
        select(PickList).where(PickList.tour_id.in_(tour_ids)).order_by(PickList.id)
    ):
        assert p.tour_id is not None
        out[p.tour_id].append(p)
    return out


def list_waves(
    *, session: Session, limit: int = 50, offset: int = 0
) -> tuple[Sequence[PickWave], int]:
    """Return one page of waves, newest first, and their total."""
    total = session.scalar(select(func.count()).select_from(PickWave)) or 0
    rows = session.scalars(
        select(PickWave).order_by(PickWave.id.desc()).limit(limit).offset(offset)
    ).all()
    return rows, total
