"""Views that combine several packages (the API layer sits above all of them)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from maillon.orders import service
from maillon.orders.schemas import AddressIn, EventRead, LineRead, OrderRead, ParcelRead
from maillon.orders.tables import Order, OrderEvent
from maillon.shipping.service import shipments_of


def order_read(
    order: Order, events: list[OrderEvent] | None = None, parcels: list[ParcelRead] | None = None
) -> OrderRead:
    """Return the response model of ``order`` (lines, optional timeline and parcels)."""
    return OrderRead(
        number=order.number,
        channel=order.channel,
        external_id=order.external_id,
        status=order.status,
        customer_email=order.customer.email,
        customer_name=order.customer.name,
        shipping_address=AddressIn(
            name=order.ship_name,
            line1=order.ship_line1,
            line2=order.ship_line2,
            postcode=order.ship_postcode,
            city=order.ship_city,
            country=order.ship_country,
            phone=order.ship_phone,
        ),
        currency=order.currency,
        total_cents=order.total_cents,
        created_at=order.created_at,
        promised_at=order.promised_at,
        shipped_at=order.shipped_at,
        delivered_at=order.delivered_at,
        lines=[
            LineRead(
                line_no=line.line_no,
                sku=line.sku,
                name=line.name,
                quantity=line.quantity,
                unit_price_cents=line.unit_price_cents,
            )
            for line in order.lines
        ],
        timeline=[
            EventRead(
                at=e.at,
                from_status=e.from_status,
                to_status=e.to_status,
                actor=e.actor,
                note=e.note,
            )
            for e in events or []
        ],
        parcels=parcels or [],
    )


def full_order_read(session: Session, order: Order) -> OrderRead:
    """Return ``order`` with its timeline and parcels (parcels from the shipping package)."""
    shipments = shipments_of(session=session, order=order)
    parcels = [
        ParcelRead(
            sscc=p.sscc, tracking_number=p.tracking_number, weight_g=p.weight_g, status=p.status
        )
        for x in shipments
        for p in x.parcels
    ]
    return order_read(order, list(service.timeline(session=session, order=order)), parcels)
