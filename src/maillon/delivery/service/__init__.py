"""Delivery use cases at checkout: delivery options, zones and appointment slots (click &
collect stores and reservations are in :mod:`maillon.delivery.service.collect`, route plans and the
what-if in :mod:`maillon.delivery.service.lastmile`, same-day couriers in
:mod:`maillon.delivery.service.courier_jobs`).

Each function works inside the caller's transaction and never commits. Local times (slots,
shifts, ETAs) are wall-clock times of :data:`LOCAL_TZ`, stored as minutes (slots) or seconds
(routes) since local midnight; instants are aware UTC datetimes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from maillon.catalog.service import products_by_sku
from maillon.core import clock
from maillon.core.errors import (
    Conflict,
    DuplicateError,
    ErrorCollector,
    FieldError,
    NotFound,
    ValidationError,
)
from maillon.core.geo import compact_postcode, locate_fr, postcode_problem
from maillon.delivery.model import BookingStatus
from maillon.delivery.queries.relay_points import nearest_points
from maillon.delivery.relay import NearPoint, distance_km
from maillon.delivery.slots import SlotTemplate, ZonePrefixes, generate_slots, zone_for
from maillon.delivery.tables import (
    CollectStore,
    DeliverySlot,
    DeliverySlotBooking,
    DeliverySlotTemplate,
    DeliveryZone,
)
from maillon.inventory import service as inventory
from maillon.inventory.tables import Warehouse
from maillon.orders import service as orders
from maillon.orders.model import OPEN_STATUSES, OrderStatus
from maillon.orders.service import timeline
from maillon.shipping import rates
from maillon.shipping.service import quoting
from maillon.warehouse.cartons import estimate_parcel

LOCAL_TZ = ZoneInfo("Europe/Paris")


def local_today() -> dt.date:
    """Return today's date in :data:`LOCAL_TZ` (by the Maillon clock)."""
    return clock.now().astimezone(LOCAL_TZ).date()


def seconds_of_day(moment: dt.datetime) -> int:
    """Return the local seconds since midnight of an aware instant."""
    local = moment.astimezone(LOCAL_TZ)
    return local.hour * 3600 + local.minute * 60 + local.second


def _point_of(country: str, postcode: str, city: str | None) -> tuple[float, float] | None:
    if country.upper() != "FR":
        return None
    commune = locate_fr(postcode, city)
    if commune is None or commune.lat is None or commune.lon is None:
        return None
    return commune.lat, commune.lon


def warehouse_point(wh: Warehouse, field: str = "warehouse") -> tuple[float, float]:
    """Return a warehouse's coordinates (geocoded from its postcode when not stored).

    Raises ValidationError naming ``field`` when it cannot be placed on the map.
    """
    if wh.lat is not None and wh.lon is not None:
        return wh.lat, wh.lon
    point = _point_of(wh.country, wh.postcode, wh.city)
    if point is None:
        raise ValidationError(FieldError(field, f"warehouse {wh.code} has no coordinates"))
    return point


# ----------------------------------------------------------------------------- options


@dataclass(frozen=True)
class CarrierOption:
    """A carrier service offered at checkout with its price and promise."""

    kind: str
    carrier: str
    service: str
    name: str
    price_cents: int
    ship_date: dt.date
    delivery_date: dt.date


@dataclass(frozen=True)
class RelayOption:
    """A relay point near the customer and the network's price and promise."""

    near: NearPoint
    option: CarrierOption


@dataclass(frozen=True)
class CollectOption:
    """A store holding every line, how far it is and when the order can be collected."""

    warehouse: Warehouse
    store: CollectStore
    distance_km: float | None
    ready_at: dt.datetime


@dataclass(frozen=True)
class DeliveryOptions:
    """Everything a checkout can offer for one cart and one address."""

    postcode: str
    city: str
    country: str
    lat: float | None
    lon: float | None
    weight_g: int
    zone: str | None
    home: list[CarrierOption]
    express: list[CarrierOption]
    relay: list[RelayOption]
    collect: list[CollectOption]
    slots: list[DeliverySlot]


def _parcel_for_lines(
    session: Session, lines: Sequence[tuple[str, int]], errors: ErrorCollector
) -> rates.RateParcel | None:
    products = products_by_sku(session=session, skus=[s for s, _ in lines])
    items = []
    for i, (sku, qty) in enumerate(lines):
        product = products.get(sku)
        if product is None:
            errors.add(f"lines.{i}.sku", f"unknown SKU {sku!r}")
            continue
        items.append(
            (qty, product.weight_g, product.length_mm, product.width_mm, product.height_mm)
        )
    if not items or errors.errors:
        return None
    weight, length, width, height = estimate_parcel(items)
    value = sum(products[s].price_cents * q for s, q in lines)
    return rates.RateParcel(weight, length, width, height, value)


def _option(q: rates.Quote) -> CarrierOption:
    assert q.promise is not None
    return CarrierOption(
        kind=q.kind.value,
        carrier=q.carrier,
        service=q.service,
        name=q.service_name,
        price_cents=q.total_cents,
        ship_date=q.promise.ship_date,
        delivery_date=q.promise.delivery_date,
    )


def _relay_options(
    session: Session,
    quotes: Sequence[rates.Quote],
    point: tuple[float, float] | None,
    relay_limit: int,
    relay_max_km: float,
) -> list[RelayOption]:
    """Return the nearest relay points of the networks quoted, each with its cheapest quote."""
    relay_by_network: dict[str, CarrierOption] = {}
    for q in quotes:
        if q.kind is rates.ServiceKind.RELAY_POINT:
            best = relay_by_network.get(q.carrier)
            if best is None or q.total_cents < best.price_cents:
                relay_by_network[q.carrier] = _option(q)
    relay: list[RelayOption] = []
    if point is not None and relay_by_network:
        near = nearest_points(
            session=session,
            lat=point[0],
            lon=point[1],
            carriers=relay_by_network.keys(),
            limit=relay_limit,
            max_km=relay_max_km,
        )
        relay = [RelayOption(n, relay_by_network[n.point.network]) for n in near]
    return relay


def _open_slots(
    session: Session, zone: DeliveryZone, at: dt.datetime, slot_days: int
) -> list[DeliverySlot]:
    """Return the zone's slots with room left over the ``slot_days`` days after ``at``."""
    first = at.astimezone(LOCAL_TZ).date() + dt.timedelta(days=1)
    return list(
        session.scalars(
            select(DeliverySlot)
            .where(
                DeliverySlot.zone_id == zone.id,
                DeliverySlot.day >= first,
                DeliverySlot.day < first + dt.timedelta(days=slot_days),
                DeliverySlot.booked < DeliverySlot.capacity,
            )
            .order_by(DeliverySlot.day, DeliverySlot.start_min, DeliverySlot.id)
        )
    )


def delivery_options(
    *,
    session: Session,
    country: str,
    postcode: str,
    city: str | None = None,
    lines: Sequence[tuple[str, int]] = (),
    parcel: rates.RateParcel | None = None,
    ordered_at: dt.datetime | None = None,
    relay_limit: int = 5,
    relay_max_km: float = 15.0,
    slot_days: int = 7,
) -> DeliveryOptions:
    """Return the delivery options for a cart (``lines``) or a ``parcel`` to an address.

    Home and express quotes come from shipping's rate shopping on the cards of the carriers set
    up in Maillon (:func:`maillon.shipping.service.quoting.set_up_cards`: a card of
    ``$MAILLON_RATE_CARDS`` whose carrier has a row in ``carriers``), never from the carrier's
    API: a checkout answers while the customer waits, and one slow carrier would hold up every
    option (the carrier's quote is asked when the label is bought). Relay points are
    the nearest imported points (:mod:`maillon.delivery.queries.relay_points`; the illustrative
    file before any import) whose network can carry the parcel; click & collect lists
    the active stores holding every line; slots are the next ``slot_days`` days' windows of the
    address's zone with room left. Raises ValidationError naming ``postcode``, ``lines``,
    ``lines.N.sku`` or ``parcel``.
    """
    errors = ErrorCollector()
    country = country.upper()
    problem = postcode_problem(country, postcode)
    if problem:
        errors.add("postcode", problem)
    if not lines and parcel is None:
        errors.add("lines", "give the cart's lines or a parcel")
    if lines and parcel is None:
        parcel = _parcel_for_lines(session, lines, errors)
    errors.raise_if_any()
    assert parcel is not None
    at = ordered_at or clock.now()
    point = _point_of(country, postcode, city)
    try:
        destination = rates.Destination(country, postcode)
    except ValueError as exc:
        raise ValidationError(FieldError("postcode", str(exc))) from None
    # only carriers set up in Maillon: shipping cannot buy a label from any other
    shopped = rates.shop(quoting.set_up_cards(session), parcel, destination, ordered_at=at)
    home = [_option(q) for q in shopped.quotes if q.kind is rates.ServiceKind.STANDARD]
    fast = [
        q
        for q in shopped.quotes
        if q.kind in (rates.ServiceKind.EXPRESS, rates.ServiceKind.SAME_DAY)
    ]
    fast.sort(key=lambda q: (q.promise.delivery_date if q.promise else dt.date.max, q.total_cents))
    relay = _relay_options(session, shopped.quotes, point, relay_limit, relay_max_km)
    collect = _collect_options(session, lines, point, at) if lines else []
    zone = _zone_of(session, country, postcode)
    slots = [] if zone is None else _open_slots(session, zone, at, slot_days)
    return DeliveryOptions(
        postcode=postcode,
        city=city or "",
        country=country,
        lat=None if point is None else point[0],
        lon=None if point is None else point[1],
        weight_g=parcel.weight_g,
        zone=None if zone is None else zone.code,
        home=home,
        express=[_option(q) for q in fast],
        relay=relay,
        collect=collect,
        slots=slots,
    )


def store_stock(
    session: Session, lines: Sequence[tuple[str, int]]
) -> tuple[dict[int, dict[str, int]], list[Any]]:
    """Return the units available per warehouse and SKU of ``lines``, and the stock rows."""
    products = products_by_sku(session=session, skus=[s for s, _ in lines])
    candidates = inventory.candidates_for(
        session=session, product_ids=[p.id for p in products.values()]
    )
    held: dict[int, dict[str, int]] = {}
    for c in candidates:
        by_sku = held.setdefault(c.warehouse_id, {})
        by_sku[c.sku] = by_sku.get(c.sku, 0) + c.available
    return held, candidates


def wanted_by_sku(lines: Sequence[tuple[str, int]]) -> dict[str, int]:
    """Return the quantity wanted per SKU, lines of one SKU added up."""
    wanted: dict[str, int] = {}
    for sku, qty in lines:
        wanted[sku] = wanted.get(sku, 0) + qty
    return wanted


def _collect_options(
    session: Session,
    lines: Sequence[tuple[str, int]],
    point: tuple[float, float] | None,
    at: dt.datetime,
) -> list[CollectOption]:
    stores = session.execute(
        select(CollectStore, Warehouse)
        .join(Warehouse, Warehouse.id == CollectStore.warehouse_id)
        .where(CollectStore.active.is_(True))
    ).all()
    if not stores:
        return []
    held, _ = store_stock(session, lines)
    wanted = wanted_by_sku(lines)
    out = []
    for store, wh in stores:
        stock = held.get(wh.id, {})
        if any(stock.get(sku, 0) < qty for sku, qty in wanted.items()):
            continue
        distance = None
        if point is not None:
            try:
                lat, lon = warehouse_point(wh)
                distance = round(distance_km(point[0], point[1], lat, lon), 2)
            except ValidationError:
                distance = None
        ready = at + dt.timedelta(hours=store.ready_after_hours)
        out.append(CollectOption(wh, store, distance, ready))
    out.sort(key=lambda o: (o.distance_km is None, o.distance_km or 0.0, o.warehouse.code))
    return out


# ---------------------------------------------------------------------- zones and slots


def _zone_of(session: Session, country: str, postcode: str) -> DeliveryZone | None:
    zones = session.scalars(select(DeliveryZone).where(DeliveryZone.country == country)).all()
    code = zone_for(
        [ZonePrefixes(z.code, z.country, tuple(z.prefixes)) for z in zones], country, postcode
    )
    return next((z for z in zones if z.code == code), None)


def _clean_prefixes(prefixes: Sequence[str], errors: ErrorCollector) -> list[str]:
    out = []
    for i, prefix in enumerate(prefixes):
        value = compact_postcode(prefix)
        if not value or not value.isalnum() or len(value) > 10:
            errors.add(f"prefixes.{i}", "1-10 letters or digits")
        out.append(value)
    if not prefixes:
        errors.add("prefixes", "a zone needs at least one postal-code prefix")
    if len(set(out)) != len(out):
        errors.add("prefixes", "prefixes must not repeat")
    return out


def create_zone(
    *, session: Session, code: str, name: str, country: str, prefixes: Sequence[str]
) -> DeliveryZone:
    """Add a delivery zone. Raises ValidationError naming the field, DuplicateError."""
    errors = ErrorCollector()
    if not code or not code.replace("-", "").replace("_", "").isalnum() or len(code) > 20:
        errors.add("code", "1-20 letters, digits, - or _")
    if not name.strip():
        errors.add("name", "is required")
    if len(country) != 2 or not country.isalpha():
        errors.add("country", "an ISO 3166 alpha-2 code such as FR")
    clean = _clean_prefixes(prefixes, errors)
    errors.raise_if_any()
    if session.scalar(select(DeliveryZone.id).where(DeliveryZone.code == code)) is not None:
        raise DuplicateError("delivery zone", "code", code)
    zone = DeliveryZone(
        code=code,
        name=name.strip(),
        country=country.upper(),
        prefixes=clean,
        created_at=clock.now(),
    )
    session.add(zone)
    session.flush()
    return zone


def get_zone(*, session: Session, zone_id: int) -> DeliveryZone:
    """Return the zone. Raises NotFound."""
    zone = session.get(DeliveryZone, zone_id)
    if zone is None:
        raise NotFound("delivery zone", zone_id, field="zone_id")
    return zone


def list_zones(*, session: Session) -> Sequence[DeliveryZone]:
    """Return every zone by code."""
    return session.scalars(select(DeliveryZone).order_by(DeliveryZone.code)).all()


def update_zone(
    *,
    session: Session,
    zone_id: int,
    name: str | None = None,
    prefixes: Sequence[str] | None = None,
) -> DeliveryZone:
    """Rename a zone or replace its prefixes. Raises NotFound, ValidationError."""
    zone = get_zone(session=session, zone_id=zone_id)
    errors = ErrorCollector()
    if name is not None and not name.strip():
        errors.add("name", "is required")
    clean = None if prefixes is None else _clean_prefixes(prefixes, errors)
    errors.raise_if_any()
    if name is not None:
        zone.name = name.strip()
    if clean is not None:
        zone.prefixes = clean
    return zone


def delete_zone(*, session: Session, zone_id: int) -> None:
    """Delete a zone, its templates and slots. Raises NotFound, Conflict if a slot is booked."""
    zone = get_zone(session=session, zone_id=zone_id)
    slot_ids = select(DeliverySlot.id).where(DeliverySlot.zone_id == zone.id)
    if session.scalar(select(func.count()).where(DeliverySlotBooking.slot_id.in_(slot_ids))):
        raise Conflict(f"zone {zone.code} has booked slots; cancel the bookings first")
    for slot in session.scalars(select(DeliverySlot).where(DeliverySlot.zone_id == zone.id)):
        session.delete(slot)
    for template in zone.templates:
        session.delete(template)
    session.flush()
    session.delete(zone)


def add_template(
    *,
    session: Session,
    zone_id: int,
    weekday: int,
    start_min: int,
    end_min: int,
    capacity: int,
    fee_cents: int = 0,
) -> DeliverySlotTemplate:
    """Add a weekly window to a zone. Raises NotFound, ValidationError (bad or overlapping)."""
    zone = get_zone(session=session, zone_id=zone_id)
    try:
        template = SlotTemplate(weekday, start_min, end_min, capacity, fee_cents)
    except ValueError as exc:
        field = (
            "weekday"
            if "weekday" in str(exc)
            else "capacity"
            if "capacity" in str(exc)
            else "fee_cents"
            if "fee" in str(exc)
            else "end"
        )
        raise ValidationError(FieldError(field, str(exc))) from None
    for other in zone.templates:
        existing = SlotTemplate(
            other.weekday, other.start_min, other.end_min, other.capacity, other.fee_cents
        )
        if template.overlaps(existing):
            raise ValidationError(
                FieldError("start", f"overlaps the window of template {other.id}")
            )
    row = DeliverySlotTemplate(
        zone_id=zone.id,
        weekday=weekday,
        start_min=start_min,
        end_min=end_min,
        capacity=capacity,
        fee_cents=fee_cents,
    )
    session.add(row)
    session.flush()
    session.refresh(zone)
    return row


def delete_template(*, session: Session, template_id: int) -> None:
    """Delete a weekly window (slots already generated stay). Raises NotFound."""
    row = session.get(DeliverySlotTemplate, template_id)
    if row is None:
        raise NotFound("slot template", template_id, field="template_id")
    session.delete(row)


def generate_zone_slots(
    *, session: Session, days: int, first_day: dt.date | None = None
) -> dict[str, int]:
    """Create the slots of every zone's templates for ``days`` days from ``first_day``
    (tomorrow by default); slots that exist are kept. Returns new slots per zone code.

    Raises ValidationError naming ``days``.
    """
    if not 1 <= days <= 90:
        raise ValidationError(FieldError("days", "must be between 1 and 90"))
    start = first_day or local_today() + dt.timedelta(days=1)
    created: dict[str, int] = {}
    for zone in list_zones(session=session):
        templates = list(zone.templates)
        instances = generate_slots(
            [
                SlotTemplate(t.weekday, t.start_min, t.end_min, t.capacity, t.fee_cents)
                for t in templates
            ],
            first_day=start,
            days=days,
            country=zone.country,
        )
        existing = {
            (day, start_min, end_min)
            for day, start_min, end_min in session.execute(
                select(DeliverySlot.day, DeliverySlot.start_min, DeliverySlot.end_min).where(
                    DeliverySlot.zone_id == zone.id,
                    DeliverySlot.day >= start,
                    DeliverySlot.day < start + dt.timedelta(days=days),
                )
            )
        }
        count = 0
        for inst in instances:
            if (inst.day, inst.start, inst.end) in existing:
                continue
            session.add(
                DeliverySlot(
                    zone_id=zone.id,
                    template_id=templates[inst.template].id,
                    day=inst.day,
                    start_min=inst.start,
                    end_min=inst.end,
                    capacity=inst.capacity,
                    booked=0,
                    fee_cents=inst.fee_cents,
                )
            )
            count += 1
        created[zone.code] = count
    session.flush()
    return created


def list_slots(
    *,
    session: Session,
    zone_id: int | None = None,
    day_from: dt.date | None = None,
    day_to: dt.date | None = None,
    available_only: bool = False,
    limit: int = 50,
    offset: int = 0,
) -> tuple[Sequence[DeliverySlot], int]:
    """Return one page of slots by day and time, and the total count."""
    query = select(DeliverySlot)
    if zone_id is not None:
        query = query.where(DeliverySlot.zone_id == zone_id)
    if day_from is not None:
        query = query.where(DeliverySlot.day >= day_from)
    if day_to is not None:
        query = query.where(DeliverySlot.day <= day_to)
    if available_only:
        query = query.where(DeliverySlot.booked < DeliverySlot.capacity)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(DeliverySlot.day, DeliverySlot.start_min, DeliverySlot.id)
        .limit(limit)
        .offset(offset)
    ).all()
    return rows, total


def _take_place(session: Session, slot_id: int) -> bool:
    result = session.execute(
        update(DeliverySlot)
        .execution_options(synchronize_session=False)
        .where(DeliverySlot.id == slot_id, DeliverySlot.booked < DeliverySlot.capacity)
        .values(booked=DeliverySlot.booked + 1)
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def _give_place(session: Session, slot_id: int) -> None:
    session.execute(
        update(DeliverySlot)
        .execution_options(synchronize_session=False)
        .where(DeliverySlot.id == slot_id, DeliverySlot.booked > 0)
        .values(booked=DeliverySlot.booked - 1)
    )


def active_booking(*, session: Session, order_id: int) -> DeliverySlotBooking | None:
    """Return the order's booked slot, if any."""
    return session.scalar(
        select(DeliverySlotBooking).where(
            DeliverySlotBooking.order_id == order_id,
            DeliverySlotBooking.status == BookingStatus.BOOKED,
        )
    )


def book_slot(*, session: Session, slot_id: int, number: str, actor: str) -> DeliverySlotBooking:
    """Book an order in a slot (moving it from its previous slot, if any) and tell the
    customer. The place is taken by a conditional update, so a slot never holds more
    bookings than its capacity, whatever the concurrency.

    Raises NotFound (slot, order), ValidationError naming ``order`` (address outside the
    slot's zone), Conflict (slot full or past, order closed or already in this slot).
    """
    slot = session.get(DeliverySlot, slot_id)
    if slot is None:
        raise NotFound("slot", slot_id, field="slot_id")
    order = orders.get_order_for_update(session=session, number=number)
    if OrderStatus(order.status) not in OPEN_STATUSES:
        raise Conflict(f"order {order.number} is {order.status}: its delivery cannot be booked")
    if slot.day <= local_today():
        raise Conflict(f"slot {slot.id} is on {slot.day}: book a slot from tomorrow")
    zone = _zone_of(session, order.ship_country, order.ship_postcode)
    if zone is None or zone.id != slot.zone_id:
        raise ValidationError(
            FieldError(
                "order",
                f"order {order.number} ships to {order.ship_postcode}, outside zone "
                f"{slot.zone.code}",
            )
        )
    previous = active_booking(session=session, order_id=order.id)
    if previous is not None and previous.slot_id == slot.id:
        raise Conflict(f"order {order.number} is already booked in slot {slot.id}")
    if not _take_place(session, slot.id):
        raise Conflict(f"slot {slot.id} is full")
    now = clock.now()
    if previous is not None:
        previous.status = BookingStatus.CANCELLED.value
        previous.cancelled_at = now
        _give_place(session, previous.slot_id)
    booking = DeliverySlotBooking(
        slot_id=slot.id,
        order_id=order.id,
        status=BookingStatus.BOOKED.value,
        created_at=now,
        created_by=actor,
    )
    session.add(booking)
    session.flush()
    session.refresh(slot)
    window = f"{slot.start_min // 60:02d}:{slot.start_min % 60:02d}-{slot.end_min // 60:02d}:" + (
        f"{slot.end_min % 60:02d}"
    )
    timeline.notify_customer(
        session=session,
        order=order,
        topic="delivery.slot_booked",
        context={"day": slot.day, "start": window[:5], "end": window[6:]},
        extra={"slot": slot.id, "day": slot.day.isoformat(), "window": window},
    )
    session.refresh(booking)
    return booking


def cancel_booking(*, session: Session, booking_id: int) -> DeliverySlotBooking:
    """Cancel a booking and free its place. Raises NotFound, Conflict if not booked."""
    booking = session.get(DeliverySlotBooking, booking_id)
    if booking is None:
        raise NotFound("slot booking", booking_id, field="booking_id")
    claimed = session.execute(
        update(DeliverySlotBooking)
        .execution_options(synchronize_session=False)
        .where(
            DeliverySlotBooking.id == booking_id, DeliverySlotBooking.status == BookingStatus.BOOKED
        )
        .values(status=BookingStatus.CANCELLED.value, cancelled_at=clock.now())
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict(f"booking {booking_id} is {booking.status}, not booked")
    _give_place(session, booking.slot_id)
    session.refresh(booking)
    session.refresh(booking.slot)
    return booking


def on_order_cancelled(session: Session, payload: dict[str, Any]) -> None:
    """Free the slot of a cancelled order (subscribed to ``order.cancelled``; its click &
    collect units are freed by :func:`maillon.delivery.service.collect.on_order_cancelled`)."""
    booking = active_booking(session=session, order_id=payload["order_id"])
    if booking is not None:
        cancel_booking(session=session, booking_id=booking.id)
