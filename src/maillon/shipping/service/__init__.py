"""Shipping use cases: carriers, packing an order into parcels, shipping through a carrier
gateway (service chosen from the rate cards, promise stored), a shipment's tracking events
and the public tracking view. What follows the departure (tracking events and carrier
webhooks, delivery, delay and exception detection, claims) is in
:mod:`maillon.shipping.service.follow_up`.

Rate shopping and checkout promises live in :mod:`maillon.shipping.service.quoting` (re-exported
here: :func:`quote_options`, :func:`promise_options`), labels and manifests in
:mod:`maillon.shipping.service.documents`, scorecards in :mod:`maillon.shipping.service.history`.

Carrier gateways: :func:`ship_order` asks ``gateway_for(carrier)`` for each parcel's tracking
number and label. A carrier with an active sandbox or live account
(:mod:`maillon.shipping.service.accounts`) is reached through its connector
(:mod:`maillon.shipping.connectors`); the others through a
:class:`~maillon.shipping.carriers.LocalCarrierGateway` (self-printed GS1 labels, rate cards).
:func:`use_gateways` swaps the factory (tests use
:class:`~maillon.shipping.carriers.FakeCarrierGateway`).
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

from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from maillon.core import clock, outbox
from maillon.core.errors import (
    Conflict,
    DuplicateError,
    ErrorCollector,
    FieldError,
    MaillonError,
    NotFound,
    Unavailable,
    ValidationError,
)
from maillon.core.identifiers import make_sscc
from maillon.inventory.tables import Warehouse
from maillon.orders import service as orders
from maillon.orders.choice import DeliveryChoice
from maillon.orders.model import OrderStatus, ensure_transition
from maillon.orders.service import allocation as allocations
from maillon.orders.service import choices, timeline
from maillon.orders.tables import Order
from maillon.shipping import connectors, rates
from maillon.shipping.carriers import (
    CarrierGateway,
    CarrierUnavailable,
    CreatedShipment,
    LocalCarrierGateway,
)
from maillon.shipping.model import ShipmentStatus, TrackingStatus
from maillon.shipping.promise import PARIS_TZ, WarehouseCalendar
from maillon.shipping.service import accounts, chosen, documents, quoting
from maillon.shipping.service.quoting import promise_options, quote_options
from maillon.shipping.tables import (
    Carrier,
    Parcel,
    Shipment,
    TrackingEvent,
)

__all__ = [
    "create_carrier",
    "gateway_for",
    "get_carrier",
    "list_carriers",
    "on_order_packed",
    "promise_options",
    "public_tracking",
    "quote_options",
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


def _account_gateway(carrier: Carrier) -> CarrierGateway:
    """The connector of the carrier's active sandbox/live account (read in the carrier's own
    session), else the local GS1-label gateway of its rate card."""
    session = object_session(carrier)
    if session is None:  # never guess "rate card" for a carrier that may have an account
        raise ValueError(f"carrier {carrier.code!r} must be attached to a session")
    account = accounts.active_account(session=session, carrier=carrier)
    if account is not None:
        return connectors.build(account)
    return LocalCarrierGateway(
        code=carrier.code, name=carrier.name, tracking_prefix=carrier.tracking_prefix
    )


_gateway_factory: list[GatewayFactory] = [_account_gateway]


def gateway_for(carrier: Carrier) -> CarrierGateway:
    """Return the gateway of ``carrier`` (attached to a session): its account's connector
    when it has an active sandbox or live one, else a local GS1-label gateway (unless
    swapped by :func:`use_gateways`). Raises WrongKey when its credentials cannot be read,
    ValueError for a carrier detached from its session."""
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
            status=ShipmentStatus.PACKED.value,
            packed_at=now,
            parcels=[
                Parcel(
                    weight_g=weight,
                    length_mm=length,
                    width_mm=width,
                    height_mm=height,
                    status=TrackingStatus.LABEL_CREATED.value,
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
    card: rates.RateCard, service: str, parcels: Sequence[rates.RateParcel], dest: rates.Destination
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
    parcels: Sequence[rates.RateParcel],
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
    if policy.kinds is not None:  # the customer's method: never another kind of service
        raise Conflict(
            f"{carrier.code} has no {' or '.join(sorted(policy.kinds))} service that can "
            f"carry these parcels to {dest.country} {dest.postal_code}"
        )
    return _Choice(carrier)  # the card has no fitting service: ship on the carrier's contract


def local_date(moment: datetime) -> dt.date:
    """Return the day ``moment`` falls on in Europe/Paris."""
    return clock.as_utc(moment).astimezone(ZoneInfo(PARIS_TZ)).date()


def _register_parcels(
    session: Session,
    gateway: CarrierGateway,
    order: Order,
    shipments: Sequence[Shipment],
    service_name: str,
    today: dt.date,
    choice: DeliveryChoice,
) -> None:
    """Ask the carrier for each parcel's tracking number and label (to the relay point the
    customer chose, if any); cancel them on failure."""
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
                    delivery=choice,
                )
                answer = gateway.create_shipment(request)
                created.append(answer)
                parcel.tracking_number = answer.tracking_number
                if answer.label_pdf or answer.label_zpl:
                    session.add(documents.stored_label(parcel.id, answer, clock.now()))
        session.flush()
    except Exception as exc:
        for answer in created:
            # best effort: a label the carrier never scanned is void anyway
            with contextlib.suppress(Exception):
                gateway.cancel(answer.tracking_number)
        if isinstance(exc, MaillonError):
            raise
        if isinstance(exc, CarrierUnavailable):
            raise Unavailable(
                f"{exc}; nothing was shipped, try again later", retry_after=exc.retry_after
            ) from exc
        raise Conflict(
            f"carrier {gateway.code} could not register the parcels ({exc}); nothing was "
            "shipped, try again"
        ) from exc


def _choice_for(
    *,
    session: Session,
    order: Order,
    shipments: Sequence[Shipment],
    carrier_code: str | None,
    service_code: str | None,
    policy: rates.ShoppingPolicy,
    dest: rates.Destination | None,
) -> tuple[_Choice, int]:
    """Return the carrier (and service) to ship the parcels with, and each parcel's value."""
    parcels = [
        rates.RateParcel(p.weight_g, p.length_mm, p.width_mm, p.height_mm)
        for x in shipments
        for p in x.parcels
    ]
    value = 0
    if parcels:
        value = max(order.total_cents, 0) // len(parcels)
        parcels = [
            rates.RateParcel(p.weight_g, p.length_mm, p.width_mm, p.height_mm, value)
            for p in parcels
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
    return choice, value


def _price_and_promise(
    session: Session,
    order: Order,
    shipment: Shipment,
    choice: _Choice,
    dest: rates.Destination,
    value: int,
    now: datetime,
) -> None:
    """Store the shipment's service, zone, quoted cost, promised day and carrier due day."""
    svc = choice.service
    assert svc is not None and choice.zone is not None
    carrier = choice.carrier
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
            rates.RateParcel(p.weight_g, p.length_mm, p.width_mm, p.height_mm, value),
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
    shipment.carrier_due_on = quoting.carrier_due_date(svc, rate.transit_days, dest, shipped_at=now)


def _announce_shipped(
    session: Session,
    order: Order,
    shipments: Sequence[Shipment],
    carrier: Carrier,
    svc: rates.Service | None,
    actor: str,
    choice: DeliveryChoice,
) -> None:
    """Move the order to shipped and tell the customer the tracking numbers, the promise and
    the relay point to collect from."""
    tracking = [p.tracking_number for x in shipments for p in x.parcels if p.tracking_number]
    numbers = ", ".join(tracking)
    promised = [x.promised_on for x in shipments if x.promised_on is not None]
    promise = max(promised) if promised else None
    if promise is None and order.promised_at is not None:
        promise = local_date(order.promised_at)
    label = f"{carrier.name} {svc.name}" if svc is not None else carrier.name
    timeline.transition(
        session=session,
        order=order,
        target=OrderStatus.SHIPPED,
        actor=actor,
        note=f"{label}: {numbers}",
    )
    outbox.publish(
        session,
        "order.shipped",
        {
            "order_id": order.id,
            "order": order.number,
            "carrier": carrier.code,
            "service": svc.code if svc is not None else None,
            "shipments": [
                {
                    "shipment_id": x.id,
                    "tracking_numbers": [p.tracking_number for p in x.parcels],
                    "promised_on": x.promised_on.isoformat() if x.promised_on else None,
                }
                for x in shipments
            ],
        },
    )
    timeline.notify_customer(
        session=session,
        order=order,
        topic="order.shipped",
        context={
            "carrier": label,
            "tracking": tracking,
            "promised": promise,
            "relay_point": chosen.relay_context(choice),
        },
        extra={"tracking": numbers},
    )


def _service_told(gateway: CarrierGateway, svc: rates.Service | None) -> str:
    """The service a carrier is told: a carrier's API the rate card's code (the connectors map
    ``chrono13``, ``point_relais``... to their products), our own label its name."""
    if svc is None:
        return ""
    return svc.name if isinstance(gateway, LocalCarrierGateway) else svc.code


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

    Publishes ``order.shipped`` (``order_id``, ``shipment_ids``). Only services of the method
    the customer chose are ranked; a relay-point order ships with the point's carrier, labelled
    to the point (:mod:`maillon.shipping.service.chosen`).

    Raises NotFound (order, ``carrier``), InvalidTransition unless packed, ValidationError
    (``service``: unknown or cannot carry a parcel; ``carrier``: nothing can; a field the
    carrier refused), Unavailable when the carrier's API cannot answer now (time-out, 5xx),
    Conflict when the carrier gateway fails otherwise (nothing is shipped either way), for a
    click & collect order, another carrier than the relay point's, or a carrier without a
    service of the chosen method.
    """
    if carrier_code is not None:
        get_carrier(session=session, code=carrier_code)
    order = orders.get_order_for_update(session=session, number=number)
    ensure_transition(OrderStatus(order.status), OrderStatus.SHIPPED)
    plan = chosen.shipping_plan(
        session=session,
        order=order,
        carrier_code=carrier_code,
        service_code=service_code,
        policy=policy,
    )
    shipments = [
        x for x in shipments_of(session=session, order=order) if x.status == ShipmentStatus.PACKED
    ]
    try:
        dest: rates.Destination | None = quoting.destination_of(order)
    except ValidationError:
        dest = None  # an address the rate cards cannot read: ship on the named carrier only
    choice, value = _choice_for(
        session=session,
        order=order,
        shipments=shipments,
        carrier_code=plan.carrier_code,
        service_code=plan.service_code,
        policy=plan.policy,
        dest=dest,
    )
    carrier = choice.carrier
    svc = choice.service
    now = clock.now()
    allocations.ship_allocations(session=session, order=order, actor=actor)
    for shipment in shipments:
        shipment.carrier_id = carrier.id
        shipment.carrier = carrier
        shipment.status = ShipmentStatus.SHIPPED.value
        shipment.shipped_at = now
        if svc is not None and choice.zone is not None and dest is not None:
            _price_and_promise(session, order, shipment, choice, dest, value, now)
    gateway = gateway_for(carrier)
    told = _service_told(gateway, svc)
    _register_parcels(session, gateway, order, shipments, told, local_date(now), plan.choice)
    order.shipped_at = now
    # order.shipped: the shop it came from (channels) and webhooks learn it, in this transaction
    _announce_shipped(session, order, shipments, carrier, svc, actor, plan.choice)
    return shipments


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
        "relay_point": chosen.relay_context(choices.choice_of(session=session, order_id=order.id)),
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
