"""Read-only questions about shipments that pages ask: recent shipments, the late ones,
parcels handed over per carrier on a day, shipments packed and waiting for a carrier, the
shipments a customer ticket is about. Each takes a session and changes nothing."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from maillon.orders.tables import Order
from maillon.shipping.model import ShipmentStatus
from maillon.shipping.tables import Carrier, Parcel, Shipment


def recent_shipments(
    *, session: Session, carrier: str | None, status: str | None, limit: int, offset: int
) -> Sequence[Any]:
    """Return shipments newest first (of one carrier code, in one status when given) as rows
    ``(shipment, the order's delivery postal code)``."""
    query = (
        select(Shipment, Order.ship_postcode)
        .join(Order, Order.id == Shipment.order_id)
        .order_by(Shipment.id.desc())
    )
    if carrier:
        query = query.join(Carrier, Carrier.id == Shipment.carrier_id).where(
            Carrier.code == carrier
        )
    if status:
        query = query.where(Shipment.status == status)
    return session.execute(query.limit(limit).offset(offset)).all()


def late_shipments(*, session: Session, today: date, limit: int) -> Sequence[Any]:
    """Return the shipments in trouble, the oldest promise first, as rows ``(shipment, postal
    code)``: handed to a carrier, not delivered, and in a carrier exception, flagged as delayed
    or past their promised day."""
    return session.execute(
        select(Shipment, Order.ship_postcode)
        .join(Order, Order.id == Shipment.order_id)
        .where(
            Shipment.carrier_id.is_not(None),  # handed over (not the shipped_at index: slower)
            Shipment.delivered_at.is_(None),
            Shipment.status != ShipmentStatus.DELIVERED,
            or_(
                Shipment.status == ShipmentStatus.EXCEPTION,
                Shipment.delay_flagged_at.is_not(None),
                Shipment.promised_on < today,
            ),
        )
        .order_by(Shipment.promised_on, Shipment.id)
        .limit(limit)
    ).all()


def parcels_per_carrier(*, session: Session, start: datetime, end: datetime) -> dict[int, int]:
    """Return the parcels shipped in ``[start, end)`` per carrier id."""
    return {
        carrier_id: int(n)
        for carrier_id, n in session.execute(
            select(Shipment.carrier_id, func.count(Parcel.id))
            .join(Parcel, Parcel.shipment_id == Shipment.id)
            .where(Shipment.shipped_at >= start, Shipment.shipped_at < end)
            .group_by(Shipment.carrier_id)
        ).all()
    }


def packed_order_ids(*, session: Session, limit: int = 50) -> Sequence[int]:
    """Return the order ids of the latest shipments packed and waiting for a carrier."""
    return session.scalars(
        select(Shipment.order_id)
        .where(Shipment.status == ShipmentStatus.PACKED)
        .order_by(Shipment.id.desc())
        .limit(limit)
    ).all()


def shipments_about(
    *, session: Session, shipment_id: int | None, order_id: int | None, limit: int = 10
) -> Sequence[Shipment]:
    """Return the shipment of id ``shipment_id`` when given, else the shipments of the order
    ``order_id`` (none when neither is given)."""
    query = select(Shipment)
    if shipment_id is not None:
        query = query.where(Shipment.id == shipment_id)
    elif order_id is not None:
        query = query.where(Shipment.order_id == order_id)
    else:
        return []
    return session.scalars(query.order_by(Shipment.id).limit(limit)).all()
