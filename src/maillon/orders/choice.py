"""The customer's delivery choice, as made at checkout and kept with the order (pure).

A :class:`DeliveryChoice` says how the customer asked to be delivered: at home, at a relay
point (its carrier, id and the address snapshot shown at checkout), collected in a store
(click & collect), by express or same-day courier, or at an appointment (a delivery slot).
It carries the carrier and service when the checkout chose one and the promise it showed
(``promised_on``, and the slot's window). An order without a choice is delivered at home,
as before the choice existed.

:func:`check_choice` checks its shape (which fields each method needs or refuses) and
returns it normalised; whether the relay point, store or slot exist is checked by the
package that knows them (delivery), through the resolver registered with
:func:`maillon.orders.service.resolve_choices_with`.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, replace
from enum import StrEnum

from maillon.core.errors import ErrorCollector

__all__ = [
    "HOME",
    "DeliveryChoice",
    "DeliveryMethod",
    "RelayPointChoice",
    "SlotChoice",
    "check_choice",
]

_CODE = re.compile(r"^[a-z0-9][a-z0-9_\-]{0,39}$")


class DeliveryMethod(StrEnum):
    """How the customer asked to be delivered."""

    HOME = "home"  # a carrier's standard service to the shipping address
    RELAY_POINT = "relay_point"  # a relay point or locker the customer picked
    CLICK_COLLECT = "click_collect"  # collected in one of our stores: no carrier
    EXPRESS = "express"  # a carrier's express service to the shipping address
    SAME_DAY = "same_day"  # a same-day courier
    APPOINTMENT = "appointment"  # at an appointment: a delivery slot, or a carrier's


#: methods a delivery slot may come with (slots are windows at the customer's door)
SLOT_METHODS = frozenset({DeliveryMethod.HOME, DeliveryMethod.APPOINTMENT})


@dataclass(frozen=True)
class RelayPointChoice:
    """The relay point chosen: its carrier (network), id, and the address it had then."""

    carrier: str
    point_id: str
    name: str = ""
    address: str = ""
    postcode: str = ""
    city: str = ""
    country: str = "FR"
    opening_hours: str = ""


@dataclass(frozen=True)
class SlotChoice:
    """The delivery slot chosen: the slot's id, and its window once known (aware UTC)."""

    slot_id: int
    start: dt.datetime | None = None
    end: dt.datetime | None = None


@dataclass(frozen=True)
class DeliveryChoice:
    """How the customer asked to be delivered, and what checkout promised them."""

    method: DeliveryMethod = DeliveryMethod.HOME
    carrier: str | None = None
    service: str | None = None
    relay_point: RelayPointChoice | None = None
    store: str | None = None
    slot: SlotChoice | None = None
    promised_on: dt.date | None = None
    price_cents: int | None = None
    # click & collect: the token of the store reservation made at checkout (its units are set
    # aside in the store; the order is linked to it at intake, not allocated elsewhere)
    reservation: str | None = None

    @property
    def is_default(self) -> bool:
        """True for a plain home delivery nobody chose anything about (nothing to store)."""
        return self == HOME


HOME = DeliveryChoice()
"""The choice of an order that made none: home delivery, carrier and service left to us."""


def _code(value: str | None) -> str | None:
    text = (value or "").strip().lower()
    return text or None


def check_choice(
    choice: DeliveryChoice, errors: ErrorCollector, prefix: str = "delivery"
) -> DeliveryChoice:
    """Return ``choice`` normalised (codes trimmed and lower-cased); add to ``errors`` a
    :class:`~maillon.core.errors.FieldError` named ``<prefix>.<field>`` for each field the
    method needs and lacks or refuses: a relay point only and always for ``relay_point``, a
    store only and always for ``click_collect`` (which names no carrier), a slot only at home
    or by appointment, a service only with its carrier."""
    try:
        method = DeliveryMethod(choice.method)
    except ValueError:
        known = ", ".join(m.value for m in DeliveryMethod)
        errors.add(f"{prefix}.method", f"{choice.method!r} is not one of {known}")
        return choice
    carrier, service = _code(choice.carrier), _code(choice.service)
    store = (choice.store or "").strip() or None
    reservation = (choice.reservation or "").strip() or None
    for name, value in (("carrier", carrier), ("service", service)):
        if value is not None and not _CODE.match(value):
            errors.add(f"{prefix}.{name}", "1-40 lower-case letters, digits, - or _")
    if service is not None and carrier is None:
        errors.add(f"{prefix}.carrier", "name the carrier of the service")
    relay = choice.relay_point
    if method is DeliveryMethod.RELAY_POINT:
        relay = _check_relay(relay, carrier, errors, prefix)
    elif relay is not None:
        errors.add(f"{prefix}.relay_point", "only for the relay_point method")
    if method is DeliveryMethod.CLICK_COLLECT:
        if store is None and reservation is None:  # a reservation names its store
            errors.add(f"{prefix}.store", "is required to collect in a store")
        if carrier is not None:
            errors.add(f"{prefix}.carrier", "a click & collect order goes through no carrier")
    elif store is not None:
        errors.add(f"{prefix}.store", "only for the click_collect method")
    if reservation is not None and method is not DeliveryMethod.CLICK_COLLECT:
        errors.add(f"{prefix}.reservation", "only for the click_collect method")
    if choice.slot is not None and method not in SLOT_METHODS:
        errors.add(f"{prefix}.slot", "a delivery slot goes with home or appointment delivery")
    if choice.price_cents is not None and not 0 <= choice.price_cents <= 10**7:
        errors.add(f"{prefix}.price_cents", "must be between 0 and 10000000")
    if relay is not None and carrier is None:
        carrier = relay.carrier
    return replace(
        choice,
        method=method,
        carrier=carrier,
        service=service,
        relay_point=relay,
        store=store,
        reservation=reservation,
    )


def _check_relay(
    relay: RelayPointChoice | None, carrier: str | None, errors: ErrorCollector, prefix: str
) -> RelayPointChoice | None:
    if relay is None:
        errors.add(f"{prefix}.relay_point", "is required for a relay-point delivery")
        return None
    point_id = (relay.point_id or "").strip()
    network = _code(relay.carrier) or carrier
    if not point_id:
        errors.add(f"{prefix}.relay_point.id", "is required")
    if network is None:
        errors.add(f"{prefix}.relay_point.carrier", "name the relay point's carrier")
        return relay
    if carrier is not None and network != carrier:
        errors.add(
            f"{prefix}.relay_point.carrier",
            f"the relay point is a {network} point, the chosen carrier is {carrier}",
        )
    return replace(relay, carrier=network, point_id=point_id)
