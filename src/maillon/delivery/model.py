"""Delivery's state machines (pure): slot bookings, click & collect reservations, route stops
and courier jobs. Tables store the values; code compares with these members."""

from __future__ import annotations

from enum import StrEnum


class BookingStatus(StrEnum):
    """Where an order's booking of a delivery slot is."""

    BOOKED = "booked"
    CANCELLED = "cancelled"  # the order was cancelled, or booked another slot


class CollectStatus(StrEnum):
    """Where a click & collect reservation is."""

    ACTIVE = "active"  # its units wait in the store
    COLLECTED = "collected"  # the customer took them: they left the stock
    RELEASED = "released"  # given back to stock (cancelled)
    EXPIRED = "expired"  # not collected in time: given back to stock


class StopStatus(StrEnum):
    """Where a stop of a last-mile route is."""

    PLANNED = "planned"  # on a vehicle's route
    SERVED = "served"  # delivered
    UNASSIGNED = "unassigned"  # no vehicle could take it


class CourierJobStatus(StrEnum):
    """Where an express courier job is."""

    OPEN = "open"
    ASSIGNED = "assigned"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"


class RelayKind(StrEnum):
    """What a pick-up point is: a shop that keeps parcels, or an automatic parcel locker."""

    RELAY = "relay"
    LOCKER = "locker"
