"""Rate shopping and promise dates against the database: the functions checkout calls.

* :func:`rate_cards` loads the rate cards of the folder named by ``MAILLON_RATE_CARDS``
  (default: the illustrative examples of ``shipping/data``), cached per process and reloaded
  when a file of the folder changes (by modification times).
* :func:`quote_options` ranks the services of the carriers set up in Maillon (a carrier in
  the database whose code is a card's carrier code; ``maillon shipping carriers-sync``
  creates them) for one parcel and destination under a policy, with the on-time rates we
  measured on our own deliveries (:func:`maillon.shipping.service.history.measured_reliability`).
* :func:`promise_options` returns the ship and delivery dates of every service serving a
  destination for an order placed at a given time (checkout's "delivered on ..." line).
* :func:`parcel_for_order` estimates an order's parcel from its lines.

Errors come from :mod:`maillon.core.errors`: ``ValidationError`` naming the field
(``parcel.weight_g``, ``destination.postcode``, ``service``, ``carriers``...), ``NotFound``.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from maillon.catalog.tables import Product
from maillon.core import clock
from maillon.core.errors import FieldError, ValidationError
from maillon.orders import service as orders
from maillon.orders.tables import Order, OrderLine
from maillon.shipping import rates
from maillon.shipping.carriers import (
    Capability,
    CarrierGateway,
    CarrierQuote,
    ShipmentRequest,
)
from maillon.shipping.promise import (
    DEFAULT_WAREHOUSE,
    Promise,
    WarehouseCalendar,
    promise_date,
)
from maillon.shipping.rates.carrier_quotes import PickedPrice, pick_price
from maillon.shipping.rates.shopping import expected_on_time
from maillon.shipping.tables import Carrier
from maillon.warehouse.cartons import ShippingTariff, estimate_parcel

__all__ = [
    "RATE_CARDS_ENV",
    "RateShop",
    "ServicePromise",
    "card_for",
    "carrier_due_date",
    "carrier_price",
    "carton_tariff",
    "destination_of",
    "make_destination",
    "make_parcel",
    "parcel_for_order",
    "promise_options",
    "quote_options",
    "rate_cards",
    "service_promise",
    "set_up_cards",
    "shop_rates",
]

RATE_CARDS_ENV = "MAILLON_RATE_CARDS"
"""Environment variable naming the rate-card folder (or ``carriers.yaml``)."""

log = logging.getLogger(__name__)

_lock = threading.Lock()
_cache: dict[str, tuple[tuple[tuple[str, int], ...], tuple[rates.RateCard, ...]]] = {}


def _signature(path: Path) -> tuple[tuple[str, int], ...]:
    folder = path if path.is_dir() else path.parent
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in (".yaml", ".yml", ".csv"))
    return tuple((p.name, p.stat().st_mtime_ns) for p in files)


def rate_cards(source: str | Path | None = None) -> tuple[rates.RateCard, ...]:
    """Return the rate cards of ``source`` (default ``$MAILLON_RATE_CARDS`` or the examples).

    Cached per process; a change of any YAML or CSV file of the folder reloads them. Raises
    RateCardError (a ValidationError) naming the file, line and field of a bad value.
    """
    raw = source or os.environ.get(RATE_CARDS_ENV) or rates.EXAMPLE_DATA
    path = Path(raw).expanduser()
    if not path.exists():
        raise ValidationError(FieldError(RATE_CARDS_ENV, f"{path} does not exist"))
    key = str(path.resolve())
    signature = _signature(path)
    with _lock:
        cached = _cache.get(key)
        if cached is not None and cached[0] == signature:
            return cached[1]
    cards = rates.load_rate_cards(path)
    with _lock:
        _cache[key] = (signature, cards)
    return cards


def card_for(code: str, cards: Sequence[rates.RateCard] | None = None) -> rates.RateCard | None:
    """Return the rate card of carrier ``code``, or None when it has none."""
    return next((c for c in cards or rate_cards() if c.carrier == code), None)


def make_parcel(
    *,
    weight_g: int,
    length_mm: int,
    width_mm: int,
    height_mm: int,
    declared_value_cents: int = 0,
    field: str = "parcel",
) -> rates.RateParcel:
    """Return a rates parcel. Raises ValidationError naming ``field.<name>`` of a bad value."""
    prefix = f"{field}." if field else ""
    errors = []
    for name, value in (
        ("weight_g", weight_g),
        ("length_mm", length_mm),
        ("width_mm", width_mm),
        ("height_mm", height_mm),
    ):
        if value <= 0:
            errors.append(FieldError(f"{prefix}{name}", "must be greater than 0"))
    if declared_value_cents < 0:
        errors.append(FieldError(f"{prefix}declared_value_cents", "must be 0 or more"))
    if errors:
        raise ValidationError(errors)
    return rates.RateParcel(weight_g, length_mm, width_mm, height_mm, declared_value_cents)


def make_destination(
    *, country: str, postcode: str, field: str = "destination"
) -> rates.Destination:
    """Return a destination. Raises ValidationError naming ``field.country`` / ``.postcode``.

    French postcodes (FR, and Monaco's 980xx) must have five digits.
    """
    prefix = f"{field}." if field else ""
    country = country.strip().upper()
    if len(country) != 2 or not country.isalpha():
        raise ValidationError(
            FieldError(f"{prefix}country", "must be an ISO 3166 two-letter code such as FR")
        )
    code = "".join(postcode.split())
    if country == "FR" and not (len(code) == 5 and code.isdigit()):
        raise ValidationError(FieldError(f"{prefix}postcode", "a French postcode has 5 digits"))
    try:
        return rates.Destination(country, code)
    except ValueError as exc:
        raise ValidationError(FieldError(f"{prefix}postcode", str(exc))) from None


def destination_of(order: Order) -> rates.Destination:
    """Return the order's shipping destination. Raises ValidationError for a bad address."""
    return make_destination(
        country=order.ship_country, postcode=order.ship_postcode, field="order.shipping_address"
    )


def parcel_for_order(*, session: Session, order: Order) -> rates.RateParcel:
    """Return one parcel estimated from the order's lines, declared at the order's total."""
    rows = session.execute(
        select(
            OrderLine.quantity,
            Product.weight_g,
            Product.length_mm,
            Product.width_mm,
            Product.height_mm,
        )
        .join(Product, Product.id == OrderLine.product_id)
        .where(OrderLine.order_id == order.id)
        .order_by(OrderLine.line_no)
    ).all()
    items = [(int(q), int(w), int(a), int(b), int(c)) for q, w, a, b, c in rows if q > 0]
    if not items:
        raise ValidationError(FieldError("order", "the order has no lines to ship"))
    weight, length, width, height = estimate_parcel(items)
    return rates.RateParcel(weight, length, width, height, max(order.total_cents, 0))


def carton_tariff(*, session: Session, order: Order) -> ShippingTariff | None:
    """Return the shipping price the carton choice weighs for ``order``: per chargeable gram,
    the cheapest home-delivery service (standard or express) of the carriers set up that
    serves the order's address, with that service's dimensional divisor; None when no rate
    card serves it (the packer's default tariff applies)."""
    try:
        destination = destination_of(order)
    except ValidationError:
        return None
    cards, _ = _chosen_cards(session, None)
    home = (rates.ServiceKind.STANDARD, rates.ServiceKind.EXPRESS)
    services = [
        (card, service)
        for card in cards
        for service in card.services
        if service.kind in home and card.zone_for(destination) is not None
    ]
    if not services:
        return None
    prices: dict[int, float] = {}

    def cheapest(grams: int) -> tuple[float, int | None]:
        best: tuple[float, int | None] = (math.inf, None)
        parcel = rates.RateParcel(max(grams, 1), 100, 100, 100)
        for card, service in services:
            priced = rates.quote(card, service, parcel, destination)
            if isinstance(priced, rates.Quote) and priced.total_cents < best[0]:
                best = (float(priced.total_cents), service.dim_divisor)
        return best

    def price(grams: int) -> float:
        if grams not in prices:
            prices[grams] = cheapest(grams)[0]
        return prices[grams]

    divisor = cheapest(1000)[1]
    return ShippingTariff(price=price, divisor=float(divisor) if divisor else 1e12)


def _set_up(session: Session) -> set[str]:
    return set(session.scalars(select(Carrier.code)).all())


def set_up_cards(session: Session) -> list[rates.RateCard]:
    """Return the rate cards of the carriers set up in Maillon (a row of ``carriers`` with the
    card's code): the only carriers shipping can buy a label from, hence the only ones a
    checkout may offer."""
    return _chosen_cards(session, None)[0]


def _chosen_cards(
    session: Session, carriers: Sequence[str] | None
) -> tuple[list[rates.RateCard], list[rates.Exclusion]]:
    cards = rate_cards()
    known = {c.carrier for c in cards}
    if carriers:
        unknown = [c for c in carriers if c not in known]
        if unknown:
            raise ValidationError(FieldError("carriers", f"no rate card for {', '.join(unknown)}"))
        cards = tuple(c for c in cards if c.carrier in carriers)
    present = _set_up(session)
    usable = [c for c in cards if c.carrier in present]
    excluded = [
        rates.Exclusion(
            card.carrier,
            service.code,
            rates.ExclusionReason.NOT_SET_UP,
            f"{card.name} is not set up in Maillon (maillon shipping carriers-sync)",
        )
        for card in cards
        if card.carrier not in present
        for service in card.services
    ]
    return usable, excluded


def quote_options(
    *,
    session: Session,
    parcel: rates.RateParcel,
    destination: rates.Destination,
    policy: rates.ShoppingPolicy = rates.DEFAULT_POLICY,
    ordered_at: dt.datetime | None = None,
    carriers: Sequence[str] | None = None,
    warehouse: WarehouseCalendar = DEFAULT_WAREHOUSE,
    history_days: int = 180,
) -> rates.ShoppingResult:
    """Return the services able to carry ``parcel`` to ``destination``, ranked by ``policy``.

    Only carriers set up in Maillon are quoted (the others are excluded as ``not_set_up``);
    ``carriers`` narrows them further. Each quote has its price breakdown, its promise for an
    order at ``ordered_at`` (default now) and the on-time rate measured on our deliveries of
    the last ``history_days`` days (shrunk to the policy's prior for small samples); the
    result explains the choice. Raises ValidationError (``carriers``, ``ordered_at``).
    """
    from maillon.shipping.service.history import measured_reliability

    at = ordered_at or clock.now()
    if at.tzinfo is None:
        raise ValidationError(FieldError("ordered_at", "must carry a timezone (e.g. Z)"))
    cards, not_set_up = _chosen_cards(session, carriers)
    reliability = measured_reliability(
        session=session, since=clock.now() - dt.timedelta(days=history_days)
    )
    result = rates.shop(
        cards,
        parcel,
        destination,
        ordered_at=at,
        policy=policy,
        reliability=reliability,
        warehouse=warehouse,
    )
    if not not_set_up:
        return result
    excluded = (*result.excluded, *not_set_up)
    reason = result.reason
    if not result.quotes:
        reason = _no_service_reason(excluded)
    return rates.ShoppingResult(result.policy, result.quotes, excluded, reason)


def _no_service_reason(excluded: Sequence[rates.Exclusion]) -> str:
    counts: dict[str, int] = {}
    for e in excluded:
        counts[e.reason.value] = counts.get(e.reason.value, 0) + 1
    detail = ", ".join(f"{n} {r.replace('_', ' ')}" for r, n in sorted(counts.items()))
    return f"No service can carry this parcel ({detail or 'no services'})."


@dataclass(frozen=True, slots=True)
class ServicePromise:
    """One service's promise for a destination: ship date and estimated delivery date."""

    carrier: str
    service: str
    service_name: str
    kind: rates.ServiceKind
    zone: str
    promise: Promise
    on_time_rate: float = rates.DEFAULT_POLICY.prior_on_time
    on_time_samples: int = 0


def promise_options(
    *,
    session: Session,
    destination: rates.Destination,
    ordered_at: dt.datetime | None = None,
    carrier: str | None = None,
    service: str | None = None,
    warehouse: WarehouseCalendar = DEFAULT_WAREHOUSE,
    history_days: int = 180,
) -> list[ServicePromise]:
    """Return the promise of every set-up service serving ``destination``, earliest first,
    with the on-time rate measured on our deliveries of the last ``history_days`` days
    (shrunk to the default policy's prior for small samples).

    ``ordered_at`` defaults to now; ``carrier`` and ``service`` narrow the answer (a service
    code alone matches it at every carrier). Raises ValidationError naming ``carrier`` or
    ``service`` when they are unknown or do not serve the destination.
    """
    at = ordered_at or clock.now()
    if at.tzinfo is None:
        raise ValidationError(FieldError("ordered_at", "must carry a timezone (e.g. Z)"))
    cards, _ = _chosen_cards(session, None)
    if carrier is not None:
        cards = [c for c in cards if c.carrier == carrier]
        if not cards:
            raise ValidationError(
                FieldError("carrier", f"{carrier!r} is not a carrier with a rate card set up")
            )
    from maillon.shipping.service.history import measured_reliability

    # how often each service kept its promise lately, for the customer choosing one
    reliability = measured_reliability(
        session=session, since=clock.now() - dt.timedelta(days=history_days)
    )
    options: list[ServicePromise] = []
    matched = False
    for card in cards:
        zone = card.zone_for(destination)
        for svc in card.services:
            if service is not None and svc.code != service:
                continue
            matched = True
            rate = svc.rate_for(zone.code) if zone is not None else None
            if zone is None or rate is None:
                continue
            on_time, samples = expected_on_time(reliability, card.carrier, svc.code, zone.code)
            options.append(
                ServicePromise(
                    carrier=card.carrier,
                    service=svc.code,
                    service_name=svc.name,
                    kind=svc.kind,
                    zone=zone.code,
                    promise=service_promise(
                        svc, rate.transit_days, destination, ordered_at=at, warehouse=warehouse
                    ),
                    on_time_rate=on_time,
                    on_time_samples=samples,
                )
            )
    if service is not None and not matched:
        raise ValidationError(FieldError("service", f"no set-up carrier has service {service!r}"))
    if service is not None and not options:
        where = f"{destination.country} {destination.postal_code}".strip()
        raise ValidationError(FieldError("service", f"{service!r} does not serve {where}"))
    options.sort(key=lambda o: (o.promise.delivery_date, o.carrier, o.service))
    return options


def service_promise(
    svc: rates.Service,
    transit_days: int,
    destination: rates.Destination,
    *,
    ordered_at: dt.datetime,
    warehouse: WarehouseCalendar = DEFAULT_WAREHOUSE,
) -> Promise:
    """Return the promise of ``svc`` for an order at ``ordered_at`` (cut-offs, holidays)."""
    return promise_date(
        ordered_at=ordered_at,
        transit_days=transit_days,
        warehouse=warehouse,
        carrier_cutoff=svc.cutoff,
        saturday_pickup=svc.saturday_pickup,
        saturday_delivery=svc.saturday_delivery,
        destination_country=destination.country,
        destination_postal_code=destination.postal_code,
    )


_HANDOVER = WarehouseCalendar(cutoff=dt.time(23, 59, 59), working_weekdays=frozenset(range(7)))


def carrier_due_date(
    svc: rates.Service,
    transit_days: int,
    destination: rates.Destination,
    *,
    shipped_at: dt.datetime,
) -> dt.date:
    """Return the day the carrier should deliver a parcel handed over at ``shipped_at``."""
    return promise_date(
        ordered_at=shipped_at,
        transit_days=transit_days,
        warehouse=_HANDOVER,
        saturday_pickup=True,
        saturday_delivery=svc.saturday_delivery,
        destination_country=destination.country,
        destination_postal_code=destination.postal_code,
    ).delivery_date


@dataclass(frozen=True, slots=True)
class RateShop:
    """A rate shop and what it was run on (the parcel may have been estimated from an order)."""

    parcel: rates.RateParcel
    destination: rates.Destination
    order: str | None
    result: rates.ShoppingResult


def shop_rates(
    *,
    session: Session,
    order_number: str | None = None,
    parcel: rates.RateParcel | None = None,
    destination: rates.Destination | None = None,
    policy: rates.ShoppingPolicy = rates.DEFAULT_POLICY,
    ordered_at: dt.datetime | None = None,
    carriers: Sequence[str] | None = None,
) -> RateShop:
    """Rate-shop an order (its parcel estimated from its lines, its address) or a parcel.

    Give ``order_number``, or both ``parcel`` and ``destination`` (a given parcel or
    destination overrides the order's). Raises ValidationError (``order``, ``parcel``,
    ``destination``...), NotFound (``order``).
    """
    if order_number is not None:
        order = orders.get_order(session=session, number=order_number, field="order")
        parcel = parcel or parcel_for_order(session=session, order=order)
        destination = destination or destination_of(order)
        ordered_at = ordered_at or clock.now()
    elif parcel is None or destination is None:
        missing = "parcel" if parcel is None else "destination"
        raise ValidationError(FieldError(missing, "give an order, or a parcel and a destination"))
    result = quote_options(
        session=session,
        parcel=parcel,
        destination=destination,
        policy=policy,
        ordered_at=ordered_at,
        carriers=carriers,
    )
    return RateShop(parcel, destination, order_number, result)


def carrier_price(
    gateway: CarrierGateway, request: ShipmentRequest, *, rate_card_cents: int
) -> PickedPrice:
    """Return the price of ``request``'s parcel and service: the carrier API's quote when the
    gateway quotes rates (:attr:`Capability.RATES`) and quotes that service, else the rate
    card's ``rate_card_cents``. Any failure of the API (unavailable, refused, garbage) falls
    back to the card, logged: a quote is never worth failing a shipment.

    Asked when a label is bought, not at checkout: the customer would wait for every
    carrier's API there (:func:`set_up_cards`)."""
    answer: Sequence[CarrierQuote] | Exception | None = None
    if Capability.RATES in gateway.capabilities:
        try:
            answer = gateway.quote(request)
        except Exception as exc:  # the card prices it; the label is still bought
            log.warning("%s: no quote for %s, rate card used: %s", gateway.code, request.sscc, exc)
            answer = exc
    return pick_price(gateway.code, request.service, quotes=answer, rate_card_cents=rate_card_cents)
