"""Allocations: which stock records hold the units of an order's lines.

Units are taken and given back only through the inventory's owners
(:func:`~maillon.inventory.service.take_stock`, :func:`~maillon.inventory.service.release_stock`,
:func:`~maillon.inventory.service.ship_stock`), which hold the lock order and write the ledger;
this module is the one place that writes the :class:`~maillon.orders.tables.Allocation` rows
saying which order line holds them. Every path that reserves for an order (a new order, a
backorder served, a short pick re-allocated) goes through :func:`reserve_for_order`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from maillon.catalog.tables import Product
from maillon.core import clock
from maillon.core.db import insert_pending, insert_rows
from maillon.core.errors import ShortLine
from maillon.core.tables import OutboxMessage
from maillon.inventory import service as inventory
from maillon.inventory.model import StockCandidate, StockTake
from maillon.inventory.sourcing import SourcingPlan, SourcingPolicy, plan_sourcing
from maillon.orders.model import AllocationStatus, OrderStatus
from maillon.orders.service.timeline import (
    allocated_note,
    notify_backordered,
    notify_customer,
    record_event,
    short_note,
    transition,
)
from maillon.orders.tables import Allocation, Order, OrderEvent

MAX_ALLOCATION_ATTEMPTS = 5

LineTake = tuple[int, StockTake]
"""Units of one order line (its id) to take from one stock record."""

_ALLOCATIONS = Allocation.__table__
_INSERT_ONE = insert(_ALLOCATIONS).returning(_ALLOCATIONS.c.id)
"""Built once: it runs on every short pick re-allocated."""


@dataclass(frozen=True)
class AllocationOutcome:
    """What allocation achieved: fully allocated or not, units newly reserved, lines short."""

    order: Order
    allocated: bool
    short: tuple[ShortLine, ...]
    reserved_now: int = 0


def allocations_of(*, session: Session, order: Order) -> Sequence[Allocation]:
    """Return the order's allocations (every status), in id order."""
    return session.scalars(
        select(Allocation).where(Allocation.order_id == order.id).order_by(Allocation.id)
    ).all()


def remaining_by_line(*, session: Session, order: Order) -> dict[int, int]:
    """Return, per order line id, the units not yet reserved or shipped."""
    taken: dict[int, int] = {}
    for alloc in allocations_of(session=session, order=order):
        if alloc.status in (AllocationStatus.RESERVED, AllocationStatus.SHIPPED):
            taken[alloc.order_line_id] = taken.get(alloc.order_line_id, 0) + alloc.quantity
    return {line.id: line.quantity - taken.get(line.id, 0) for line in order.lines}


def _row(order: Order, line_id: int, take: StockTake) -> dict[str, Any]:
    return {
        "order_id": order.id,
        "order_line_id": line_id,
        "stock_level_id": take.stock_id,
        "warehouse_id": take.warehouse_id,
        "quantity": take.quantity,
        "status": AllocationStatus.RESERVED.value,
    }


def record_allocations(*, session: Session, order: Order, takes: Sequence[LineTake]) -> None:
    """Write the allocations of units already reserved for ``order`` (taken by
    :func:`reserve_for_order`, or held at checkout and now changing hands), in one statement.
    Only ``stock_id``, ``warehouse_id`` and ``quantity`` of each take are read."""
    insert_rows(session, _ALLOCATIONS, [_row(order, line_id, take) for line_id, take in takes])


def reserve_for_order(
    *,
    session: Session,
    order: Order,
    takes: Sequence[LineTake],
    actor: str,
    partial: bool = False,
) -> list[bool]:
    """Take the units of ``takes`` for ``order`` and record who holds them; return, per take,
    whether it was taken (always, unless ``partial``).

    All or nothing by default (see :func:`~maillon.inventory.service.take_stock`): the
    allocations are written first and the stock taken last; raises StockTaken when a unit is
    gone (roll the transaction back). With ``partial`` a take that lost its units is skipped.
    """
    stock = [take for _, take in takes]
    if not partial:
        record_allocations(session=session, order=order, takes=takes)
        return inventory.take_stock(
            session=session, takes=stock, reference=order.number, actor=actor
        )
    taken = inventory.take_stock(
        session=session, takes=stock, reference=order.number, actor=actor, partial=True
    )
    record_allocations(
        session=session, order=order, takes=[t for t, ok in zip(takes, taken, strict=True) if ok]
    )
    return taken


def reserve_one(
    *, session: Session, order: Order, line_id: int, take: StockTake, actor: str
) -> int | None:
    """Take one record's units for an order line if they are still there (see
    :func:`reserve_for_order`, ``partial``); return the new allocation's id, None if not."""
    (taken,) = inventory.take_stock(
        session=session, takes=[take], reference=order.number, actor=actor, partial=True
    )
    if not taken:
        return None
    return int(session.execute(_INSERT_ONE, _row(order, line_id, take)).scalar_one())


def give_back(
    *, session: Session, order: Order, units: Sequence[tuple[Allocation, int]], actor: str
) -> int:
    """Return ``n`` units of each ``(allocation, n)`` to stock; an allocation given back whole
    is ``released``, else it keeps the rest. Returns the units given back. Raises Conflict if
    an allocation is not reserved or holds fewer units."""
    inventory.release_stock(
        session=session,
        units=[(alloc.stock_level_id, n) for alloc, n in units],
        reference=order.number,
        actor=actor,
    )
    for alloc, n in units:
        if n >= alloc.quantity:
            alloc.status = AllocationStatus.RELEASED.value
        else:
            alloc.quantity -= n
    return sum(n for _, n in units)


def _reserved(session: Session, order: Order) -> list[Allocation]:
    return [
        alloc
        for alloc in allocations_of(session=session, order=order)
        if alloc.status == AllocationStatus.RESERVED
    ]


def release_allocations(*, session: Session, order: Order, actor: str) -> int:
    """Release every reserved allocation of ``order``; return the units released."""
    units = [(alloc, alloc.quantity) for alloc in _reserved(session, order)]
    return give_back(session=session, order=order, units=units, actor=actor)


def ship_allocations(*, session: Session, order: Order, actor: str) -> int:
    """Take every reserved unit of ``order`` out of stock (it leaves the building); return
    the units shipped."""
    reserved = _reserved(session, order)
    inventory.ship_stock(
        session=session,
        units=[(alloc.stock_level_id, alloc.quantity) for alloc in reserved],
        reference=order.number,
        actor=actor,
    )
    for alloc in reserved:
        alloc.status = AllocationStatus.SHIPPED.value
    return sum(alloc.quantity for alloc in reserved)


def reserve_planned(
    session: Session,
    order: Order,
    plan: SourcingPlan,
    products: dict[str, Product],
    short_units: dict[str, int],
    actor: str,
) -> None:
    """Record the planned reservations of a new order, then take the units (all or nothing,
    the conditional updates last). Raises StockTaken if a unit is gone meanwhile."""
    lines = order.lines
    takes = [
        (
            lines[t.line_index].id,
            StockTake(t.stock_id, products[lines[t.line_index].sku].id, t.warehouse_id, t.quantity),
        )
        for t in plan.takes
    ]
    if short_units:
        note = short_note(short_units)
        record_event(session, order, OrderStatus.CONFIRMED.value, order.status, actor, note)
        notify_backordered(session=session, order=order, short_units=short_units)
    else:
        reserved = sum(t.quantity for t in plan.takes)
        note = allocated_note(reserved, len({t.warehouse_id for t in plan.takes}))
        record_event(session, order, OrderStatus.CONFIRMED.value, order.status, actor, note)
    # the order's pending rows first: the stock rows stay locked only for the commit
    insert_pending(session, OrderEvent, OutboxMessage)
    reserve_for_order(session=session, order=order, takes=takes, actor=actor)


def _plan(
    session: Session,
    order: Order,
    remaining: dict[int, int],
    existing: set[int],
    policy: SourcingPolicy,
) -> tuple[list[LineTake], list[StockCandidate]]:
    """Plan the ``remaining`` units per line on the stock available now."""
    by_id = {line.id: line for line in order.lines}
    open_lines = [by_id[i] for i, q in remaining.items() if q > 0]
    if not open_lines:
        return [], []
    candidates, sites = inventory.sourcing_candidates(
        session=session, product_ids=[line.product_id for line in open_lines]
    )
    if policy.ship_complete and existing:
        candidates = [c for c in candidates if c.warehouse_id in existing]
    if not candidates:
        return [], candidates
    plan = plan_sourcing(
        [(line.sku, remaining[line.id]) for line in open_lines],
        candidates,
        sites,
        policy,
        customer_lat=order.ship_lat,
        customer_lon=order.ship_lon,
    )
    takes = []
    for t in plan.takes:
        line = open_lines[t.line_index]
        takes.append((line.id, StockTake(t.stock_id, line.product_id, t.warehouse_id, t.quantity)))
    return takes, candidates


def allocate_lines(
    session: Session,
    order: Order,
    current: OrderStatus,
    remaining: dict[int, int],
    existing: set[int],
    policy: SourcingPolicy | None,
    actor: str,
) -> AllocationOutcome:
    """Reserve ``remaining`` units per line of ``order`` as far as stock allows, from the
    warehouses ``existing`` first for a ship-complete order, and move it on (allocated, or
    backordered holding what it has). A record emptied by a concurrent order since planning is
    planned around (up to :data:`MAX_ALLOCATION_ATTEMPTS` plans)."""
    policy = policy or SourcingPolicy()
    if order.ship_complete and not policy.ship_complete:
        policy = replace(policy, ship_complete=True)
    taken: dict[int, int] = {}  # units taken now per stock record
    candidates: list[StockCandidate] = []
    for _attempt in range(MAX_ALLOCATION_ATTEMPTS):
        takes, candidates = _plan(session, order, remaining, existing, policy)
        if not takes:
            break
        got = reserve_for_order(
            session=session, order=order, takes=takes, actor=actor, partial=True
        )
        for (line_id, take), ok in zip(takes, got, strict=True):
            if ok:
                remaining[line_id] -= take.quantity
                existing.add(take.warehouse_id)
                taken[take.stock_id] = taken.get(take.stock_id, 0) + take.quantity
        if all(got):
            break
    reserved_now = sum(taken.values())
    if existing:
        order.warehouse_id = min(existing)
    by_id = {line.id: line for line in order.lines}
    short_units: dict[str, int] = {}
    for line_id, q in remaining.items():
        if q > 0:
            short_units[by_id[line_id].sku] = short_units.get(by_id[line_id].sku, 0) + q
    if not short_units:
        _allocated(session, order, current, reserved_now, len(existing), actor)
        return AllocationOutcome(order, True, (), reserved_now)
    short = _short_lines(order, short_units, candidates, taken)
    if current is OrderStatus.CONFIRMED or reserved_now:
        transition(
            session=session,
            order=order,
            target=OrderStatus.BACKORDERED,
            actor=actor,
            note=short_note(short_units),
        )
    if current is OrderStatus.CONFIRMED:
        notify_backordered(session=session, order=order, short_units=short_units)
    return AllocationOutcome(order, False, short, reserved_now)


def _allocated(
    session: Session,
    order: Order,
    current: OrderStatus,
    reserved_now: int,
    warehouses: int,
    actor: str,
) -> None:
    order.allocated_at = clock.now()
    transition(
        session=session,
        order=order,
        target=OrderStatus.ALLOCATED,
        actor=actor,
        note=allocated_note(reserved_now, warehouses),
    )
    if current is OrderStatus.BACKORDERED:
        notify_customer(
            session=session,
            order=order,
            topic="order.backorder_released",
        )


def _short_lines(
    order: Order,
    short_units: dict[str, int],
    candidates: Sequence[StockCandidate],
    taken: dict[int, int],
) -> tuple[ShortLine, ...]:
    """The lines left short, with what is left of the stock read last (an estimate for the
    message: not re-read)."""
    available: dict[str, int] = {}
    for c in candidates:
        left = max(0, c.available - taken.get(c.stock_id, 0))
        available[c.sku] = available.get(c.sku, 0) + left
    return tuple(
        ShortLine(
            sku, sum(ln.quantity for ln in order.lines if ln.sku == sku), available.get(sku, 0)
        )
        for sku in short_units
    )


__all__ = [
    "MAX_ALLOCATION_ATTEMPTS",
    "AllocationOutcome",
    "LineTake",
    "allocate_lines",
    "allocations_of",
    "give_back",
    "record_allocations",
    "release_allocations",
    "remaining_by_line",
    "reserve_for_order",
    "reserve_one",
    "reserve_planned",
    "ship_allocations",
]
