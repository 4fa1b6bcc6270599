"""Shipping (pure): normalised tracking statuses and parcel estimates."""

from __future__ import annotations

from enum import StrEnum


class ShipmentStatus(StrEnum):
    """Where a shipment (an order's parcels from one warehouse) is."""

    PACKED = "packed"  # boxes closed, waiting for a label
    SHIPPED = "shipped"  # handed to the carrier
    DELIVERED = "delivered"
    EXCEPTION = "exception"  # the carrier reported a problem


class TrackingStatus(StrEnum):
    """One status model for every carrier's events, in the order a parcel lives them."""

    LABEL_CREATED = "label_created"
    PICKED_UP = "picked_up"
    IN_TRANSIT = "in_transit"
    OUT_FOR_DELIVERY = "out_for_delivery"
    DELIVERED = "delivered"
    EXCEPTION = "exception"
    RETURNED = "returned"


PROGRESS = {
    TrackingStatus.LABEL_CREATED: 0,
    TrackingStatus.PICKED_UP: 1,
    TrackingStatus.IN_TRANSIT: 2,
    TrackingStatus.EXCEPTION: 2,
    TrackingStatus.OUT_FOR_DELIVERY: 3,
    TrackingStatus.DELIVERED: 4,
    TrackingStatus.RETURNED: 5,
}


TERMINAL = frozenset({TrackingStatus.DELIVERED, TrackingStatus.RETURNED})
"""Statuses a parcel does not leave: a later scan of another kind is a carrier glitch."""


def latest_status(events: list[tuple[object, TrackingStatus]]) -> TrackingStatus | None:
    """Return the parcel's status from its events, or None when there are none.

    Events may arrive out of order; ``events`` are (occurred_at, status) pairs. The status is
    that of the latest event by time (ties: the more advanced), except that a terminal status
    (delivered, returned) sticks: once one is known, only a later terminal event replaces it.
    """
    if not events:
        return None
    terminal = [e for e in events if e[1] in TERMINAL]
    return max(terminal or events, key=lambda e: (e[0], PROGRESS[e[1]]))[1]
