"""The API's answer about an order: its lines, timeline and parcels.

The parcels belong to shipping, a package above orders: it says how to list them through
:func:`show_parcels_with`, installed when the app is assembled (``maillon.bootstrap``), so
the orders package never imports it."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from maillon.orders import service
from maillon.orders.schemas import EventRead, LineRead, OrderRead, ParcelRead, ShippingAddressRead
from maillon.orders.tables import Order, OrderEvent

ParcelsOf = Callable[[Session, Order], list[ParcelRead]]
_parcels_of: list[ParcelsOf] = []


def show_parcels_with(reader: ParcelsOf) -> None:
    """Have :func:`full_order_read` list an order's parcels with ``reader(session, order)``."""
    _parcels_of[:] = [reader]


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
        shipping_address=ShippingAddressRead(
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
    """Return ``order`` with its timeline and parcels (listed as :func:`show_parcels_with`
    says; none before the app is assembled)."""
    parcels = _parcels_of[0](session, order) if _parcels_of else []
    return order_read(order, list(service.timeline(session=session, order=order)), parcels)
