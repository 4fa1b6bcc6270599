"""Shipping use cases: carriers, packing an order into parcels, shipping, tracking events,
delivery and the public tracking view."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from maillon.catalog.tables import Product
from maillon.core import clock
from maillon.core.errors import (
    Conflict,
    DuplicateError,
    ErrorCollector,
    FieldError,
    NotFound,
    ValidationError,
)
from maillon.core.identifiers import make_sscc
from maillon.inventory import service as inventory
from maillon.orders import service as orders
from maillon.orders.model import OrderStatus, ensure_transition
from maillon.orders.tables import Allocation, Order, OrderLine
from maillon.shipping.model import TrackingStatus, estimate_parcel, latest_status
from maillon.shipping.tables import Carrier, Parcel, Shipment, TrackingEvent
from maillon.warehouse import service as warehouse

SSCC_COMPANY_PREFIX = "3760000"  # replace with the merchant's GS1 company prefix


def create_carrier(
    *, session: Session, code: str, name: str, tracking_prefix: str = "MA", tracking_url: str = ""
) -> Carrier:
    """Add a carrier. Raises ValidationError for a bad code, DuplicateError if taken."""
    errors = ErrorCollector()
    if not code or not code.replace("_", "").replace("-", "").isalnum() or len(code) > 30:
        errors.add("code", "1-30 letters, digits, - or _")
    if not name.strip():
        errors.add("name", "is required")
    if not tracking_prefix.isalnum() or len(tracking_prefix) > 6:
        errors.add("tracking_prefix", "1-6 letters or digits")
    errors.raise_if_any()
    if session.scalar(select(Carrier.id).where(Carrier.code == code)) is not None:
        raise DuplicateError("carrier", "code", code)
    carrier = Carrier(
        code=code,
        name=name.strip(),
        tracking_prefix=tracking_prefix.upper(),
        tracking_url=tracking_url,
    )
    session.add(carrier)
    session.flush()
    return carrier


def get_carrier(*, session: Session, code: str, field: str = "carrier") -> Carrier:
    """Return the carrier with ``code``. Raises NotFound naming ``field``."""
    carrier = session.scalar(select(Carrier).where(Carrier.code == code))
    if carrier is None:
        raise NotFound("carrier", code, field=field)
    return carrier


def list_carriers(*, session: Session) -> Sequence[Carrier]:
    """Return every carrier by code."""
    return session.scalars(select(Carrier).order_by(Carrier.code)).all()


@dataclass(frozen=True)
class ParcelSpec:
    """A parcel as declared by the packer: weight in grams, outer size in millimetres."""

    weight_g: int
    length_mm: int
    width_mm: int
    height_mm: int


def shipments_of(*, session: Session, order: Order) -> Sequence[Shipment]:
    """Return the order's shipments (one per warehouse it ships from), in id order."""
    return session.scalars(
        select(Shipment).where(Shipment.order_id == order.id).order_by(Shipment.id)
    ).all()


def pack_order(
    *, session: Session, number: str, parcels: list[ParcelSpec] | None, actor: str
) -> list[Shipment]:
    """Pack a picked order: one shipment per warehouse, each parcel with an SSCC; -> packed.

    Without ``parcels``, one parcel per warehouse is estimated from the products; declared
    ``parcels`` are for orders that ship from one warehouse. Raises NotFound,
    InvalidTransition, Conflict if a pick list is not done, ValidationError for bad sizes.
    """
    order = orders.get_order_for_update(session=session, number=number)
    ensure_transition(OrderStatus(order.status), OrderStatus.PACKED)
    pick_lists = warehouse.pick_lists_of(session=session, order=order)
    if not pick_lists or any(p.status != "done" for p in pick_lists):
        raise Conflict(f"order {order.number} cannot be packed before its pick lists are done")
    warehouses = sorted({p.warehouse_id for p in pick_lists})
    if parcels is not None:
        errors = ErrorCollector()
        if not parcels:
            errors.add("parcels", "give at least one parcel, or none to let Maillon estimate")
        if len(warehouses) > 1:
            errors.add(
                "parcels",
                "this order ships from several warehouses: let Maillon estimate its parcels",
            )
        for i, p in enumerate(parcels):
            for name in ("weight_g", "length_mm", "width_mm", "height_mm"):
                if getattr(p, name) <= 0:
                    errors.add(f"parcels.{i}.{name}", "must be greater than 0")
        errors.raise_if_any()
    by_warehouse: dict[int, list[ParcelSpec]] = {}
    if parcels is not None:
        by_warehouse[warehouses[0]] = parcels
    else:
        rows = session.execute(
            select(
                Allocation.warehouse_id,
                Allocation.quantity,
                Product.weight_g,
                Product.length_mm,
                Product.width_mm,
                Product.height_mm,
            )
            .join(OrderLine, OrderLine.id == Allocation.order_line_id)
            .join(Product, Product.id == OrderLine.product_id)
            .where(Allocation.order_id == order.id, Allocation.status == "reserved")
        ).all()
        for wh in warehouses:
            items = [tuple(r[1:]) for r in rows if r[0] == wh]
            w, ln, wd, h = estimate_parcel(items)  # type: ignore[arg-type]
            by_warehouse[wh] = [ParcelSpec(w, ln, wd, h)]
    shipments = []
    for wh in warehouses:
        shipment = Shipment(
            order_id=order.id,
            warehouse_id=wh,
            status="packed",
            packed_at=clock.now(),
            parcels=[
                Parcel(
                    weight_g=p.weight_g,
                    length_mm=p.length_mm,
                    width_mm=p.width_mm,
                    height_mm=p.height_mm,
                    status="label_created",
                )
                for p in by_warehouse[wh]
            ],
        )
        session.add(shipment)
        shipments.append(shipment)
    session.flush()
    for shipment in shipments:
        for parcel in shipment.parcels:
            parcel.sscc = make_sscc(0, SSCC_COMPANY_PREFIX, parcel.id)
    count = sum(len(s.parcels) for s in shipments)
    weight = sum(p.weight_g for s in shipments for p in s.parcels)
    orders.transition(
        session=session,
        order=order,
        target=OrderStatus.PACKED,
        actor=actor,
        note=f"{count} parcel(s), {weight} g",
    )
    return shipments


def ship_order(*, session: Session, number: str, carrier_code: str, actor: str) -> list[Shipment]:
    """Hand a packed order to ``carrier_code``: tracking numbers, stock out, customer told.

    Raises NotFound (order or carrier), InvalidTransition unless packed.
    """
    carrier = get_carrier(session=session, code=carrier_code)
    order = orders.get_order_for_update(session=session, number=number)
    ensure_transition(OrderStatus(order.status), OrderStatus.SHIPPED)
    shipments = [x for x in shipments_of(session=session, order=order) if x.status == "packed"]
    now = clock.now()
    for alloc in orders.allocations_of(session=session, order=order):
        if alloc.status == "reserved":
            inventory.ship(
                session=session,
                stock_id=alloc.stock_level_id,
                quantity=alloc.quantity,
                reference=order.number,
                actor=actor,
            )
            alloc.status = "shipped"
    for shipment in shipments:
        shipment.carrier_id = carrier.id
        shipment.status = "shipped"
        shipment.shipped_at = now
        for parcel in shipment.parcels:
            parcel.tracking_number = f"{carrier.tracking_prefix}{parcel.id:011d}FR"
    order.shipped_at = now
    numbers = ", ".join(p.tracking_number or "" for x in shipments for p in x.parcels)
    promise = f" Expected by {order.promised_at:%d/%m/%Y}." if order.promised_at else ""
    orders.transition(
        session=session,
        order=order,
        target=OrderStatus.SHIPPED,
        actor=actor,
        note=f"{carrier.name}: {numbers}",
    )
    orders.notify_customer(
        session=session,
        order=order,
        topic="order.shipped",
        subject=f"Your order {order.number} is on its way",
        message=f"Your order {order.number} left our warehouse with {carrier.name}. "
        f"Tracking: {numbers}.{promise}",
        extra={"tracking": numbers},
    )
    return shipments


@dataclass(frozen=True)
class TrackingInput:
    """A carrier event as received (after mapping to our status model)."""

    carrier: str
    event_id: str
    tracking_number: str
    status: str
    occurred_at: datetime
    location: str = ""
    description: str = ""


def record_tracking_event(
    *, session: Session, event: TrackingInput, actor: str
) -> tuple[TrackingEvent, bool]:
    """Store a carrier event once; return it and whether it was new.

    Replays (same carrier and event id) change nothing. Events may come out of order: the
    parcel's status is the latest by event time. When every parcel is delivered the order
    becomes delivered. Raises ValidationError (status), NotFound (carrier, tracking number).
    """
    try:
        status = TrackingStatus(event.status)
    except ValueError:
        allowed = ", ".join(s.value for s in TrackingStatus)
        raise ValidationError(
            FieldError("status", f"unknown status; use one of {allowed}")
        ) from None
    if not event.event_id.strip():
        raise ValidationError(FieldError("event_id", "is required"))
    carrier = get_carrier(session=session, code=event.carrier)
    existing = session.scalar(
        select(TrackingEvent).where(
            TrackingEvent.carrier_id == carrier.id, TrackingEvent.event_id == event.event_id
        )
    )
    if existing is not None:
        return existing, False
    parcel = session.scalar(select(Parcel).where(Parcel.tracking_number == event.tracking_number))
    if parcel is None:
        raise NotFound("parcel", event.tracking_number, field="tracking_number")
    row = TrackingEvent(
        carrier_id=carrier.id,
        event_id=event.event_id,
        parcel_id=parcel.id,
        status=status.value,
        occurred_at=event.occurred_at,
        received_at=clock.now(),
        location=event.location[:120],
        description=event.description[:300],
    )
    session.add(row)
    session.flush()
    history = session.execute(
        select(TrackingEvent.occurred_at, TrackingEvent.status).where(
            TrackingEvent.parcel_id == parcel.id
        )
    ).all()
    parcel.status = (
        latest_status([(clock.as_utc(at), TrackingStatus(s)) for at, s in history]) or status
    ).value
    shipment = session.get(Shipment, parcel.shipment_id)
    assert shipment is not None
    if all(p.status == TrackingStatus.DELIVERED.value for p in shipment.parcels):
        if shipment.status != "delivered":
            shipment.status = "delivered"
            shipment.delivered_at = event.occurred_at
            order = orders.get_order_for_update(session=session, number=str(shipment.order_id))
            every = shipments_of(session=session, order=order)
            if order.status == OrderStatus.SHIPPED.value and all(
                x.status == "delivered" for x in every
            ):
                order.delivered_at = max(
                    clock.as_utc(x.delivered_at) for x in every if x.delivered_at is not None
                )
                orders.transition(
                    session=session,
                    order=order,
                    target=OrderStatus.DELIVERED,
                    actor=actor,
                    note=f"{carrier.name} event {event.event_id}",
                )
                orders.notify_customer(
                    session=session,
                    order=order,
                    topic="order.delivered",
                    subject=f"Your order {order.number} was delivered",
                    message=f"Your order {order.number} was delivered. Tell us if anything "
                    "is wrong.",
                )
    elif status is TrackingStatus.EXCEPTION:
        shipment.status = "exception"
    return row, True


def mark_delivered(*, session: Session, number: str, actor: str) -> Order:
    """Record delivery of every parcel of a shipped order (e.g. proof of delivery by hand).

    Raises NotFound, Conflict if the order has no shipped parcels.
    """
    order = orders.get_order(session=session, number=number)
    shipped = [x for x in shipments_of(session=session, order=order) if x.carrier is not None]
    if not shipped:
        raise Conflict(f"order {order.number} has not shipped")
    for shipment, parcel in ((x, p) for x in shipped for p in x.parcels):
        assert shipment.carrier is not None
        record_tracking_event(
            session=session,
            event=TrackingInput(
                carrier=shipment.carrier.code,
                event_id=f"manual-{parcel.id}-delivered",
                tracking_number=parcel.tracking_number or "",
                status=TrackingStatus.DELIVERED.value,
                occurred_at=clock.now(),
                description="delivery confirmed by operator",
            ),
            actor=actor,
        )
    return order


def tracking_events_of(
    *, session: Session, shipments: Sequence[Shipment]
) -> Sequence[TrackingEvent]:
    """Return the tracking events of ``shipments``' parcels by event time."""
    return session.scalars(
        select(TrackingEvent)
        .where(TrackingEvent.parcel_id.in_([p.id for x in shipments for p in x.parcels]))
        .order_by(TrackingEvent.occurred_at, TrackingEvent.id)
    ).all()


def public_tracking(*, session: Session, tracking_number: str, postcode: str) -> dict[str, Any]:
    """Return what anyone holding a tracking number and the delivery postcode may see.

    Only the parcel status, its events and the promised date: nothing about the customer.
    Raises NotFound (the same for an unknown number and a wrong postcode).
    """
    parcel = session.scalar(select(Parcel).where(Parcel.tracking_number == tracking_number.strip()))
    order = None
    if parcel is not None:
        shipment = session.get(Shipment, parcel.shipment_id)
        order = session.get(Order, shipment.order_id) if shipment else None
    if (
        parcel is None
        or order is None
        or order.ship_postcode.replace(" ", "").upper() != postcode.replace(" ", "").upper()
    ):
        raise NotFound("parcel", tracking_number, field="tracking_number")
    events = session.scalars(
        select(TrackingEvent)
        .where(TrackingEvent.parcel_id == parcel.id)
        .order_by(TrackingEvent.occurred_at, TrackingEvent.id)
    ).all()
    return {
        "tracking_number": parcel.tracking_number,
        "status": parcel.status,
        "promised": order.promised_at,
        "events": [
            {
                "at": e.occurred_at,
                "status": e.status,
                "location": e.location,
                "description": e.description,
            }
            for e in events
        ],
    }
