"""Slots and SKUs as slotting sees them, and what one pick from a slot costs.

``Slot`` (a pick face with its capacities, zone, ergonomic class, blocked / fixed flags),
``Sku`` (velocity, cube, weight, pick face, current slot, zone) with ``Sku.fits(slot)``, and
``slot_travel``, the per-pick walking estimate named by ``TRAVELS`` (see the package
docstring).  Putaway reads the same slots.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from maillon.warehouse.layout import Layout, PickLocation

TRAVELS: tuple[str, ...] = ("round_trip", "within_aisle")
"""Names accepted by ``SlottingProblem.travel`` (the per-pick slot cost estimate)."""

EPS = 1e-9


def _check_capacity(owner: str, name: str, value: float | None) -> None:
    if value is not None and (not math.isfinite(value) or value < 0):
        raise ValueError(f"{owner}: {name} = {value!r} must be a finite number >= 0 or None.")


def check_nonneg(owner: str, name: str, value: float) -> None:
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"{owner}: {name} = {value!r} must be a finite number >= 0.")


@dataclass(frozen=True, slots=True)
class Slot:
    """One storage slot (pick face).

    Attributes:
        id: unique label (bin code).
        location: where it is; several slots may share a location (levels of one bay).
        volume: capacity in volume (``None``: unlimited).
        max_units: capacity in units (``None``: unlimited).
        max_weight: capacity in weight (``None``: unlimited).
        zone: restriction zone (``"cold"``, ``"hazmat"``, ...); ``None`` is the general zone.
        ergonomic_class: 0 is the golden zone (waist height), higher is less convenient.
        blocked: no SKU may be put here (a SKU currently here must leave).
        fixed: the SKU currently here stays (an empty fixed slot stays empty).
        mixing: putaway may put several SKUs here (slotting never does).

    Raises:
        ValueError: if ``id`` is empty, a capacity is negative or not finite,
            ``ergonomic_class`` is negative, or the slot is both blocked and fixed.
    """

    id: str
    location: PickLocation
    volume: float | None = None
    max_units: int | None = None
    max_weight: float | None = None
    zone: str | None = None
    ergonomic_class: int = 0
    blocked: bool = False
    fixed: bool = False
    mixing: bool = False

    def __post_init__(self) -> None:
        if not self.id:
            raise ValueError("Slot.id must be a non-empty string.")
        owner = f"Slot {self.id!r}"
        _check_capacity(owner, "volume", self.volume)
        _check_capacity(owner, "max_weight", self.max_weight)
        if self.max_units is not None and self.max_units < 0:
            raise ValueError(f"{owner}: max_units = {self.max_units!r} must be >= 0 or None.")
        if self.ergonomic_class < 0:
            raise ValueError(f"{owner}: ergonomic_class = {self.ergonomic_class!r} must be >= 0.")
        if self.blocked and self.fixed:
            raise ValueError(f"{owner}: a slot cannot be both blocked and fixed.")

    def room(self, *, unit_cube: float, unit_weight: float, used: tuple[float, int, float]) -> int:
        """Return how many more units of that cube and weight fit, given ``used``.

        ``used`` is (volume, units, weight) already in the slot.  Returns ``2**62`` when no
        capacity limits the count.  Zones and blocking are not checked here.
        """
        used_volume, used_units, used_weight = used
        fit = 2**62
        if self.volume is not None and unit_cube > 0:
            fit = min(fit, math.floor((self.volume - used_volume) / unit_cube + EPS))
        if self.max_units is not None:
            fit = min(fit, self.max_units - used_units)
        if self.max_weight is not None and unit_weight > 0:
            fit = min(fit, math.floor((self.max_weight - used_weight) / unit_weight + EPS))
        return max(fit, 0)


@dataclass(frozen=True, slots=True)
class Sku:
    """One SKU as slotting sees it.

    Attributes:
        id: unique SKU code.
        picks: order lines per period (the velocity).
        units: units sold per period (for the cube-per-order index).
        unit_cube: volume of one unit (0: unknown, the SKU then counts as one slot of space).
        unit_weight: weight of one unit.
        face_units: units its pick face must hold (checked against slot capacity).
        current: id of the slot holding it now (``None``: not slotted yet).
        zone: restriction zone it needs (``None``: general).

    Raises:
        ValueError: if ``id`` is empty, a number is negative or not finite, or
            ``face_units < 1``.
    """

    id: str
    picks: float
    units: float = 0.0
    unit_cube: float = 0.0
    unit_weight: float = 0.0
    face_units: int = 1
    current: str | None = None
    zone: str | None = None

    def __post_init__(self) -> None:
        if not self.id:
            raise ValueError("Sku.id must be a non-empty string.")
        owner = f"Sku {self.id!r}"
        for name in ("picks", "units", "unit_cube", "unit_weight"):
            check_nonneg(owner, name, getattr(self, name))
        if self.face_units < 1:
            raise ValueError(f"{owner}: face_units = {self.face_units!r} must be >= 1.")

    @property
    def space(self) -> float:
        """Return the space COI charges: cube moved per period, or 1 (one slot) if unknown."""
        return self.units * self.unit_cube if self.units > 0 and self.unit_cube > 0 else 1.0

    @property
    def coi(self) -> float:
        """Return Heskett's cube-per-order index ``space / picks`` (``inf`` with no pick)."""
        return self.space / self.picks if self.picks > 0 else math.inf

    def fits(self, slot: Slot) -> bool:
        """Return whether this SKU may be slotted in ``slot`` (zone, blocking, capacity)."""
        if slot.blocked or slot.zone != self.zone:
            return False
        room = slot.room(unit_cube=self.unit_cube, unit_weight=self.unit_weight, used=(0, 0, 0))
        return room >= self.face_units


def slot_travel(layout: Layout, location: PickLocation, *, travel: str = "round_trip") -> float:
    """Return the expected walking metres of one pick at ``location`` (see module docstring).

    Raises:
        ValueError: if ``travel`` is unknown or the location is not in ``layout``.
    """
    if travel == "round_trip":
        return 2.0 * layout.distance(layout.depot, location)
    if travel == "within_aisle":
        layout.check_pick(location)
        across = abs(layout.aisles[location.aisle].x - layout.depot.x) + layout.depot.offset
        return 2.0 * across + layout.aisle_length
    raise ValueError(f"travel = {travel!r} not understood; choose one of {TRAVELS}.")
