"""Prepaid return labels: a carrier's label for the customer to send items back.

:func:`create_return_label` asks ``gateway_for(carrier).create_return`` for one parcel from
the customer (the order's shipping address) to the warehouse. The carrier is the one named
(the merchant's return carrier) or else the carrier the order shipped with. The parcel gets
its own SSCC (extension digit :data:`RETURN_EXTENSION`, the serial the caller owns, e.g. the
RMA's id), so it never collides with an outgoing parcel (extension 0).

Errors: NotFound (``carrier``, ``warehouse``), Conflict (the order never shipped and no
carrier is named; the carrier sent no PDF), :class:`~maillon.shipping.carriers.Unsupported`
(a Conflict: the carrier offers no return labels), ValidationError (an address the carrier
refuses), :class:`~maillon.shipping.carriers.CarrierUnavailable` (try again later).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from maillon.core import clock
from maillon.core.errors import Conflict, NotFound
from maillon.core.identifiers import make_sscc
from maillon.inventory.tables import Warehouse
from maillon.orders.tables import Order
from maillon.shipping import service as shipping
from maillon.shipping.carriers import ShipmentRequest
from maillon.shipping.model import ShipmentStatus
from maillon.shipping.service import documents
from maillon.shipping.tables import Carrier, Shipment

__all__ = [
    "RETURN_EXTENSION",
    "RETURN_SERVICE",
    "IssuedReturnLabel",
    "create_return_label",
    "return_carrier_of",
]

RETURN_EXTENSION = 1
"""SSCC extension digit of return parcels (outgoing parcels use 0)."""

RETURN_SERVICE = "Return / Retour"
_DEFAULT_WEIGHT_G = 1000


@dataclass(frozen=True)
class IssuedReturnLabel:
    """A return label the carrier issued: its PDF (and ZPL when sent), tracking number, SSCC."""

    carrier: str
    carrier_name: str
    tracking_number: str
    sscc: str
    label_pdf: bytes
    label_zpl: bytes


def _shipped(session: Session, order: Order) -> list[Shipment]:
    return list(
        session.scalars(
            select(Shipment)
            .where(
                Shipment.order_id == order.id,
                Shipment.carrier_id.is_not(None),
                Shipment.status != ShipmentStatus.PACKED.value,
            )
            .order_by(Shipment.id)
        ).all()
    )


def return_carrier_of(*, session: Session, order: Order, carrier_code: str | None) -> Carrier:
    """Return the carrier of ``order``'s return: ``carrier_code`` when given, else the one it
    shipped with. Raises NotFound (``carrier``), Conflict when it never shipped."""
    if carrier_code:
        return shipping.get_carrier(session=session, code=carrier_code)
    shipped = _shipped(session, order)
    if not shipped or shipped[-1].carrier is None:
        raise Conflict(
            f"order {order.number} did not ship with a carrier: set a return carrier in the "
            "return settings"
        )
    return shipped[-1].carrier


def create_return_label(
    *,
    session: Session,
    order: Order,
    warehouse_code: str,
    serial: int,
    carrier_code: str | None = None,
) -> IssuedReturnLabel:
    """Issue a prepaid return label for ``order`` back to ``warehouse_code`` (the warehouse it
    shipped from when empty). See the module for the errors."""
    carrier = return_carrier_of(session=session, order=order, carrier_code=carrier_code)
    shipped = _shipped(session, order)
    warehouse = None
    if warehouse_code:
        warehouse = session.scalar(select(Warehouse).where(Warehouse.code == warehouse_code))
        if warehouse is None:
            raise NotFound("warehouse", warehouse_code, field="warehouse")
    elif shipped:
        warehouse = session.get(Warehouse, shipped[0].warehouse_id)
    if warehouse is None:
        raise Conflict(f"order {order.number} has no warehouse to send its return to")
    weight = sum(p.weight_g for x in shipped for p in x.parcels) or _DEFAULT_WEIGHT_G
    sscc = make_sscc(RETURN_EXTENSION, shipping.SSCC_COMPANY_PREFIX, serial)
    request = ShipmentRequest(
        sscc=sscc,
        service=RETURN_SERVICE,
        sender=documents.recipient_address(order),
        recipient=documents.sender_address(warehouse),
        weight_g=weight,
        ship_date=shipping.local_date(clock.now()),
        order_reference=order.number,
    )
    answer = shipping.gateway_for(carrier).create_return(request)
    if not answer.label_pdf:
        raise Conflict(
            f"carrier {carrier.code} sent the return label without a PDF: set its account's "
            "label format to pdf"
        )
    return IssuedReturnLabel(
        carrier=carrier.code,
        carrier_name=carrier.name,
        tracking_number=answer.tracking_number,
        sscc=sscc,
        label_pdf=answer.label_pdf,
        label_zpl=answer.label_zpl,
    )
