"""Shipping use cases: carriers, packing an order into parcels, shipping through a carrier
gateway (service chosen from the rate cards, promise stored), tracking events and carrier
webhooks, delivery, delay and exception detection, claims and the public tracking view.

Rate shopping and checkout promises live in :mod:`maillon.shipping.quoting` (re-exported
here: :func:`quote_options`, :func:`promise_options`), labels and manifests in
:mod:`maillon.shipping.documents`, scorecards in :mod:`maillon.shipping.history`.

Carrier gateways: :func:`ship_order` asks ``gateway_for(carrier)`` for each parcel's tracking
number and label. The default is a :class:`~maillon.shipping.carriers.LocalCarrierGateway`
(self-printed GS1 labels); :func:`use_gateways` swaps the factory (tests use
:class:`~maillon.shipping.carriers.FakeCarrierGateway`, an integration its real client).
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from maillon.core import clock, outbox
from maillon.core.errors import (
    Conflict,
    DuplicateError,
    ErrorCollector,
    FieldError,
    MaillonError,
    NotFound,
    ValidationError,
)
from maillon.core.identifiers import make_sscc
from maillon.inventory.tables import Warehouse
from maillon.orders import allocation as allocations
from maillon.orders import service as orders
from maillon.orders.model import OrderStatus, ensure_transition
from maillon.orders.tables import Order
from maillon.shipping import documents, quoting, rates, tracking
from maillon.shipping.carriers import CarrierGateway, CreatedShipment, LocalCarrierGateway
from maillon.shipping.model import TrackingStatus, latest_status
from maillon.shipping.promise import PARIS_TZ, WarehouseCalendar
from maillon.shipping.quoting import promise_options, quote_options
from maillon.shipping.tables import (
    Carrier,
    Parcel,
    Shipment,
    ShipmentClaim,
    ShippingLabel,
    TrackingEvent,
)

__all__ = [
    "ClaimKind",
    "DelayNotice",
    "TrackingInput",
    "WebhookResult",
    "add_claim",
    "claims_of",
    "create_carrier",
    "detect_delays",
    "gateway_for",
    "get_carrier",
    "get_shipment",
    "list_carriers",
    "mark_delivered",
    "on_order_packed",
    "promise_options",
    "public_tracking",
    "quote_options",
    "receive_webhook",
    "record_tracking_event",
    "ship_order",
    "shipments_of",
    "sync_carriers",
    "tracking_events_of",
    "use_gateways",
    "warehouse_calendar",
]

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


def _prefix_for(code: str) -> str:
    letters = "".join(c for c in code.upper() if c.isalnum())
    return (letters[:2] or "MA").ljust(2, "X")


def sync_carriers(*, session: Session) -> list[Carrier]:
    """Create the carriers of the rate cards missing from the database; return the new ones.

    Existing carriers (same code) are left as they are. Raises RateCardError for bad cards.
    """
    present = set(session.scalars(select(Carrier.code)).all())
    created = []
    for card in quoting.rate_cards():
        if card.carrier in present:
            continue
        created.append(
            create_carrier(
                session=session,
                code=card.carrier,
                name=card.name[:100],
                tracking_prefix=_prefix_for(card.carrier),
            )
        )
    return created


GatewayFactory = Callable[[Carrier], CarrierGateway]
"""Returns the gateway that talks to a carrier."""


def _local_gateway(carrier: Carrier) -> CarrierGateway:
    return LocalCarrierGateway(
        code=carrier.code, name=carrier.name, tracking_prefix=carrier.tracking_prefix
    )


_gateway_factory: list[GatewayFactory] = [_local_gateway]


def gateway_for(carrier: Carrier) -> CarrierGateway:
    """Return the gateway of ``carrier`` (a local GS1-label gateway unless swapped)."""
    return _gateway_factory[-1](carrier)


@contextmanager
def use_gateways(factory: GatewayFactory) -> Iterator[None]:
    """Make :func:`gateway_for` use ``factory`` inside the block (process-wide)."""
    _gateway_factory.append(factory)
    try:
        yield
    finally:
        _gateway_factory.remove(factory)


def warehouse_calendar(warehouse: Warehouse | None) -> WarehouseCalendar:
    """Return when ``warehouse`` hands parcels over (14:00 cut-off, its country's holidays)."""
    country = (warehouse.country if warehouse is not None else "") or "FR"
    return WarehouseCalendar(holiday_country=country.upper())


def shipments_of(*, session: Session, order: Order) -> Sequence[Shipment]:
    """Return the order's shipments (one per warehouse it ships from), in id order."""
    return session.scalars(
        select(Shipment).where(Shipment.order_id == order.id).order_by(Shipment.id)
    ).all()


def on_order_packed(session: Session, payload: dict[str, Any]) -> None:
    """Domain-event handler of ``order.packed``: record the order's shipments, one per
    warehouse, each parcel with its SSCC, ready for a label."""
    by_warehouse: dict[int, list[list[int]]] = {}
    for wh, *sizes in payload["parcels"]:
        by_warehouse.setdefault(int(wh), []).append(sizes)
    now = clock.now()
    shipments = []
    for wh, parcels in sorted(by_warehouse.items()):
        shipment = Shipment(
            order_id=int(payload["order_id"]),
            warehouse_id=wh,
            status="packed",
            packed_at=now,
            parcels=[
                Parcel(
                    weight_g=weight,
                    length_mm=length,
                    width_mm=width,
                    height_mm=height,
                    status="label_created",
                )
                for weight, length, width, height in parcels
            ],
        )
        session.add(shipment)
        shipments.append(shipment)
    session.flush()
    for shipment in shipments:
        for parcel in shipment.parcels:
            parcel.sscc = make_sscc(0, SSCC_COMPANY_PREFIX, parcel.id)


@dataclass(frozen=True)
class _Choice:
    """The carrier and, when its rate card has one that fits, the service an order ships with."""

    carrier: Carrier
    service: rates.Service | None = None
    zone: rates.Zone | None = None
    explanation: str = ""


def _fits_all(
    card: rates.RateCard, service: str, parcels: Sequence[rates.Parcel], dest: rates.Destination
) -> rates.Exclusion | None:
    for parcel in parcels:
        priced = rates.quote(card, service, parcel, dest)
        if isinstance(priced, rates.Exclusion):
            return priced
    return None


def _choose(
    *,
    session: Session,
    carrier_code: str | None,
    service_code: str | None,
    policy: rates.ShoppingPolicy,
    parcels: Sequence[rates.Parcel],
    dest: rates.Destination | None,
) -> _Choice:
    """Return the carrier and service to ship ``parcels`` with. Raises ValidationError."""
    heaviest = max(parcels, key=lambda p: (p.weight_g, p.volume_mm3))
    if carrier_code is None:
        if service_code is not None:
            raise ValidationError(FieldError("carrier", "name the carrier of the service"))
        if dest is None:
            raise ValidationError(
                FieldError("carrier", "the shipping address cannot be rated: name a carrier")
            )
        shopped = quote_options(session=session, parcel=heaviest, destination=dest, policy=policy)
        for q in shopped.quotes:
            card = quoting.card_for(q.carrier)
            assert card is not None
            if _fits_all(card, q.service, parcels, dest) is None:
                svc = card.service(q.service)
                return _Choice(
                    get_carrier(session=session, code=q.carrier),
                    svc,
                    card.zone_for(dest),
                    shopped.reason,
                )
        raise ValidationError(FieldError("carrier", shopped.reason))
    carrier = get_carrier(session=session, code=carrier_code)
    card = quoting.card_for(carrier.code)
    if service_code is not None:
        if card is None:
            raise ValidationError(
                FieldError("service", f"{carrier.code} has no rate card: ship without a service")
            )
        try:
            svc = card.service(service_code)
        except KeyError:
            known = ", ".join(s.code for s in card.services)
            raise ValidationError(
                FieldError("service", f"{carrier.code} has no service {service_code!r} ({known})")
            ) from None
        if dest is None:
            raise ValidationError(
                FieldError("service", "the shipping address cannot be rated for this service")
            )
        excluded = _fits_all(card, svc.code, parcels, dest)
        if excluded is not None:
            raise ValidationError(FieldError("service", excluded.detail))
        return _Choice(carrier, svc, card.zone_for(dest), f"{svc.name} chosen by the operator.")
    if card is None or dest is None:
        return _Choice(carrier)
    # its services ranked like any quote: by the policy, on the on-time rates we measured
    shopped = quote_options(
        session=session, parcel=heaviest, destination=dest, policy=policy, carriers=[carrier.code]
    )
    for q in shopped.quotes:
        if _fits_all(card, q.service, parcels, dest) is None:
            return _Choice(carrier, card.service(q.service), card.zone_for(dest), shopped.reason)
    return _Choice(carrier)  # the card has no fitting service: ship on the carrier's contract


def _local_date(moment: datetime) -> dt.date:
    return clock.as_utc(moment).astimezone(ZoneInfo(PARIS_TZ)).date()


def _register_parcels(
    session: Session,
    gateway: CarrierGateway,
    order: Order,
    shipments: Sequence[Shipment],
    service_name: str,
    today: dt.date,
) -> None:
    """Ask the carrier for each parcel's tracking number and label; cancel them on failure."""
    created: list[CreatedShipment] = []
    try:
        for shipment in shipments:
            origin = session.get(Warehouse, shipment.warehouse_id)
            assert origin is not None
            for k, parcel in enumerate(shipment.parcels, start=1):
                request = documents.shipment_request(
                    parcel=parcel,
                    number=k,
                    count=len(shipment.parcels),
                    order=order,
                    warehouse=origin,
                    service_name=service_name,
                    ship_date=today,
                )
                answer = gateway.create_shipment(request)
                created.append(answer)
                parcel.tracking_number = answer.tracking_number
                if answer.label_pdf:
                    session.add(
                        ShippingLabel(
                            parcel_id=parcel.id, content=answer.label_pdf, created_at=clock.now()
                        )
                    )
        session.flush()
    except Exception as exc:
        for answer in created:
            # best effort: a label the carrier never scanned is void anyway
            with contextlib.suppress(Exception):
                gateway.cancel(answer.tracking_number)
        if isinstance(exc, MaillonError):
            raise
        raise Conflict(
            f"carrier {gateway.code} could not register the parcels ({exc}); nothing was "
            "shipped, try again"
        ) from exc


def ship_order(
    *,
    session: Session,
    number: str,
    carrier_code: str | None = None,
    actor: str,
    service_code: str | None = None,
    policy: rates.ShoppingPolicy = rates.DEFAULT_POLICY,
) -> list[Shipment]:
    """Hand a packed order to a carrier: tracking numbers and labels, stock out, customer told.

    ``carrier_code`` and ``service_code`` name what ships it; without a service the carrier's
    best service for the parcels under ``policy`` is taken from its rate card (none when it
    has no card or no fitting service); without a carrier, the best service of every set-up
    carrier. The chosen service's zone, quoted cost, promised delivery day (from the order
    time) and due day (from now) are stored on each shipment. Each parcel is registered with
    the carrier gateway (:func:`gateway_for`), which returns its tracking number and label.

    Raises NotFound (order, ``carrier``), InvalidTransition unless packed, ValidationError
    (``service``: unknown or cannot carry a parcel; ``carrier``: nothing can), Conflict when
    the carrier gateway fails (nothing is shipped).
    """
    if carrier_code is not None:
        get_carrier(session=session, code=carrier_code)
    order = orders.get_order_for_update(session=session, number=number)
    ensure_transition(OrderStatus(order.status), OrderStatus.SHIPPED)
    shipments = [x for x in shipments_of(session=session, order=order) if x.status == "packed"]
    try:
        dest: rates.Destination | None = quoting.destination_of(order)
    except ValidationError:
        dest = None  # an address the rate cards cannot read: ship on the named carrier only
    parcels = [
        rates.Parcel(p.weight_g, p.length_mm, p.width_mm, p.height_mm)
        for x in shipments
        for p in x.parcels
    ]
    value = 0
    if parcels:
        value = max(order.total_cents, 0) // len(parcels)
        parcels = [
            rates.Parcel(p.weight_g, p.length_mm, p.width_mm, p.height_mm, value) for p in parcels
        ]
        choice = _choose(
            session=session,
            carrier_code=carrier_code,
            service_code=service_code,
            policy=policy,
            parcels=parcels,
            dest=dest,
        )
    elif carrier_code is not None:
        choice = _Choice(get_carrier(session=session, code=carrier_code))
    else:
        raise ValidationError(FieldError("carrier", "is required"))
    carrier = choice.carrier
    svc = choice.service
    now = clock.now()
    allocations.ship_allocations(session=session, order=order, actor=actor)
    for shipment in shipments:
        shipment.carrier_id = carrier.id
        shipment.carrier = carrier
        shipment.status = "shipped"
        shipment.shipped_at = now
        if svc is not None and choice.zone is not None and dest is not None:
            rate = svc.rate_for(choice.zone.code)
            assert rate is not None
            card = quoting.card_for(carrier.code)
            assert card is not None
            shipment.service_code = svc.code
            shipment.zone = choice.zone.code
            total = 0
            for p in shipment.parcels:
                quoted = rates.quote(
                    card,
                    svc,
                    rates.Parcel(p.weight_g, p.length_mm, p.width_mm, p.height_mm, value),
                    dest,
                )
                assert isinstance(quoted, rates.Quote)
                total += quoted.total_cents
            shipment.quoted_cents = total
            origin = session.get(Warehouse, shipment.warehouse_id)
            shipment.promised_on = quoting.service_promise(
                svc,
                rate.transit_days,
                dest,
                ordered_at=clock.as_utc(order.created_at),
                warehouse=warehouse_calendar(origin),
            ).delivery_date
            shipment.carrier_due_on = quoting.carrier_due_date(
                svc, rate.transit_days, dest, shipped_at=now
            )
    _register_parcels(
        session,
        gateway_for(carrier),
        order,
        shipments,
        svc.name if svc is not None else "",
        _local_date(now),
    )
    order.shipped_at = now
    numbers = ", ".join(p.tracking_number or "" for x in shipments for p in x.parcels)
    promised = [x.promised_on for x in shipments if x.promised_on is not None]
    if promised:
        promise = f" Expected by {max(promised):%d/%m/%Y}."
    elif order.promised_at:
        promise = f" Expected by {order.promised_at:%d/%m/%Y}."
    else:
        promise = ""
    label = f"{carrier.name} {svc.name}" if svc is not None else carrier.name
    orders.transition(
        session=session,
        order=order,
        target=OrderStatus.SHIPPED,
        actor=actor,
        note=f"{label}: {numbers}",
    )
    orders.notify_customer(
        session=session,
        order=order,
        topic="order.shipped",
        subject=f"Your order {order.number} is on its way",
        message=f"Your order {order.number} left our warehouse with {label}. "
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
    statuses = {p.status for p in shipment.parcels}
    if statuses == {TrackingStatus.DELIVERED.value}:
        if shipment.status != "delivered":
            shipment.status = "delivered"
            shipment.delivered_at = session.scalar(
                select(func.max(TrackingEvent.occurred_at))
                .join(Parcel, Parcel.id == TrackingEvent.parcel_id)
                .where(
                    Parcel.shipment_id == shipment.id,
                    TrackingEvent.status == TrackingStatus.DELIVERED.value,
                )
            )
            _deliver_order(session, shipment, carrier, event.event_id, actor)
    elif statuses & {TrackingStatus.EXCEPTION.value, TrackingStatus.RETURNED.value}:
        shipment.status = "exception"
    elif shipment.status == "exception":
        shipment.status = "shipped"  # the carrier resolved it: the parcel moves again
    return row, True


def _deliver_order(
    session: Session, shipment: Shipment, carrier: Carrier, event_id: str, actor: str
) -> None:
    """Move the order to delivered (and tell the customer) once all its shipments are."""
    order = orders.get_order_for_update(session=session, number=str(shipment.order_id))
    every = shipments_of(session=session, order=order)
    if order.status != OrderStatus.SHIPPED.value or any(x.status != "delivered" for x in every):
        return
    order.delivered_at = max(
        clock.as_utc(x.delivered_at) for x in every if x.delivered_at is not None
    )
    orders.transition(
        session=session,
        order=order,
        target=OrderStatus.DELIVERED,
        actor=actor,
        note=f"{carrier.name} event {event_id}",
    )
    orders.notify_customer(
        session=session,
        order=order,
        topic="order.delivered",
        subject=f"Your order {order.number} was delivered",
        message=f"Your order {order.number} was delivered. Tell us if anything is wrong.",
    )


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
    promised_on = shipment.promised_on if shipment is not None else None
    return {
        "tracking_number": parcel.tracking_number,
        "status": parcel.status,
        "carrier": shipment.carrier.name if shipment and shipment.carrier else None,
        "promised": order.promised_at,
        "promised_on": promised_on,
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


@dataclass(frozen=True)
class WebhookResult:
    """What a carrier webhook changed: events stored, replays, and the events ignored."""

    carrier: str
    received: int
    created: int
    replayed: int
    ignored: tuple[tracking.Ignored, ...]


def receive_webhook(*, session: Session, carrier_code: str, body: Any, actor: str) -> WebhookResult:
    """Store the tracking events of a carrier's webhook body, in that carrier's own format.

    Events are idempotent by event id and may come in any order (see
    :func:`record_tracking_event`); events with an unknown code or tracking number are
    returned as ignored, so one bad scan does not make the carrier retry the rest.
    Raises NotFound (``carrier``: unknown, or no webhook format), ValidationError naming the
    malformed field of the body.
    """
    mapper = tracking.mapper_for(carrier_code)
    if mapper is None:
        raise NotFound("carrier webhook", carrier_code, field="carrier")
    carrier = get_carrier(session=session, code=carrier_code)
    batch = mapper(body)
    created = replayed = 0
    ignored = list(batch.ignored)
    for k, event in enumerate(batch.events):
        known = session.scalar(
            select(Parcel.id).where(Parcel.tracking_number == event.tracking_number)
        )
        if known is None:
            ignored.append(tracking.Ignored(k, event.code, "unknown tracking number"))
            continue
        _row, new = record_tracking_event(
            session=session,
            event=TrackingInput(
                carrier=carrier.code,
                event_id=event.event_id[:100],
                tracking_number=event.tracking_number,
                status=event.status.value,
                occurred_at=event.occurred_at,
                location=event.location,
                description=event.description or event.code,
            ),
            actor=actor,
        )
        created += new
        replayed += not new
    return WebhookResult(
        carrier=carrier.code,
        received=len(batch.events) + len(batch.ignored),
        created=created,
        replayed=replayed,
        ignored=tuple(ignored),
    )


@dataclass(frozen=True)
class DelayNotice:
    """A shipment found late or in trouble, and notified (customer notice + event)."""

    shipment_id: int
    order_number: str
    kind: str  # late, exception
    reason: str


def _exception_reason(session: Session, shipment: Shipment) -> str | None:
    returned = [p for p in shipment.parcels if p.status == TrackingStatus.RETURNED.value]
    if returned:
        return f"parcel {returned[0].tracking_number} is going back to the sender"
    event = session.scalar(
        select(TrackingEvent)
        .where(
            TrackingEvent.parcel_id.in_([p.id for p in shipment.parcels]),
            TrackingEvent.status == TrackingStatus.EXCEPTION.value,
        )
        .order_by(TrackingEvent.occurred_at.desc(), TrackingEvent.id.desc())
        .limit(1)
    )
    if event is None:
        return None
    where = f" at {event.location}" if event.location else ""
    what = event.description or "a delivery problem"
    return f"carrier reported {what}{where} on {_local_date(event.occurred_at):%d/%m/%Y}"


def detect_delays(*, session: Session, actor: str, limit: int = 500) -> list[DelayNotice]:
    """Notify the shipments past their promised day without delivery, or with an exception.

    For each shipment not flagged yet (at most ``limit``): the shipment is flagged with the
    reason (a conditional update, so two runs at once notify it once), the customer gets a
    notice in the outbox and the domain event ``shipment.delayed`` (payload
    ``{"shipment_id", "order_id", "reason"}``) is published for after-sales. The promised day
    is the shipment's (its service's promise), else the order's promise; a shipment is late
    once that day is over (Europe/Paris). Returns the notices written, by shipment id.
    """
    if limit < 1:
        raise ValidationError(FieldError("limit", "must be at least 1"))
    now = clock.now()
    today = _local_date(now)
    candidates = session.scalars(
        select(Shipment)
        .where(
            Shipment.carrier_id.is_not(None),
            Shipment.shipped_at.is_not(None),
            Shipment.delivered_at.is_(None),
            Shipment.status != "delivered",
            Shipment.delay_flagged_at.is_(None),
        )
        .order_by(Shipment.id)
    ).all()
    notices: list[DelayNotice] = []
    for shipment in candidates:
        if len(notices) >= limit:
            break
        order = session.get(Order, shipment.order_id)
        assert order is not None
        promised = shipment.promised_on
        if promised is None and order.promised_at is not None:
            promised = _local_date(order.promised_at)
        kind, reason = "exception", _exception_reason(session, shipment)
        if reason is None:
            if promised is None or today <= promised:
                continue
            kind = "late"
            reason = f"promised for {promised:%d/%m/%Y}, not delivered yet"
        flagged = session.execute(
            update(Shipment)
            .where(Shipment.id == shipment.id, Shipment.delay_flagged_at.is_(None))
            .values(delay_flagged_at=now, delay_reason=reason[:300])
            .execution_options(synchronize_session=False)
        )
        if getattr(flagged, "rowcount", 0) != 1:
            continue  # another run notified it first
        carrier = shipment.carrier.name if shipment.carrier else "the carrier"
        numbers = ", ".join(p.tracking_number or "" for p in shipment.parcels)
        if kind == "late":
            message = (
                f"Your parcel for order {order.number} ({carrier}, tracking {numbers}) was "
                f"expected by {promised:%d/%m/%Y} and has not arrived yet. We are checking with "
                "the carrier and will keep you posted."
            )
        else:
            message = (
                f"{carrier} reported a problem with your parcel for order {order.number} "
                f"(tracking {numbers}): {reason}. We are on it and will keep you posted."
            )
        orders.notify_customer(
            session=session,
            order=order,
            topic="shipment.delay_notice",
            subject=f"Your order {order.number} is delayed",
            message=message,
            extra={"shipment": shipment.id, "tracking": numbers},
        )
        outbox.publish(
            session,
            "shipment.delayed",
            {"shipment_id": shipment.id, "order_id": order.id, "reason": reason},
        )
        notices.append(DelayNotice(shipment.id, order.number, kind, reason))
    return notices


def get_shipment(*, session: Session, shipment_id: int) -> Shipment:
    """Return the shipment ``shipment_id``. Raises NotFound naming ``id``."""
    shipment = session.get(Shipment, shipment_id)
    if shipment is None:
        raise NotFound("shipment", shipment_id, field="id")
    return shipment


ClaimKind = ("damage", "loss")
"""The kinds of carrier claims."""


def add_claim(
    *,
    session: Session,
    shipment_id: int,
    kind: str,
    amount_cents: int,
    note: str = "",
    actor: str,
) -> ShipmentClaim:
    """Record a damage or loss claim against the carrier of a shipped shipment.

    Raises ValidationError (``kind``, ``amount_cents``, ``note``), NotFound (``id``),
    Conflict when the shipment has not shipped.
    """
    errors = ErrorCollector()
    if kind not in ClaimKind:
        errors.add("kind", "must be damage or loss")
    if amount_cents < 0:
        errors.add("amount_cents", "must be 0 or more")
    if len(note) > 500:
        errors.add("note", "must have at most 500 characters")
    errors.raise_if_any()
    shipment = get_shipment(session=session, shipment_id=shipment_id)
    if shipment.carrier_id is None:
        raise Conflict(f"shipment {shipment_id} has not shipped: there is no carrier to claim from")
    claim = ShipmentClaim(
        shipment_id=shipment.id,
        kind=kind,
        amount_cents=amount_cents,
        note=note.strip(),
        created_at=clock.now(),
        created_by=actor[:120],
    )
    session.add(claim)
    session.flush()
    return claim


def claims_of(*, session: Session, shipment_id: int) -> Sequence[ShipmentClaim]:
    """Return the claims of a shipment, oldest first. Raises NotFound (``id``)."""
    get_shipment(session=session, shipment_id=shipment_id)
    return session.scalars(
        select(ShipmentClaim)
        .where(ShipmentClaim.shipment_id == shipment_id)
        .order_by(ShipmentClaim.id)
    ).all()
