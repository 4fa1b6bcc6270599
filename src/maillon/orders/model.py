"""Orders (pure): the status machine and the shape of an incoming order."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from maillon.core.errors import InvalidTransition
from maillon.orders.choice import HOME, DeliveryChoice


class OrderStatus(StrEnum):
    """Where an order is in the chain."""

    CONFIRMED = "confirmed"  # accepted, validated, customer told
    BACKORDERED = "backordered"  # waiting for stock
    ALLOCATED = "allocated"  # units reserved in a warehouse
    PICKING = "picking"  # a pick list is out
    PACKED = "packed"  # in its parcel(s), labelled
    SHIPPED = "shipped"  # handed to the carrier
    DELIVERED = "delivered"  # the carrier says it arrived
    CANCELLED = "cancelled"  # stopped; reserved stock released


class AllocationStatus(StrEnum):
    """Where units reserved for an order line are."""

    RESERVED = "reserved"  # held on their stock record for the order
    SHIPPED = "shipped"  # left the building with the order
    RELEASED = "released"  # given back to stock (cancelled, short-picked)


class HoldStatus(StrEnum):
    """Where a checkout hold is."""

    ACTIVE = "active"  # its units are held for the cart
    CONFIRMED = "confirmed"  # turned into an order (its units are the order's allocations)
    RELEASED = "released"  # the cart was abandoned: units back to stock
    EXPIRED = "expired"  # not confirmed in time: units back to stock


TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    OrderStatus.CONFIRMED: frozenset(
        {OrderStatus.ALLOCATED, OrderStatus.BACKORDERED, OrderStatus.CANCELLED}
    ),
    OrderStatus.BACKORDERED: frozenset(
        {OrderStatus.ALLOCATED, OrderStatus.BACKORDERED, OrderStatus.CANCELLED}
    ),
    OrderStatus.ALLOCATED: frozenset({OrderStatus.PICKING, OrderStatus.CANCELLED}),
    OrderStatus.PICKING: frozenset({OrderStatus.PACKED, OrderStatus.CANCELLED}),
    OrderStatus.PACKED: frozenset({OrderStatus.SHIPPED, OrderStatus.CANCELLED}),
    OrderStatus.SHIPPED: frozenset({OrderStatus.DELIVERED}),
    OrderStatus.DELIVERED: frozenset(),
    OrderStatus.CANCELLED: frozenset(),
}

OPEN_STATUSES = frozenset(
    {
        OrderStatus.CONFIRMED,
        OrderStatus.BACKORDERED,
        OrderStatus.ALLOCATED,
        OrderStatus.PICKING,
        OrderStatus.PACKED,
    }
)


def can_transition(current: OrderStatus, target: OrderStatus) -> bool:
    """Return True if an order may go from ``current`` to ``target``."""
    return target in TRANSITIONS[current]


def ensure_transition(current: OrderStatus, target: OrderStatus) -> None:
    """Raise InvalidTransition unless an order may go from ``current`` to ``target``."""
    if not can_transition(current, target):
        raise InvalidTransition("order", current.value, target.value)


def order_number(order_id: int) -> str:
    """Return the public number of the order with database id ``order_id``."""
    return f"M{order_id:07d}"


def parse_order_number(number: str) -> int | None:
    """Return the database id inside an order number (``M0000042`` or ``42``), or None."""
    text = number.strip().upper()
    if text.startswith("M"):
        text = text[1:]
    return int(text) if text.isdigit() and 0 < len(text) <= 12 else None


@dataclass(frozen=True)
class AddressDraft:
    """A delivery address as received."""

    name: str
    line1: str
    postcode: str
    city: str
    country: str = "FR"
    line2: str = ""
    phone: str = ""


@dataclass(frozen=True)
class LineDraft:
    """One order line as received."""

    sku: str
    quantity: int
    unit_price_cents: int | None = None


@dataclass(frozen=True)
class OrderDraft:
    """An order as received from a channel, before validation."""

    email: str
    customer_name: str
    address: AddressDraft
    lines: tuple[LineDraft, ...]
    channel: str = "api"
    external_id: str | None = None
    phone: str = ""
    currency: str = "EUR"
    note: str = ""
    ship_complete: bool = False
    # how the customer asked to be delivered (home when the channel says nothing)
    delivery: DeliveryChoice = HOME
    # What the storefront knew of the buyer (ip, device_id, card_fingerprint, billing_postcode,
    # billing_country, session_id...): passed on with the ``order.created`` event for fraud
    # scoring and attribution, not stored on the order.
    signals: dict[str, str] = field(default_factory=dict)


def default_promise(
    created: datetime, *, cutoff_hour_utc: int = 13, transit_days: int = 2
) -> datetime:
    """Return a simple delivery promise: ship today before the cut-off, else next working day,
    then ``transit_days`` working days (Monday-Friday). Carrier-aware promises come from
    the shipping package; this is the default when none is known."""
    day = created
    if created.hour >= cutoff_hour_utc or day.weekday() >= 5:
        day = _next_working_day(day)
    for _ in range(transit_days):
        day = _next_working_day(day)
    return day.replace(hour=18, minute=0, second=0, microsecond=0)


def _next_working_day(day: datetime) -> datetime:
    day = day + timedelta(days=1)
    while day.weekday() >= 5:
        day = day + timedelta(days=1)
    return day
