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
        known = {
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
        for key in data:
            if key not in known:
                errors.add(str(key), f"unknown field; use {', '.join(sorted(known))}")

        def integer(name: str, value: Any, low: int, high: int) -> int:
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                errors.add(name, f"must be a whole number from {low} to {high}")
                return low
            return value

        def number(name: str, value: Any, low: float, high: float, *, strict: bool) -> float:
            ok = isinstance(value, int | float) and not isinstance(value, bool)
            if ok:
                value = float(value)
                ok = math.isfinite(value) and (low < value if strict else low <= value)
                ok = ok and value <= high
            if not ok:
                errors.add(name, f"must be a number {'>' if strict else '>='} {low} and <= {high}")
                return high
            return float(value)

        for required in ("aisles", "aisle_length", "aisle_spacing"):
            if required not in data:
                errors.add(required, "is required")
        n_aisles = integer("aisles", data.get("aisles", 1), 1, 500)
        length = number("aisle_length", data.get("aisle_length", 1.0), 0.0, 1000.0, strict=True)
        spacing = number("aisle_spacing", data.get("aisle_spacing", 1.0), 0.0, 100.0, strict=True)
        blocks = integer("blocks", data.get("blocks", 1), 1, 20)
        depot = data.get("depot", {})
        if not isinstance(depot, Mapping):
            errors.add("depot", "must be an object like {aisle: 1, offset: 2.0}")
            depot = {}
        depot_aisle = integer("depot.aisle", depot.get("aisle", 1), 1, max(1, n_aisles))
        depot_offset = number("depot.offset", depot.get("offset", 0.0), 0.0, 1000.0, strict=False)
        bay = number("bay_length", data.get("bay_length", 1.0), 0.0, 100.0, strict=True)
        levels = integer("levels", data.get("levels", 1), 1, 20)
        golden_raw = data.get("golden_levels", [])
        golden: list[int] = []
        if not isinstance(golden_raw, list):
            errors.add("golden_levels", "must be a list of levels")
        else:
            golden = [integer(f"golden_levels.{i}", g, 1, levels) for i, g in enumerate(golden_raw)]
        volume = data.get("slot_volume_l")
        if volume is not None:
            volume = number("slot_volume_l", volume, 0.0, 100_000.0, strict=True)
        prefix = data.get("prefix", "")
        if not isinstance(prefix, str) or not _PREFIX.match(prefix):
            errors.add("prefix", "must be up to 3 letters")
            prefix = ""
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
                        integer(f"zones.{i}.aisles.{k}", a, 1, n_aisles)
                        for k, a in enumerate(aisles)
                    ),
                )
            )
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
