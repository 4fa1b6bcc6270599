"""Weight-sensing shelves (pure): grams to units, and what a reading says about the ledger.

A shelf sensor weighs one product at one location. Units = (grams - tare) / unit weight,
rounded to the nearest unit; the reading is trusted only when it falls close to a whole
number of units (within ``tolerance_fraction`` of a unit), since half a product on a scale
means something else is there. A trusted reading that differs from the ledger by more than
``tolerance_units`` raises a discrepancy; one at or below ``min_units`` asks for the pick face
to be replenished. A sensor that sends nothing for longer than its reporting interval is
silent (:func:`silent_for`): its shelf is no longer watched.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class ShelfConfig:
    """How to read one sensor. Raises ValueError for impossible settings."""

    unit_weight_g: int
    tare_g: int = 0
    tolerance_fraction: float = 0.35
    tolerance_units: int = 0
    min_units: int = 0

    def __post_init__(self) -> None:
        if self.unit_weight_g <= 0:
            raise ValueError("unit_weight_g must be > 0")
        if self.tare_g < 0:
            raise ValueError("tare_g must be >= 0")
        if not 0 < self.tolerance_fraction <= 0.5:
            raise ValueError("tolerance_fraction must be in (0, 0.5]")
        if self.tolerance_units < 0 or self.min_units < 0:
            raise ValueError("tolerance_units and min_units must be >= 0")


@dataclass(frozen=True)
class ShelfReading:
    """Units seen on the shelf, and whether the weight looked like whole units."""

    units: int
    trusted: bool
    residual_g: float


def units_from_grams(grams: float, config: ShelfConfig) -> ShelfReading:
    """Return the units a weight stands for. Raises ValueError for a negative weight."""
    if grams < 0:
        raise ValueError("grams must be >= 0")
    net = max(0.0, grams - config.tare_g)
    exact = net / config.unit_weight_g
    units = int(exact + 0.5)
    residual = (exact - units) * config.unit_weight_g
    return ShelfReading(units, abs(exact - units) <= config.tolerance_fraction, residual)


@dataclass(frozen=True)
class ShelfVerdict:
    """What to do about a reading: raise a discrepancy, replenish, or nothing."""

    discrepancy: bool
    replenish: bool
    difference: int


def assess(reading: ShelfReading, ledger_on_hand: int, config: ShelfConfig) -> ShelfVerdict:
    """Compare a reading with the ledger's on-hand units for the same shelf.

    An untrusted reading is itself a discrepancy (something unexpected lies on the shelf).
    """
    difference = reading.units - ledger_on_hand
    discrepancy = (not reading.trusted) or abs(difference) > config.tolerance_units
    replenish = reading.trusted and reading.units <= config.min_units
    return ShelfVerdict(discrepancy, replenish, difference)


def silent_for(
    *,
    now: datetime,
    last_seen_at: datetime | None,
    registered_at: datetime | None,
    interval_minutes: int,
) -> timedelta | None:
    """Return how long a sensor has been silent beyond what its ``interval_minutes`` allows
    (from the last reading it sent, else from its registration), or ``None`` while it is not
    overdue or nothing says since when to count. Raises ValueError for an interval below 1."""
    if interval_minutes < 1:
        raise ValueError("interval_minutes must be >= 1")
    since = last_seen_at or registered_at
    if since is None:
        return None
    quiet = now - since
    return quiet if quiet > timedelta(minutes=interval_minutes) else None
