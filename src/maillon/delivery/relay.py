"""Relay points (pure): load a points file and find the nearest points to a customer.

A points file is a CSV with the columns ``id, network, name, address, postcode, city, lat,
lon, opening_hours`` (one point a row). The file shipped in ``delivery/data/relay_points.csv``
is ILLUSTRATIVE (invented points around big French cities, see
``delivery/data/build_relay_points.py``): replace it with your networks' real lists.

:class:`RelayIndex` buckets the points in a grid of ``cell_km`` cells, so
:meth:`RelayIndex.nearest` reads the rings of cells around the customer, nearest ring first,
and stops as soon as no unread cell can hold a closer point: a request costs a few cells,
never a scan of the whole file. Distances are great-circle kilometres.

Errors: :class:`RelayFileError` (a ``ValueError``) names the line and column of a bad row;
other bad arguments raise ``ValueError``.
"""

from __future__ import annotations

import csv
import heapq
import io
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from maillon.delivery.travel import EARTH_RADIUS_M

__all__ = [
    "DEFAULT_POINTS_FILE",
    "NearPoint",
    "RelayFileError",
    "RelayIndex",
    "RelayPoint",
    "default_index",
    "distance_km",
    "grid_cell",
    "grid_ranges",
    "load_relay_points",
]

DEFAULT_POINTS_FILE = Path(__file__).resolve().parent / "data" / "relay_points.csv"
COLUMNS = ("id", "network", "name", "address", "postcode", "city", "lat", "lon", "opening_hours")
_KM_PER_DEG_LAT = math.pi * EARTH_RADIUS_M / 180_000


class RelayFileError(ValueError):
    """A points file that cannot be read: ``line`` and ``column`` say where."""

    def __init__(self, source: str, line: int, column: str, message: str) -> None:
        self.source = source
        self.line = line
        self.column = column
        super().__init__(f"{source} line {line}, {column}: {message}")


@dataclass(frozen=True, slots=True)
class RelayPoint:
    """A pick-up point of a relay network (a shop or a locker).

    Raises ValueError for an empty id, network or name, or coordinates out of range.
    """

    id: str
    network: str
    name: str
    address: str
    postcode: str
    city: str
    lat: float
    lon: float
    opening_hours: str = ""
    kind: str = "relay"
    country: str = "FR"

    def __post_init__(self) -> None:
        for name in ("id", "network", "name"):
            if not getattr(self, name).strip():
                raise ValueError(f"relay point {name} cannot be empty.")
        if not (math.isfinite(self.lat) and -90 <= self.lat <= 90):
            raise ValueError(f"relay point {self.id!r}: latitude {self.lat!r} not in [-90, 90].")
        if not (math.isfinite(self.lon) and -180 <= self.lon <= 180):
            raise ValueError(f"relay point {self.id!r}: longitude {self.lon!r} not in [-180, 180].")


@dataclass(frozen=True, slots=True)
class NearPoint:
    """A relay point and its distance from the customer, in kilometres."""

    point: RelayPoint
    distance_km: float


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Return the great-circle distance between two points (degrees) in kilometres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M / 1000 * math.asin(min(1.0, math.sqrt(h)))


GRID_DEG = 0.05
"""The side of a square of the stored points' grid, in degrees (about 5.5 km by 3.7 km in
France)."""
_GRID_COLS = 7200


def grid_cell(lat: float, lon: float) -> int:
    """Return the number of the grid square holding (lat, lon): row-major, so the squares of
    one row between two longitudes are one range of numbers."""
    row = math.floor((lat + 90) / GRID_DEG)
    col = min(math.floor((lon + 180) / GRID_DEG), _GRID_COLS - 1)
    return row * _GRID_COLS + col


def grid_ranges(lat: float, lon: float, radius_km: float) -> list[tuple[int, int]]:
    """Return the ranges of grid squares (first, last) covering every point within
    ``radius_km`` of (lat, lon): one range per row of the bounding box."""
    dlat = radius_km / _KM_PER_DEG_LAT
    dlon = radius_km / (
        _KM_PER_DEG_LAT * max(0.05, math.cos(math.radians(min(89.0, abs(lat) + dlat))))
    )
    first_row = math.floor((max(-90.0, lat - dlat) + 90) / GRID_DEG)
    last_row = math.floor((min(90.0, lat + dlat) + 90) / GRID_DEG)
    first_col = max(0, math.floor((lon - dlon + 180) / GRID_DEG))
    last_col = min(_GRID_COLS - 1, math.floor((lon + dlon + 180) / GRID_DEG))
    return [
        (row * _GRID_COLS + first_col, row * _GRID_COLS + last_col)
        for row in range(first_row, last_row + 1)
    ]


def load_relay_points(source: str | Path, *, text: str | None = None) -> tuple[RelayPoint, ...]:
    """Return the points of the CSV file ``source`` (or of ``text``, named ``source``).

    Raises RelayFileError naming the line and column of a missing column, a bad number, a
    coordinate out of range or an id seen twice.
    """
    name = str(source)
    if text is None:
        text = Path(source).read_text(encoding="utf-8")
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in COLUMNS if c not in (reader.fieldnames or ())]
    if missing:
        raise RelayFileError(name, 1, missing[0], "column missing from the header")
    points: list[RelayPoint] = []
    seen: set[str] = set()
    for row in reader:
        line = reader.line_num
        coords = {}
        for column in ("lat", "lon"):
            try:
                coords[column] = float(row[column])
            except (TypeError, ValueError):
                raise RelayFileError(
                    name, line, column, f"{row[column]!r} is not a number"
                ) from None
        point_id = (row["id"] or "").strip()
        if point_id in seen:
            raise RelayFileError(name, line, "id", f"{point_id!r} appears twice")
        try:
            point = RelayPoint(
                id=point_id,
                network=(row["network"] or "").strip(),
                name=(row["name"] or "").strip(),
                address=(row["address"] or "").strip(),
                postcode=(row["postcode"] or "").strip(),
                city=(row["city"] or "").strip(),
                lat=coords["lat"],
                lon=coords["lon"],
                opening_hours=(row["opening_hours"] or "").strip(),
            )
        except ValueError as exc:
            column = "lat" if "latitude" in str(exc) else "lon" if "longitude" in str(exc) else "id"
            raise RelayFileError(name, line, column, str(exc)) from None
        seen.add(point_id)
        points.append(point)
    return tuple(points)


@dataclass(frozen=True, eq=False)
class RelayIndex:
    """The points bucketed in a grid of about ``cell_km`` km for bounded nearest searches.

    Raises ValueError for a non-positive ``cell_km``.
    """

    points: tuple[RelayPoint, ...]
    cell_km: float = 5.0
    _cells: dict[tuple[int, int], list[RelayPoint]] = field(
        init=False, repr=False, default_factory=dict
    )

    def __post_init__(self) -> None:
        if not (math.isfinite(self.cell_km) and self.cell_km > 0):
            raise ValueError(f"cell_km {self.cell_km!r} <= 0 not understood.")
        object.__setattr__(self, "points", tuple(self.points))
        for point in self.points:
            self._cells.setdefault(self._cell(point.lat, point.lon), []).append(point)

    @property
    def _dlat(self) -> float:
        return self.cell_km / _KM_PER_DEG_LAT

    def _dlon(self, lat: float) -> float:
        # cells are as wide in degrees as at the equator times 1/cos of the row's latitude
        return self.cell_km / (_KM_PER_DEG_LAT * max(0.05, math.cos(math.radians(lat))))

    def _row(self, lat: float) -> int:
        return math.floor((lat + 90) / self._dlat)

    def _cell(self, lat: float, lon: float) -> tuple[int, int]:
        row = self._row(lat)
        row_lat = -90 + (row + 0.5) * self._dlat
        return row, math.floor((lon + 180) / self._dlon(row_lat))

    def __len__(self) -> int:
        return len(self.points)

    def nearest(
        self,
        lat: float,
        lon: float,
        *,
        limit: int = 5,
        max_km: float = 20.0,
        networks: Iterable[str] | None = None,
    ) -> tuple[NearPoint, ...]:
        """Return up to ``limit`` points within ``max_km`` of (lat, lon), nearest first.

        ``networks`` keeps only those networks. Ties are broken by point id. Only the grid
        cells within ``max_km`` are read, ring by ring, stopping once the ``limit`` nearest
        are certain. Raises ValueError for coordinates out of range, ``limit`` < 1 or a
        negative ``max_km``.
        """
        if not (math.isfinite(lat) and -90 <= lat <= 90):
            raise ValueError(f"latitude {lat!r} not in [-90, 90].")
        if not (math.isfinite(lon) and -180 <= lon <= 180):
            raise ValueError(f"longitude {lon!r} not in [-180, 180].")
        if limit < 1:
            raise ValueError(f"limit {limit} < 1 not understood.")
        if not (math.isfinite(max_km) and max_km >= 0):
            raise ValueError(f"max_km {max_km!r} < 0 not understood.")
        wanted = None if networks is None else frozenset(networks)
        row0 = self._row(lat)
        best: list[tuple[float, tuple[int, ...], RelayPoint]] = []  # farthest on top
        rings = math.ceil(max_km / self.cell_km) + 2
        for ring in range(rings + 1):
            # a point in ring r is at least (r - 1) cells away in latitude or longitude; one
            # more ring absorbs the cells' change of width with latitude
            if len(best) >= limit and (ring - 2) * self.cell_km > -best[0][0]:
                break
            for row in range(row0 - ring, row0 + ring + 1):
                row_lat = -90 + (row + 0.5) * self._dlat
                if not -90 <= row_lat <= 90:
                    continue
                dlon = self._dlon(row_lat)
                col0 = math.floor((lon + 180) / dlon)
                edge = abs(row - row0) == ring
                cols = range(col0 - ring, col0 + ring + 1) if edge else (col0 - ring, col0 + ring)
                for col in cols:
                    for point in self._cells.get((row, col), ()):
                        if wanted is not None and point.network not in wanted:
                            continue
                        d = distance_km(lat, lon, point.lat, point.lon)
                        if d > max_km:
                            continue
                        item = (-d, _neg(point.id), point)
                        if len(best) < limit:
                            heapq.heappush(best, item)
                        elif item > best[0]:
                            heapq.heapreplace(best, item)
        ordered = sorted(best, key=lambda t: (-t[0], t[2].id))
        return tuple(NearPoint(p, round(-d, 3)) for d, _k, p in ordered)


def _neg(text: str) -> tuple[int, ...]:
    """Return a key that sorts ``text`` in reverse (so the heap keeps the smaller ids)."""
    return (*(-ord(c) for c in text), 1)


@cache
def default_index() -> RelayIndex:
    """Return the index of the illustrative points file shipped with Maillon (loaded once)."""
    return RelayIndex(load_relay_points(DEFAULT_POINTS_FILE))


def by_id(points: Sequence[RelayPoint]) -> dict[str, RelayPoint]:
    """Return the points keyed by id."""
    return {p.id: p for p in points}
