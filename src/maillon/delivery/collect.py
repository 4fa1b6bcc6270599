"""Click & collect beyond the reservation itself: the order it belongs to, expiry and the
hold that keeps a collect order off the warehouse floor.

A reservation (:func:`maillon.delivery.service.reserve_collect`) reserves the units in the
store. Orders do not carry their delivery option, so the link lives here:
:func:`link_order` attaches the order placed with the click & collect option to its
reservation (same SKUs and quantities). :func:`maillon.delivery.service.close_reservation`
ships the units out through the ledger when the customer collects them at the store (and
tells the customer of a linked order), or gives them back. Reservations nobody collected in
time are released by :func:`sweep_expired`, which claims each one with a conditional update
(``... WHERE status = 'active'``) in its own transaction before releasing its units, like
the checkout holds of :mod:`maillon.orders.holds`: two sweeps running at once release each
reservation exactly once.

:func:`collect_hold` is a SQL condition for :func:`maillon.orders.service.register_hold`
(:func:`install` registers it), so an order whose units wait in a store is kept off the
warehouse floor rather than picked a second time elsewhere.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import exists, select, update
from sqlalchemy.orm import Session

from maillon.core import clock, outbox
from maillon.core.db import Database
from maillon.core.errors import Conflict, FieldError, ValidationError
from maillon.delivery.service import LOCAL_TZ, get_reservation
from maillon.delivery.tables import CollectReservation
from maillon.inventory import service as inventory
from maillon.inventory.tables import Warehouse
from maillon.orders import service as orders
from maillon.orders.model import OPEN_STATUSES, OrderStatus
from maillon.orders.tables import Order

__all__ = [
    "HOLD_REASON",
    "SWEEP_ACTOR",
    "collect_hold",
    "install",
    "link_order",
    "reservation_of_order",
    "sweep_expired",
]

HOLD_REASON = "click_and_collect"
"""The reason to register :func:`collect_hold` under (``orders.register_hold``)."""

SWEEP_ACTOR = "system:collect-sweep"


def collect_hold() -> Any:
    """Return a SQL condition on :class:`Order`: true while an active click & collect
    reservation holds its units in a store."""
    return exists().where(
        CollectReservation.order_id == Order.id, CollectReservation.status == "active"
    )


def install() -> None:
    """Register :func:`collect_hold` with the orders package (call once from
    ``maillon.bootstrap``, like ``maillon.fraud.service.install``)."""
    orders.register_hold(HOLD_REASON, collect_hold, sets_units_aside=True)


def reservation_of_order(*, session: Session, order_id: int) -> CollectReservation | None:
    """Return the order's active reservation, if any."""
    return session.scalar(
        select(CollectReservation).where(
            CollectReservation.order_id == order_id, CollectReservation.status == "active"
        )
    )


def link_order(*, session: Session, token: str, number: str, actor: str) -> CollectReservation:
    """Attach the order placed with the click & collect option to its reservation.

    The order must be open and ask for exactly the reserved SKUs and quantities. Publishes
    ``delivery.collect_linked`` and tells the customer where and from when to collect.
    Raises NotFound (reservation, order), ValidationError naming ``order`` (lines differ),
    Conflict (reservation not active or linked to another order, order closed or already
    linked to another reservation).
    """
    row = get_reservation(session=session, token=token)
    order = orders.get_order_for_update(session=session, number=number)
    if row.status != "active":
        raise Conflict(f"reservation is {row.status}, not active")
    if row.order_id is not None:
        if row.order_id == order.id:
            return row
        raise Conflict("reservation is already linked to another order")
    if OrderStatus(order.status) not in OPEN_STATUSES:
        raise Conflict(f"order {order.number} is {order.status}")
    if order.status != OrderStatus.CONFIRMED.value:
        raise Conflict(
            f"order {order.number} is {order.status}: its units are already reserved elsewhere"
        )
    other = reservation_of_order(session=session, order_id=order.id)
    if other is not None:
        raise Conflict(f"order {order.number} is already linked to another reservation")
    reserved: dict[str, int] = {}
    for line in row.lines:
        reserved[line.sku] = reserved.get(line.sku, 0) + line.quantity
    wanted: dict[str, int] = {}
    for oline in order.lines:
        wanted[oline.sku] = wanted.get(oline.sku, 0) + oline.quantity
    if wanted != reserved:
        raise ValidationError(
            FieldError("order", f"order lines {wanted} must match the reservation {reserved}")
        )
    claimed = session.execute(
        update(CollectReservation)
        .execution_options(synchronize_session=False)
        .where(
            CollectReservation.id == row.id,
            CollectReservation.status == "active",
            CollectReservation.order_id.is_(None),
        )
        .values(order_id=order.id)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict("reservation changed meanwhile; try again")
    session.refresh(row)
    wh = session.get(Warehouse, row.warehouse_id)
    assert wh is not None  # a foreign key
    outbox.publish(
        session,
        "delivery.collect_linked",
        {"order_id": order.id, "order": order.number, "reservation": row.id, "store": wh.code},
    )
    ready = row.ready_at.astimezone(LOCAL_TZ)
    until = row.expires_at.astimezone(LOCAL_TZ)
    orders.notify_customer(
        session=session,
        order=order,
        topic="delivery.collect_linked",
        subject=f"Your order {order.number} waits for you at {wh.name}",
        message=f"Collect your order {order.number} at {wh.name}, {wh.postcode} {wh.city}, "
        f"from {ready:%A %d %B %H:%M} until {until:%A %d %B %H:%M}.",
        extra={"store": wh.code, "ready_at": row.ready_at.isoformat()},
    )
    return row


def _release(session: Session, row: CollectReservation) -> None:
    inventory.release_stock(
        session=session,
        units=[(line.stock_level_id, line.quantity) for line in row.lines],
        reference=f"collect:{row.id}",
        actor=SWEEP_ACTOR,
    )


def sweep_expired(db: Database, *, limit: int = 1000) -> int:
    """Release the active reservations past their expiry; return how many this call released.

    Safe to run concurrently: each reservation is claimed by a conditional update in its own
    transaction before its units go back to stock, so none is released twice. The customer of
    a linked order is told. Raises ValueError for ``limit`` < 1.
    """
    if limit < 1:
        raise ValueError("limit must be at least 1")
    now = clock.now()
    with db.reader() as session:
        ids = session.scalars(
            select(CollectReservation.id)
            .where(CollectReservation.status == "active", CollectReservation.expires_at <= now)
            .order_by(CollectReservation.expires_at, CollectReservation.id)
            .limit(limit)
        ).all()
    released = 0
    for reservation_id in ids:
        with db.transaction() as session:
            claimed = session.execute(
                update(CollectReservation)
                .execution_options(synchronize_session=False)
                .where(
                    CollectReservation.id == reservation_id,
                    CollectReservation.status == "active",
                    CollectReservation.expires_at <= now,
                )
                .values(status="expired", closed_at=clock.now())
            )
            if claimed.rowcount != 1:  # type: ignore[attr-defined]
                continue
            row = session.get(CollectReservation, reservation_id)
            assert row is not None
            session.refresh(row)
            _release(session, row)
            outbox.publish(
                session,
                "delivery.collect_expired",
                {"reservation": row.id, "order_id": row.order_id},
            )
            if row.order_id is not None:
                order = session.get(Order, row.order_id)
                if order is not None:
                    orders.notify_customer(
                        session=session,
                        order=order,
                        topic="delivery.collect_expired",
                        subject=f"Your click & collect order {order.number} was not collected",
                        message=f"The items of your order {order.number} were held for you "
                        "but not collected in time; they went back on sale.",
                    )
            released += 1
    return released
