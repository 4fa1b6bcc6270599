"""What the karrio-based connectors share: our types to karrio's and back (pure).

Karrio (LGPL-3.0) is used for what it knows best, each carrier's formats: its *mapper* builds
the request body from a unified ``ShipmentRequest`` and parses the carrier's answer into
unified details and messages. Its *proxy* is not used: ``karrio.lib.request`` returns an HTTP
error's body as if it were an answer (the status and ``Retry-After`` are lost) and waits
without a time-out, so our :class:`~maillon.shipping.connectors.transport.CarrierHttp` sends
the body karrio built to the path karrio's proxy would use, at ``account.base_url`` or the
server karrio's settings name for sandbox or live.
"""

from __future__ import annotations

import base64
import warnings
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from maillon.shipping.carriers import CarrierEvent, CarrierUnavailable, ShipmentRequest
from maillon.shipping.connectors.transport import refused
from maillon.shipping.labels import Address
from maillon.shipping.model import TrackingStatus

with warnings.catch_warnings():  # karrio imports PyPDF2, which warns it is deprecated
    warnings.filterwarnings("ignore", "PyPDF2", DeprecationWarning)
    import karrio.core.models as km
    import karrio.lib as klib


__all__ = [
    "KARRIO_STATUS",
    "address",
    "b64",
    "events",
    "parcel",
    "parse",
    "raise_errors",
    "shipment_payload",
]

KARRIO_STATUS: Mapping[str, TrackingStatus] = {
    "pending": TrackingStatus.LABEL_CREATED,
    "picked_up": TrackingStatus.PICKED_UP,
    "in_transit": TrackingStatus.IN_TRANSIT,
    "on_hold": TrackingStatus.EXCEPTION,
    "delivery_delayed": TrackingStatus.EXCEPTION,
    "delivery_failed": TrackingStatus.EXCEPTION,
    "out_for_delivery": TrackingStatus.OUT_FOR_DELIVERY,
    "ready_for_pickup": TrackingStatus.OUT_FOR_DELIVERY,
    "delivered": TrackingStatus.DELIVERED,
    "return_to_sender": TrackingStatus.RETURNED,
}
"""Karrio's normalised tracker statuses to ours: the fallback when a carrier's own event
code is not in the connector's table."""


def address(value: Address, *, email: str | None = None) -> Any:
    """Return karrio's address of ours (street lines 1 and 2; the rest joined to line 2)."""
    lines = list(value.lines)
    return km.Address(
        person_name=value.name,
        company_name=value.company or None,
        address_line1=lines[0],
        address_line2=" ".join(lines[1:]) or None,
        postal_code=value.postcode,
        city=value.city,
        country_code=value.country,
        phone_number=value.phone,
        email=email,
    )


def parcel(request: ShipmentRequest) -> Any:
    """Return karrio's parcel of the request: weight in kilograms (we keep grams)."""
    return km.Parcel(
        weight=round(request.weight_g / 1000, 3),
        weight_unit="KG",
        dimension_unit="CM",
        reference_number=request.order_reference or request.sscc,
    )


def shipment_payload(
    request: ShipmentRequest,
    *,
    service: str,
    label_type: str,
    options: Mapping[str, Any] | None = None,
    is_return: bool = False,
) -> Any:
    """Return karrio's unified shipment request of ours."""
    return km.ShipmentRequest(
        service=service,
        shipper=address(request.sender),
        recipient=address(request.recipient),
        parcels=[parcel(request)],
        options={
            "shipment_date": request.ship_date.isoformat(),
            "shipping_date": f"{request.ship_date.isoformat()}T09:00",
            **(options or {}),
        },
        reference=request.order_reference or request.sscc,
        label_type=label_type,
        is_return=is_return,
    )


def parse(
    parser: Callable[[Any], tuple[Any, list[Any]]],
    text: str,
    *,
    xml: bool,
    ctx: Mapping[str, Any] | None = None,
) -> tuple[Any, list[Any]]:
    """Run a karrio parser on a carrier's answer text (XML or JSON)."""
    decoder = klib.to_element if xml else klib.to_dict
    result: tuple[Any, list[Any]] = parser(klib.Deserializable(text, decoder, dict(ctx or {})))
    return result


def raise_errors(
    carrier: str, messages: Sequence[Any], codes: Mapping[str, str], *, sender: bool = False
) -> None:
    """Raise the ValidationError of karrio's error messages, naming our fields (warnings and
    notes are ignored)."""
    errors = [m for m in messages if (getattr(m, "level", None) or "error") == "error"]
    if errors:
        raise refused(
            carrier,
            [(str(m.code or ""), str(m.message or "")) for m in errors],
            codes,
            sender=sender,
        )


def b64(value: str | None) -> bytes:
    """Return the bytes of a base64 document (empty for none)."""
    return base64.b64decode(value) if value else b""


def _moment(event: Any, zone: ZoneInfo) -> datetime:
    stamp = getattr(event, "timestamp", None)
    if stamp:
        moment = datetime.fromisoformat(str(stamp).replace("Z", "+00:00"))
    else:
        when = f"{event.date} {(event.time or '00:00')[:5]}"
        moment = datetime.strptime(when, "%Y-%m-%d %H:%M")  # noqa: DTZ007 (zone set below)
    return moment if moment.tzinfo else moment.replace(tzinfo=zone)


def events(
    tracking_number: str,
    details: Any,
    codes: Mapping[str, TrackingStatus],
    *,
    zone: str = "Europe/Paris",
) -> tuple[CarrierEvent, ...]:
    """Return our events of karrio's tracking details, oldest first: the status from the
    carrier's event code in ``codes``, else karrio's normalised status, else in transit."""
    tz = ZoneInfo(zone)
    found: list[CarrierEvent] = []
    for event in details.events if details is not None else []:
        code = str(event.code or "")
        status = codes.get(code) or KARRIO_STATUS.get(str(event.status or ""))
        at = _moment(event, tz).astimezone(UTC)
        found.append(
            CarrierEvent(
                event_id=f"{tracking_number}:{code or 'event'}:{at.isoformat()}",
                tracking_number=tracking_number,
                status=status or TrackingStatus.IN_TRANSIT,
                occurred_at=at,
                location=str(event.location or ""),
                description=str(event.description or ""),
            )
        )
    found.sort(key=lambda e: e.occurred_at)
    return tuple(found)


def unavailable_on_garbage(carrier: str, text: str) -> CarrierUnavailable:
    """The error when a carrier answered 2xx with a body we cannot read."""
    return CarrierUnavailable(carrier, f"unreadable answer ({text[:80]!r})")
