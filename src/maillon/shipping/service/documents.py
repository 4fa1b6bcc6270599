"""Shipping documents from the database: parcel labels and daily carrier manifests.

* Labels: the document the carrier gateway returned when the parcel shipped (stored in
  ``shipping_labels``); a parcel without one (shipped before labels were kept) gets our own
  10x15 cm label (:func:`maillon.shipping.labels.render_label`) from its data. A shipment's
  labels come as one PDF, a page per parcel.
* Manifests: the parcels handed to one carrier on one local (Europe/Paris) day, optionally
  from one warehouse, as CSV or PDF (:mod:`maillon.shipping.manifest`).

Also the label data builders :func:`sender_address`, :func:`recipient_address` and
:func:`shipment_request` that shipping uses to ask a gateway for a label.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from maillon.core.errors import Conflict, FieldError, NotFound, ValidationError
from maillon.inventory.tables import Warehouse
from maillon.orders.choice import HOME, DeliveryChoice, RelayPointChoice
from maillon.orders.model import AllocationStatus
from maillon.orders.service import choices
from maillon.orders.tables import Allocation, Order
from maillon.shipping import manifest as manifests
from maillon.shipping.carriers import CreatedShipment, ShipmentRequest
from maillon.shipping.labels import Address, LabelData, render_label, render_labels
from maillon.shipping.promise import PARIS_TZ
from maillon.shipping.service.history import local_day_bounds
from maillon.shipping.service.quoting import card_for
from maillon.shipping.slips import SlipData, SlipLine
from maillon.shipping.tables import Carrier, Parcel, Shipment, ShippingLabel
from maillon.shipping.zpl import ZPL_MEDIA_TYPE

__all__ = [
    "FORMATS",
    "label_data",
    "manifest_document",
    "manifest_of",
    "parcel_label",
    "recipient_address",
    "relay_address",
    "sender_address",
    "service_name",
    "shipment_labels",
    "shipment_request",
    "slip_data",
    "stored_label",
]

FORMATS = {"csv": "text/csv; charset=utf-8", "pdf": "application/pdf"}


def _fit(text: str, fallback: str = "-") -> str:
    """Return ``text`` as a label field: no control characters, single spaces, 70 chars."""
    clean = "".join(" " if unicodedata.category(c) == "Cc" else c for c in text or "")
    clean = " ".join(clean.split())[:70].strip()
    return clean or fallback


def sender_address(warehouse: Warehouse) -> Address:
    """Return the warehouse as the label's sender."""
    return Address(
        name=_fit(warehouse.name, warehouse.code),
        lines=(_fit(warehouse.address_line, warehouse.name),),
        postcode=_fit(warehouse.postcode, ""),
        city=_fit(warehouse.city, warehouse.code),
        country=(warehouse.country or "FR").upper(),
    )


def recipient_address(order: Order) -> Address:
    """Return the order's shipping address as the label's recipient."""
    lines = [_fit(order.ship_line1)]
    if order.ship_line2.strip():
        lines.append(_fit(order.ship_line2))
    return Address(
        name=_fit(order.ship_name),
        lines=tuple(lines),
        postcode=_fit(order.ship_postcode, ""),
        city=_fit(order.ship_city),
        country=(order.ship_country or "FR").upper(),
        phone=_fit(order.ship_phone, "") or None,
    )


def relay_address(order: Order, relay: RelayPointChoice) -> Address:
    """Return the relay point as the label's recipient, the customer named as addressee."""
    return Address(
        name=_fit(order.ship_name),
        lines=(_fit(relay.name), _fit(relay.address)),
        postcode=_fit(relay.postcode, ""),
        city=_fit(relay.city),
        country=(relay.country or "FR").upper(),
        phone=_fit(order.ship_phone, "") or None,
    )


def shipment_request(
    *,
    parcel: Parcel,
    number: int,
    count: int,
    order: Order,
    warehouse: Warehouse,
    service_name: str,
    ship_date: dt.date,
    delivery: DeliveryChoice = HOME,
    service_code: str = "",
) -> ShipmentRequest:
    """Return what a carrier gateway needs to register ``parcel`` (n of ``count``): for a
    relay-point delivery, addressed to the point (the customer as addressee) with its id.
    ``service_code`` is what the carrier's connector maps to its product; ``service_name``
    is printed on our own label."""
    assert parcel.sscc is not None
    relay = delivery.relay_point
    return ShipmentRequest(
        sscc=parcel.sscc,
        service=service_code or _fit(service_name, ""),
        service_name=_fit(service_name, ""),
        sender=sender_address(warehouse),
        recipient=recipient_address(order) if relay is None else relay_address(order, relay),
        relay_point=relay.point_id if relay is not None else None,
        weight_g=parcel.weight_g,
        ship_date=ship_date,
        parcel_number=number,
        parcel_count=count,
        order_reference=order.number,
    )


def service_name(carrier_code: str, service_code: str | None) -> str:
    """Return the rate card's name of a carrier's service (its code when the card lacks it)."""
    if not service_code:
        return ""
    card = card_for(carrier_code)
    if card is None:
        return service_code
    try:
        return card.service(service_code).name
    except KeyError:
        return service_code


def stored_label(parcel_id: int, answer: CreatedShipment, now: datetime) -> ShippingLabel:
    """Return the label row of a parcel from what the carrier sent: its PDF as the document
    (its ZPL when it sent only that), and its ZPL beside it for thermal printers."""
    zpl = answer.label_zpl or None
    if answer.label_pdf:
        return ShippingLabel(
            parcel_id=parcel_id,
            media_type="application/pdf",
            content=answer.label_pdf,
            zpl_content=zpl,
            created_at=now,
        )
    return ShippingLabel(
        parcel_id=parcel_id,
        media_type=ZPL_MEDIA_TYPE,
        content=answer.label_zpl,
        zpl_content=zpl,
        created_at=now,
    )


def label_data(*, session: Session, shipment: Shipment, parcel: Parcel) -> LabelData:
    """Return our label of a shipped ``parcel`` of ``shipment`` (what we print without a
    carrier document)."""
    return _label_data(session, shipment, parcel)


def slip_data(*, session: Session, shipment: Shipment) -> SlipData:
    """Return the packing slip of a shipment: the order lines its warehouse sends (every line
    of the order when no allocation says where units come from)."""
    order = session.get(Order, shipment.order_id)
    warehouse = session.get(Warehouse, shipment.warehouse_id)
    assert order is not None and warehouse is not None
    sent: dict[int, int] = {}
    for line_id, quantity in session.execute(
        select(Allocation.order_line_id, Allocation.quantity).where(
            Allocation.order_id == order.id,
            Allocation.warehouse_id == shipment.warehouse_id,
            Allocation.status != AllocationStatus.RELEASED.value,
        )
    ):
        sent[line_id] = sent.get(line_id, 0) + quantity
    lines = [
        SlipLine(line.sku, line.name, sent.get(line.id, line.quantity if not sent else 0))
        for line in order.lines
    ]
    return SlipData(
        order_number=order.number,
        ordered_on=order.created_at.astimezone(ZoneInfo(PARIS_TZ)).date(),
        sender=sender_address(warehouse),
        recipient=recipient_address(order),
        lines=tuple(x for x in lines if x.quantity > 0) or tuple(lines),
        carrier=shipment.carrier.name if shipment.carrier is not None else "",
        tracking_numbers=tuple(p.tracking_number for p in shipment.parcels if p.tracking_number),
    )


def _label_data(session: Session, shipment: Shipment, parcel: Parcel) -> LabelData:
    order = session.get(Order, shipment.order_id)
    warehouse = session.get(Warehouse, shipment.warehouse_id)
    assert order is not None and warehouse is not None and shipment.carrier is not None
    assert parcel.tracking_number is not None and shipment.shipped_at is not None
    number = [p.id for p in shipment.parcels].index(parcel.id) + 1

    request = shipment_request(
        parcel=parcel,
        number=number,
        count=len(shipment.parcels),
        order=order,
        warehouse=warehouse,
        service_name=service_name(shipment.carrier.code, shipment.service_code),
        ship_date=shipment.shipped_at.astimezone(ZoneInfo(PARIS_TZ)).date(),
        delivery=choices.choice_of(session=session, order_id=order.id),
        service_code=shipment.service_code or "",
    )
    return request.label(carrier=shipment.carrier.name, tracking_number=parcel.tracking_number)


def _shipped(session: Session, parcel: Parcel) -> Shipment:
    shipment = session.get(Shipment, parcel.shipment_id)
    assert shipment is not None
    if parcel.tracking_number is None or shipment.carrier is None:
        raise Conflict(f"parcel {parcel.sscc} has no label until it ships")
    return shipment


def parcel_label(*, session: Session, sscc: str) -> bytes:
    """Return the label PDF of the parcel ``sscc``. Raises NotFound, Conflict if not shipped."""
    parcel = session.scalar(select(Parcel).where(Parcel.sscc == sscc.strip()))
    if parcel is None:
        raise NotFound("parcel", sscc, field="sscc")
    shipment = _shipped(session, parcel)
    stored = session.get(ShippingLabel, parcel.id)
    if stored is not None and stored.media_type == "application/pdf":
        return stored.content
    return render_label(_label_data(session, shipment, parcel))


def shipment_labels(*, session: Session, shipment_id: int) -> bytes:
    """Return every label of a shipment in one PDF (a page per parcel).

    A single parcel's stored carrier label is returned as is; several parcels are drawn with
    our label layout. Raises NotFound (``id``), Conflict when it has not shipped.
    """
    shipment = session.get(Shipment, shipment_id)
    if shipment is None:
        raise NotFound("shipment", shipment_id, field="id")
    if shipment.carrier is None or not shipment.parcels:
        raise Conflict(f"shipment {shipment_id} has no labels until it ships")
    if len(shipment.parcels) == 1:
        assert shipment.parcels[0].sscc is not None
        return parcel_label(session=session, sscc=shipment.parcels[0].sscc)
    return render_labels([_label_data(session, shipment, p) for p in shipment.parcels])


def manifest_of(
    *, session: Session, carrier_code: str, day: dt.date, warehouse_code: str | None = None
) -> manifests.Manifest:
    """Return the manifest of the parcels handed to ``carrier_code`` on ``day`` (local).

    Raises NotFound (``carrier``, ``warehouse``).
    """
    carrier = session.scalar(select(Carrier).where(Carrier.code == carrier_code))
    if carrier is None:
        raise NotFound("carrier", carrier_code, field="carrier")
    start, end = local_day_bounds(day, day)
    query = (
        select(Parcel, Shipment, Order, Warehouse)
        .join(Shipment, Shipment.id == Parcel.shipment_id)
        .join(Order, Order.id == Shipment.order_id)
        .join(Warehouse, Warehouse.id == Shipment.warehouse_id)
        .where(
            Shipment.carrier_id == carrier.id,
            Shipment.shipped_at >= start,
            Shipment.shipped_at < end,
            Parcel.tracking_number.is_not(None),
        )
        .order_by(Shipment.shipped_at, Parcel.id)
    )
    if warehouse_code is not None:
        warehouse = session.scalar(select(Warehouse).where(Warehouse.code == warehouse_code))
        if warehouse is None:
            raise NotFound("warehouse", warehouse_code, field="warehouse")
        query = query.where(Shipment.warehouse_id == warehouse.id)
    rows = session.execute(query).all()
    lines = [
        manifests.ManifestLine(
            carrier=carrier.code,
            tracking_number=parcel.tracking_number or "",
            recipient_name=_fit(order.ship_name),
            postcode=order.ship_postcode,
            city=order.ship_city,
            country=order.ship_country,
            weight_g=parcel.weight_g,
            sscc=parcel.sscc or "",
            order_reference=order.number,
            service=shipment.service_code or "",
        )
        for parcel, shipment, order, _warehouse in rows
    ]
    shippers: Sequence[str] = sorted({w.name for *_rest, w in rows})
    reference = f"{carrier.code.upper()}-{day:%Y%m%d}"
    if warehouse_code is not None:
        reference += f"-{warehouse_code}"
    return manifests.Manifest(
        carrier=carrier.code,
        carrier_name=carrier.name,
        manifest_date=day,
        shipper=", ".join(shippers) or (warehouse_code or "Maillon"),
        lines=tuple(lines),
        reference=reference,
    )


def manifest_document(
    *,
    session: Session,
    carrier_code: str,
    day: dt.date,
    fmt: str = "csv",
    warehouse_code: str | None = None,
) -> tuple[bytes, str, str]:
    """Return the manifest as ``(content, media type, file name)`` in ``fmt`` (csv or pdf).

    Raises ValidationError (``format``), NotFound (``carrier``, ``warehouse``).
    """
    if fmt not in FORMATS:
        raise ValidationError(FieldError("format", "must be csv or pdf"))
    manifest = manifest_of(
        session=session, carrier_code=carrier_code, day=day, warehouse_code=warehouse_code
    )
    if fmt == "csv":
        content = manifests.manifest_csv(manifest).encode("utf-8")
    else:
        content = manifests.manifest_pdf(manifest)
    return content, FORMATS[fmt], f"manifest-{manifest.reference.lower()}.{fmt}"
