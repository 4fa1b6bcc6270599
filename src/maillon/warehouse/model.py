"""The warehouse floor's state machines: pick lists and their lines, waves and their tours,
packing sessions. Tables store the values; code compares with these members, never with bare
strings."""

from __future__ import annotations

from enum import StrEnum


class PickListStatus(StrEnum):
    """Where a pick list is."""

    OPEN = "open"  # out on the floor, lines to pick
    DONE = "done"  # every line picked (in full or short)
    CANCELLED = "cancelled"  # its order was cancelled before it was picked


class PickLineStatus(StrEnum):
    """Where a line of a pick list is."""

    OPEN = "open"  # not picked yet
    DONE = "done"  # picked in full
    SHORT = "short"  # fewer units found than asked


class PickScanOutcome(StrEnum):
    """What a picker's scan at a stop came to."""

    OK = "ok"  # the right location and product, the units confirmed
    SHORT = "short"  # fewer units found than asked
    WRONG_LOCATION = "wrong_location"
    WRONG_BARCODE = "wrong_barcode"  # not the product asked


class WaveStatus(StrEnum):
    """Where a released wave is."""

    RELEASED = "released"  # its tours are out on the floor
    DONE = "done"  # every tour walked


class TourStatus(StrEnum):
    """Where one picker's tour of a wave is."""

    OPEN = "open"
    DONE = "done"


class PackingStatus(StrEnum):
    """Where an order's packing at one warehouse is."""

    OPEN = "open"  # its plan is fixed, units being scanned into cartons
    DONE = "done"  # every unit in its carton, the boxes closed
