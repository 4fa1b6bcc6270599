"""A warehouse layout as a merchant writes it (YAML or JSON), and its location codes.

The file describes the parallel-aisle building of :mod:`maillon.warehouse.layout` in the
terms of the floor: how many aisles, how long, how far apart, how many blocks, where the depot
is, how long a bay is and how many levels a rack has, plus optional zones. Every location code
of the warehouse follows one scheme::

    [letters]<aisle>-<bay>[-<level>]      e.g.  A03-12-2,  B02-03,  7-15

``aisle`` counts from 1 (left to right), ``bay`` from 1 at the front; odd bays are on the
picker's left, even bays on the right, facing each other (bays 1 and 2 share the first bay
position). ``level`` counts from 1 (the floor); level 2 is the "golden zone" at waist height
when ``golden_levels`` says so. The letters are free (a zone or building prefix). A code that
does not fit the scheme, or points outside the racks, simply has no position: it is routed
last, by code.

Example (YAML)::

    aisles: 12
    aisle_length: 30      # metres, front to back cross-aisle
    aisle_spacing: 3.0    # metres between aisle centre lines
    blocks: 2             # one middle cross-aisle
    depot: {aisle: 1, offset: 2.0}
    bay_length: 1.0
    levels: 4
    golden_levels: [2, 3]
    slot_volume_l: 120    # optional: litres one location holds (putaway capacity)
    prefix: A
    zones:
      - {name: cold, aisles: [11, 12]}

This module is pure: ``LayoutSpec.parse(data)`` validates a decoded document and raises
``ValidationError`` naming the offending field.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from maillon.core.errors import ErrorCollector
from maillon.warehouse.layout import Layout, PickLocation, Side

__all__ = ["CODE_PATTERN", "LayoutSpec", "Zone"]

CODE_PATTERN = re.compile(
    r"^(?P<prefix>[A-Za-z]*)(?P<aisle>\d{1,3})-(?P<bay>\d{1,3})(?:-(?P<level>\d{1,2}))?$"
)
_ZONE_NAME = re.compile(r"^[a-z0-9_-]{1,30}$")
_PREFIX = re.compile(r"^[A-Za-z]{0,3}$")


@dataclass(frozen=True)
class Zone:
    """A named group of aisles (cold room, hazardous goods, fast movers...)."""

    name: str
    aisles: tuple[int, ...]


@dataclass(frozen=True)
class LayoutSpec:
    """A validated layout document; see the module docstring for the fields."""

    aisles: int
    aisle_length: float
    aisle_spacing: float
    blocks: int = 1
    depot_aisle: int = 1
    depot_offset: float = 0.0
    bay_length: float = 1.0
    levels: int = 1
    golden_levels: tuple[int, ...] = ()
    slot_volume_l: float | None = None
    prefix: str = ""
    zones: tuple[Zone, ...] = ()

    # -- reading --------------------------------------------------------------------------
    @classmethod
    def parse(cls, data: Any) -> LayoutSpec:
        """Return the spec of a decoded YAML/JSON document.

        Raises ValidationError naming every bad field (``aisles``, ``zones.0.aisles``...).
        """
        errors = ErrorCollector()
        if not isinstance(data, Mapping):
            errors.add("layout", "must be an object with aisles, aisle_length, aisle_spacing...")
            errors.raise_if_any()
            raise AssertionError  # unreachable: raise_if_any raised
        for key in data:
            if key not in _FIELDS:
                errors.add(str(key), f"unknown field; use {', '.join(sorted(_FIELDS))}")
        read = _Reader(errors)
        for required in ("aisles", "aisle_length", "aisle_spacing"):
            if required not in data:
                errors.add(required, "is required")
        n_aisles = read.integer("aisles", data.get("aisles", 1), 1, 500)
        length = read.number(
            "aisle_length", data.get("aisle_length", 1.0), 0.0, 1000.0, strict=True
        )
        spacing = read.number(
            "aisle_spacing", data.get("aisle_spacing", 1.0), 0.0, 100.0, strict=True
        )
        blocks = read.integer("blocks", data.get("blocks", 1), 1, 20)
        depot_aisle, depot_offset = _read_depot(data, read, n_aisles)
        bay = read.number("bay_length", data.get("bay_length", 1.0), 0.0, 100.0, strict=True)
        levels = read.integer("levels", data.get("levels", 1), 1, 20)
        golden = _read_golden(data, read, levels)
        volume = data.get("slot_volume_l")
        if volume is not None:
            volume = read.number("slot_volume_l", volume, 0.0, 100_000.0, strict=True)
        prefix = data.get("prefix", "")
        if not isinstance(prefix, str) or not _PREFIX.match(prefix):
            errors.add("prefix", "must be up to 3 letters")
            prefix = ""
        zones = _read_zones(data, read, n_aisles)
        errors.raise_if_any()
        return cls(
            aisles=n_aisles,
            aisle_length=length,
            aisle_spacing=spacing,
            blocks=blocks,
            depot_aisle=depot_aisle,
            depot_offset=depot_offset,
            bay_length=bay,
            levels=levels,
            golden_levels=tuple(sorted(set(golden))),
            slot_volume_l=volume,
            prefix=prefix,
            zones=tuple(zones),
        )

    def to_dict(self) -> dict[str, Any]:
        """Return the document this spec reads back from (``parse(to_dict())`` round-trips)."""
        return {
            "aisles": self.aisles,
            "aisle_length": self.aisle_length,
            "aisle_spacing": self.aisle_spacing,
            "blocks": self.blocks,
            "depot": {"aisle": self.depot_aisle, "offset": self.depot_offset},
            "bay_length": self.bay_length,
            "levels": self.levels,
            "golden_levels": list(self.golden_levels),
            "slot_volume_l": self.slot_volume_l,
            "prefix": self.prefix,
            "zones": [{"name": z.name, "aisles": list(z.aisles)} for z in self.zones],
        }

    # -- geometry -------------------------------------------------------------------------
    @property
    def bays_per_aisle(self) -> int:
        """Return the number of bays of an aisle (both sides)."""
        return 2 * max(1, math.floor(self.aisle_length / self.bay_length + 1e-9))

    def layout(self) -> Layout:
        """Return the routing model of this warehouse."""
        return Layout.uniform(
            self.aisles,
            self.aisle_length,
            self.aisle_spacing,
            blocks=self.blocks,
            depot_x=(self.depot_aisle - 1) * self.aisle_spacing,
            depot_offset=self.depot_offset,
        )

    def code(self, aisle: int, bay: int, level: int | None = None) -> str:
        """Return the location code of ``aisle`` (from 1), ``bay`` (from 1) and ``level``."""
        base = f"{self.prefix}{aisle:02d}-{bay:02d}"
        return base if level is None or self.levels == 1 else f"{base}-{level}"

    def locate(self, code: str) -> PickLocation | None:
        """Return where the location ``code`` is, or None when it is not in the racks."""
        m = CODE_PATTERN.match(code.strip())
        if m is None:
            return None
        aisle, bay = int(m["aisle"]), int(m["bay"])
        level = int(m["level"]) if m["level"] else 1
        if not (1 <= aisle <= self.aisles and 1 <= bay <= self.bays_per_aisle):
            return None
        if not 1 <= level <= self.levels:
            return None
        position = min(self.aisle_length, ((bay + 1) // 2 - 0.5) * self.bay_length)
        side = Side.LEFT if bay % 2 == 1 else Side.RIGHT
        return PickLocation(aisle=aisle - 1, position=position, side=side, ref=code)

    def level_of(self, code: str) -> int:
        """Return the rack level of ``code`` (1 when the code has none)."""
        m = CODE_PATTERN.match(code.strip())
        return int(m["level"]) if m and m["level"] else 1

    def zone_of(self, code: str) -> str | None:
        """Return the zone of the aisle of ``code``, or None (the general zone)."""
        m = CODE_PATTERN.match(code.strip())
        if m is None:
            return None
        aisle = int(m["aisle"])
        for zone in self.zones:
            if aisle in zone.aisles:
                return zone.name
        return None

    def locations(self) -> Iterator[str]:
        """Yield every location code of the racks, aisle by aisle, bay by bay, level by level."""
        for aisle in range(1, self.aisles + 1):
            for bay in range(1, self.bays_per_aisle + 1):
                for level in range(1, self.levels + 1):
                    yield self.code(aisle, bay, level)


_FIELDS = frozenset(
    {
        "aisles",
        "aisle_length",
        "aisle_spacing",
        "blocks",
        "depot",
        "bay_length",
        "levels",
        "golden_levels",
        "slot_volume_l",
        "prefix",
        "zones",
    }
)
"""The fields a layout document may have."""


class _Reader:
    """Reads bounded numbers of a document, recording an error (and a default) when bad."""

    def __init__(self, errors: ErrorCollector) -> None:
        self.errors = errors

    def integer(self, name: str, value: Any, low: int, high: int) -> int:
        """Return ``value`` if it is a whole number in ``[low, high]``, else ``low``."""
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            self.errors.add(name, f"must be a whole number from {low} to {high}")
            return low
        return value

    def number(self, name: str, value: Any, low: float, high: float, *, strict: bool) -> float:
        """Return ``value`` as a float when in range, else ``high``.

        In range: ``low < value <= high`` if ``strict``, else ``low <= value <= high``.
        """
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        if ok:
            value = float(value)
            ok = math.isfinite(value) and (low < value if strict else low <= value)
            ok = ok and value <= high
        if not ok:
            self.errors.add(name, f"must be a number {'>' if strict else '>='} {low} and <= {high}")
            return high
        return float(value)


def _read_depot(data: Mapping[str, Any], read: _Reader, n_aisles: int) -> tuple[int, float]:
    """Return the depot's (aisle, offset)."""
    depot = data.get("depot", {})
    if not isinstance(depot, Mapping):
        read.errors.add("depot", "must be an object like {aisle: 1, offset: 2.0}")
        depot = {}
    depot_aisle = read.integer("depot.aisle", depot.get("aisle", 1), 1, max(1, n_aisles))
    depot_offset = read.number("depot.offset", depot.get("offset", 0.0), 0.0, 1000.0, strict=False)
    return depot_aisle, depot_offset


def _read_golden(data: Mapping[str, Any], read: _Reader, levels: int) -> list[int]:
    """Return the golden levels as written (each checked against ``levels``)."""
    golden_raw = data.get("golden_levels", [])
    if not isinstance(golden_raw, list):
        read.errors.add("golden_levels", "must be a list of levels")
        return []
    return [read.integer(f"golden_levels.{i}", g, 1, levels) for i, g in enumerate(golden_raw)]


def _read_zones(data: Mapping[str, Any], read: _Reader, n_aisles: int) -> list[Zone]:
    """Return the zones that read well (a bad zone is recorded and skipped)."""
    errors = read.errors
    zones: list[Zone] = []
    raw_zones = data.get("zones", [])
    if not isinstance(raw_zones, list):
        errors.add("zones", "must be a list of {name, aisles}")
        raw_zones = []
    seen: set[str] = set()
    for i, z in enumerate(raw_zones):
        if not isinstance(z, Mapping):
            errors.add(f"zones.{i}", "must be an object {name, aisles}")
            continue
        name = z.get("name")
        if not isinstance(name, str) or not _ZONE_NAME.match(name) or name in seen:
            errors.add(f"zones.{i}.name", "must be a unique lower-case name (a-z, 0-9, _ -)")
            continue
        seen.add(name)
        aisles = z.get("aisles")
        if not isinstance(aisles, list) or not aisles:
            errors.add(f"zones.{i}.aisles", "must be a non-empty list of aisle numbers")
            continue
        zones.append(
            Zone(
                name,
                tuple(
                    read.integer(f"zones.{i}.aisles.{k}", a, 1, n_aisles)
                    for k, a in enumerate(aisles)
                ),
            )
        )
    return zones
