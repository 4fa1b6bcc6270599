"""Click & collect: stores, reservations, the order a reservation belongs to, expiry and
the hold that keeps a collect order off the warehouse floor.

:func:`set_store` makes a warehouse a click & collect store; a reservation
(:func:`reserve_collect`) reserves the units in the store. Orders do not carry their
delivery option, so the link lives here: :func:`link_order` attaches the order placed with
the click & collect option to its reservation (same SKUs and quantities).
:func:`close_reservation` ships the units out through the ledger when the customer collects
them at the store (and tells the customer of a linked order), or gives them back.
Reservations nobody collected in time are released by :func:`sweep_expired`, which claims
each one with a conditional update (``... WHERE status = 'active'``) in its own transaction
before releasing its units, like the checkout holds of :mod:`maillon.orders.service.holds`: two
sweeps running at once release each reservation exactly once.

:func:`collect_block` is a SQL condition for :func:`maillon.orders.service.register_floor_block`
(:func:`install` registers it), so an order whose units wait in a store is kept off the
warehouse floor rather than picked a second time elsewhere.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Sequence
from typing import Any

from sqlalchemy import exists, insert, select, update
from sqlalchemy.orm import Session

from maillon.catalog.service import products_by_sku
from maillon.core import clock, mail, outbox
from maillon.core.db import Database
from maillon.core.errors import (
    Conflict,
    ErrorCollector,
    FieldError,
    InsufficientStock,
    NotFound,
    ShortLine,
    StockTaken,
    ValidationError,
)
from maillon.delivery.model import CollectStatus
from maillon.delivery.service import LOCAL_TZ, store_stock, wanted_by_sku
from maillon.delivery.tables import CollectReservation, CollectReservationLine, CollectStore
from maillon.inventory import service as inventory
from maillon.inventory.model import StockTake
from maillon.inventory.tables import Warehouse
from maillon.orders import service as orders
from maillon.orders.model import OPEN_STATUSES, OrderStatus
from maillon.orders.service import timeline
from maillon.orders.tables import Order

__all__ = [
    "BLOCK_REASON",
    "SWEEP_ACTOR",
    "close_reservation",
    "collect_block",
    "get_reservation",
    "install",
    "link_order",
    "list_stores",
    "on_order_cancelled",
    "reservation_of_order",
    "reserve_collect",
    "set_store",
    "sweep_expired",
]

BLOCK_REASON = "click_and_collect"
"""The reason to register :func:`collect_block` under (``orders.register_floor_block``)."""

SWEEP_ACTOR = "system:collect-sweep"


def collect_block() -> Any:
    """Return a SQL condition on :class:`Order`: true while an active click & collect
    reservation holds its units in a store."""
    return exists().where(
        CollectReservation.order_id == Order.id, CollectReservation.status == CollectStatus.ACTIVE
    )


def install() -> None:
    """Register :func:`collect_block` with the orders package (call once from
    ``maillon.bootstrap``, like ``maillon.fraud.service.install``)."""
    orders.register_floor_block(BLOCK_REASON, collect_block, sets_units_aside=True)


def reservation_of_order(*, session: Session, order_id: int) -> CollectReservation | None:
    """Return the order's active reservation, if any."""
    return session.scalar(
        select(CollectReservation).where(
            CollectReservation.order_id == order_id,
            CollectReservation.status == CollectStatus.ACTIVE,
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
    if row.status != CollectStatus.ACTIVE:
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
            CollectReservation.status == CollectStatus.ACTIVE,
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
    timeline.notify_customer(
        session=session,
        order=order,
        topic="delivery.collect_linked",
        context={
            "store": wh.name,
            "address": f"{wh.postcode} {wh.city}",
            "ready": ready,
            "until": until,
        },
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
            .where(
                CollectReservation.status == CollectStatus.ACTIVE,
                CollectReservation.expires_at <= now,
            )
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
                    CollectReservation.status == CollectStatus.ACTIVE,
                    CollectReservation.expires_at <= now,
                )
                .values(status=CollectStatus.EXPIRED.value, closed_at=clock.now())
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
                    timeline.notify_customer(
                        session=session,
                        order=order,
                        topic="delivery.collect_expired",
                    )
            released += 1
    return released


# ----------------------------------------------------------------- stores and reservations


def set_store(
    *,
    session: Session,
    warehouse_code: str,
    opening_hours: str = "",
    ready_after_hours: int = 2,
    hold_days: int = 3,
    active: bool = True,
) -> tuple[CollectStore, Warehouse]:
    """Mark a warehouse as a click & collect store (or update it). Raises NotFound,
    ValidationError naming ``ready_after_hours`` or ``hold_days``."""
    errors = ErrorCollector()
    if not 0 <= ready_after_hours <= 240:
        errors.add("ready_after_hours", "must be between 0 and 240")
    if not 1 <= hold_days <= 30:
        errors.add("hold_days", "must be between 1 and 30")
    errors.raise_if_any()
    wh = inventory.get_warehouse(session=session, code=warehouse_code, field="code")
    store = session.get(CollectStore, wh.id)
    if store is None:
        store = CollectStore(warehouse_id=wh.id)
        session.add(store)
    store.opening_hours = opening_hours.strip()[:200]
    store.ready_after_hours = ready_after_hours
    store.hold_days = hold_days
    store.active = active
    store.updated_at = clock.now()
    session.flush()
    return store, wh


def list_stores(*, session: Session) -> list[tuple[CollectStore, Warehouse]]:
    """Return every click & collect store with its warehouse, by code."""
    rows = session.execute(
        select(CollectStore, Warehouse)
        .join(Warehouse, Warehouse.id == CollectStore.warehouse_id)
        .order_by(Warehouse.code)
    ).all()
    return [(s, w) for s, w in rows]


def _check_reservation(lines: Sequence[tuple[str, int]], email: str) -> None:
    """Raise ValidationError for an empty cart, a quantity below 1 or a malformed e-mail."""
    errors = ErrorCollector()
    if not lines:
        errors.add("lines", "at least one line")
    for i, (_sku, qty) in enumerate(lines):
        if qty <= 0:
            errors.add(f"lines.{i}.quantity", "must be greater than 0")
    if "@" not in email or len(email) > 320:
        errors.add("email", "is not an e-mail address")
    errors.raise_if_any()


def _active_store(session: Session, store_code: str) -> tuple[Warehouse, CollectStore]:
    """Return an active click & collect store and its warehouse. Raises NotFound."""
    wh = inventory.get_warehouse(session=session, code=store_code, field="store")
    store = session.get(CollectStore, wh.id)
    if store is None or not store.active:
        raise NotFound("click & collect store", store_code, field="store")
    return wh, store


def _store_takes(
    session: Session, wh: Warehouse, lines: Sequence[tuple[str, int]]
) -> list[tuple[int, str, int]]:
    """Return (stock row, SKU, units) to take in the store, in removal order.

    Raises InsufficientStock when the store cannot cover the cart."""
    _, candidates = store_stock(session, lines)
    here = sorted((c for c in candidates if c.warehouse_id == wh.id), key=lambda c: c.removal_key())
    takes: list[tuple[int, str, int]] = []
    short = []
    for sku, qty in wanted_by_sku(lines).items():
        left = qty
        for c in here:
            if c.sku == sku and left > 0:
                n = min(left, c.available)
                takes.append((c.stock_id, sku, n))
                left -= n
        if left:
            short.append(ShortLine(sku, qty, qty - left))
    if short:
        raise InsufficientStock(short)
    return takes


def _tell_reserved(
    session: Session, reservation: CollectReservation, wh: Warehouse, store: CollectStore
) -> None:
    """Queue the e-mail telling the customer where and when to collect the items."""
    ready_local = reservation.ready_at.astimezone(LOCAL_TZ)
    street = f"{wh.address_line}, " if wh.address_line else ""
    outbox.notify(
        session,
        topic="delivery.collect_reserved",
        locale=mail.choose_locale(shop=outbox.shop_locale(), country=wh.country),
        recipient=reservation.email,
        context={
            "customer_name": reservation.name or "",
            "store": wh.name,
            "address": f"{street}{wh.postcode} {wh.city}",
            "ready": ready_local,
            "opening_hours": store.opening_hours or "",
            "hold_days": store.hold_days,
        },
        payload={"reservation": reservation.token, "store": wh.code},
    )


def reserve_collect(
    *,
    session: Session,
    store_code: str,
    lines: Sequence[tuple[str, int]],
    email: str,
    name: str = "",
    reference: str = "",
    actor: str = "checkout",
) -> CollectReservation:
    """Reserve every unit of ``lines`` in a store for a customer who will collect them.

    Raises NotFound (store), ValidationError naming ``lines.N.sku``, ``lines.N.quantity`` or
    ``email``, InsufficientStock when the store cannot cover the cart (nothing is reserved).
    """
    _check_reservation(lines, email)
    wh, store = _active_store(session, store_code)
    errors = ErrorCollector()
    products = products_by_sku(session=session, skus=[s for s, _ in lines])
    for i, (sku, _qty) in enumerate(lines):
        if sku not in products:
            errors.add(f"lines.{i}.sku", f"unknown SKU {sku!r}")
    errors.raise_if_any()
    takes = _store_takes(session, wh, lines)
    now = clock.now()
    reservation = CollectReservation(
        token=secrets.token_hex(18),  # no leading "-": safe as a CLI argument
        warehouse_id=wh.id,
        email=email.strip().lower(),
        name=name.strip()[:200],
        reference=reference[:100],
        status=CollectStatus.ACTIVE.value,
        created_at=now,
        ready_at=now + dt.timedelta(hours=store.ready_after_hours),
        expires_at=now + dt.timedelta(hours=store.ready_after_hours, days=store.hold_days),
    )
    session.add(reservation)
    session.flush()
    session.execute(
        insert(CollectReservationLine),
        [
            {
                "reservation_id": reservation.id,
                "stock_level_id": stock_id,
                "sku": sku,
                "quantity": n,
            }
            for stock_id, sku, n in takes
        ],
    )
    try:
        inventory.take_stock(
            session=session,
            takes=[StockTake(i, products[sku].id, wh.id, n) for i, sku, n in takes],
            reference=f"collect:{reservation.id}",
            actor=actor,
        )
    except StockTaken:
        raise Conflict("stock changed while reserving; try again") from None
    _tell_reserved(session, reservation, wh, store)
    session.flush()
    session.refresh(reservation)
    return reservation


def get_reservation(*, session: Session, token: str) -> CollectReservation:
    """Return a click & collect reservation. Raises NotFound."""
    row = session.scalar(select(CollectReservation).where(CollectReservation.token == token))
    if row is None:
        raise NotFound("collect reservation", token, field="token")
    return row


def close_reservation(
    *, session: Session, token: str, collected: bool, actor: str
) -> CollectReservation:
    """Close an active reservation: ``collected`` ships the units out of the store (ledger
    movements ``collect:<id>``), otherwise they go back to stock. For a reservation linked to
    an order (:func:`maillon.delivery.service.collect.link_order`), publishes ``delivery.collected``
    or ``delivery.collect_released`` with the order's id, and tells the customer of a
    collection. Raises NotFound, Conflict if it is not active."""
    row = get_reservation(session=session, token=token)
    status = (CollectStatus.COLLECTED if collected else CollectStatus.RELEASED).value
    claimed = session.execute(
        update(CollectReservation)
        .execution_options(synchronize_session=False)
        .where(CollectReservation.id == row.id, CollectReservation.status == CollectStatus.ACTIVE)
        .values(status=status, closed_at=clock.now())
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict(f"reservation is {row.status}, not active")
    move = inventory.ship_stock if collected else inventory.release_stock
    move(
        session=session,
        units=[(line.stock_level_id, line.quantity) for line in row.lines],
        reference=f"collect:{row.id}",
        actor=actor,
    )
    session.refresh(row)
    if row.order_id is not None:
        outbox.publish(
            session,
            "delivery.collected" if collected else "delivery.collect_released",
            {"reservation": row.id, "order_id": row.order_id, "actor": actor},
        )
        order = session.get(Order, row.order_id)
        if collected and order is not None:
            timeline.notify_customer(
                session=session,
                order=order,
                topic="delivery.collected",
            )
    return row


def on_order_cancelled(session: Session, payload: dict[str, Any]) -> None:
    """Give back the click & collect units of a cancelled order (subscribed to
    ``order.cancelled``, after :func:`maillon.delivery.service.on_order_cancelled`)."""
    reservation = session.scalar(
        select(CollectReservation).where(
            CollectReservation.order_id == payload["order_id"],
            CollectReservation.status == CollectStatus.ACTIVE,
        )
    )
    if reservation is not None:
        close_reservation(
            session=session, token=reservation.token, collected=False, actor="system:cancel"
        )
