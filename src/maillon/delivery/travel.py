"""Travel distance and duration matrices for last-mile route planning.

A :class:`TravelProvider` turns a list of points (latitude, longitude) into a
:class:`TravelMatrices` value: integer metres and integer seconds, the units
:mod:`maillon.delivery.routing` expects. Two providers ship here:

- :class:`HaversineTravel` needs nothing but the coordinates: great-circle
  distance times a road factor (1.3 by default), driven at an urban speed that a
  :class:`TrafficProfile` slows down at rush hours (French urban defaults:
  07:30-09:30 and 16:30-19:00).
- :class:`OsrmTravel` asks an OSRM server (``/table/v1/{profile}/...``) for road
  distances and durations, for users who run one. It imports ``httpx`` lazily,
  so the rest of this module works without it.

Every error a provider raises for a bad answer from outside is a
:class:`TravelMatrixError` (a ``RuntimeError``); bad arguments raise
``ValueError``.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    import httpx

__all__ = [
    "EARTH_RADIUS_M",
    "FRENCH_URBAN_TRAFFIC",
    "HaversineTravel",
    "LatLon",
    "OsrmTravel",
    "TrafficPeriod",
    "TrafficProfile",
    "TravelMatrices",
    "TravelMatrixError",
    "TravelProvider",
    "haversine_m",
]

EARTH_RADIUS_M = 6_371_008.8
"""Mean Earth radius (IUGG), in metres."""

_DAY_S = 24 * 3600

IntMatrix = npt.NDArray[np.int64]


class TravelMatrixError(RuntimeError):
    """A travel matrix could not be obtained (server down, timeout, bad answer)."""


class LatLon(NamedTuple):
    """A point on Earth in decimal degrees (WGS 84)."""

    lat: float
    lon: float


def _check_point(point: LatLon) -> None:
    if not (math.isfinite(point.lat) and -90.0 <= point.lat <= 90.0):
        raise ValueError(f"latitude {point.lat!r} not in [-90, 90].")
    if not (math.isfinite(point.lon) and -180.0 <= point.lon <= 180.0):
        raise ValueError(f"longitude {point.lon!r} not in [-180, 180].")


def haversine_m(a: LatLon, b: LatLon) -> float:
    """Return the great-circle distance between ``a`` and ``b`` in metres.

    Raises ValueError when a latitude or longitude is out of range.
    """
    _check_point(a)
    _check_point(b)
    phi1, phi2 = math.radians(a.lat), math.radians(b.lat)
    dphi = phi2 - phi1
    dlmb = math.radians(b.lon - a.lon)
    h = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


@dataclass(frozen=True)
class TravelMatrices:
    """Square travel matrices over the same points: metres and seconds.

    Raises ValueError when the matrices are not square, not the same shape, or
    hold negative values.
    """

    distances: IntMatrix
    durations: IntMatrix

    def __post_init__(self) -> None:
        dist = np.array(self.distances, dtype=np.int64)
        dur = np.array(self.durations, dtype=np.int64)
        if dist.ndim != 2 or dist.shape[0] != dist.shape[1]:
            raise ValueError(f"distances must be a square matrix, got shape {dist.shape}.")
        if dur.shape != dist.shape:
            raise ValueError(
                f"durations shape {dur.shape} differs from distances shape {dist.shape}."
            )
        if (dist < 0).any() or (dur < 0).any():
            raise ValueError("travel matrices cannot hold negative values.")
        dist.flags.writeable = False
        dur.flags.writeable = False
        object.__setattr__(self, "distances", dist)
        object.__setattr__(self, "durations", dur)

    @property
    def size(self) -> int:
        """Return the number of points (rows) of the matrices."""
        return int(self.distances.shape[0])


@runtime_checkable
class TravelProvider(Protocol):
    """Anything that returns travel matrices for a list of points."""

    def matrices(self, points: Sequence[LatLon], *, departure: int | None = None) -> TravelMatrices:
        """Return metres and seconds between every pair of ``points``.

        ``departure`` is the departure time in seconds since midnight (local
        time), used for traffic; ``None`` means free-flow. Raises ValueError for
        bad points and TravelMatrixError when the matrices cannot be obtained.
        """
        ...


@dataclass(frozen=True)
class TrafficPeriod:
    """A daily period ``[start, end)`` (seconds since midnight) with a speed factor.

    ``speed_factor`` multiplies the free-flow speed (0.6 = 40 % slower).
    Raises ValueError for an empty or out-of-day period or a factor not in (0, 1].
    """

    start: int
    end: int
    speed_factor: float

    def __post_init__(self) -> None:
        if not 0 <= self.start < self.end <= _DAY_S:
            raise ValueError(
                f"traffic period [{self.start}, {self.end}) must satisfy "
                f"0 <= start < end <= {_DAY_S}."
            )
        if not 0.0 < self.speed_factor <= 1.0:
            raise ValueError(f"speed_factor {self.speed_factor!r} not in (0, 1].")


@dataclass(frozen=True)
class TrafficProfile:
    """Speed factors by time of day; outside every period traffic flows freely.

    Raises ValueError when periods overlap.
    """

    periods: tuple[TrafficPeriod, ...] = ()

    def __post_init__(self) -> None:
        ordered = tuple(sorted(self.periods, key=lambda p: p.start))
        for before, after in itertools.pairwise(ordered):
            if after.start < before.end:
                raise ValueError(
                    f"traffic periods [{before.start}, {before.end}) and "
                    f"[{after.start}, {after.end}) overlap."
                )
        object.__setattr__(self, "periods", ordered)

    def speed_factor(self, time_of_day: int | None) -> float:
        """Return the speed factor at ``time_of_day`` (seconds, wrapped to a day).

        ``None`` means free-flow and returns 1.0. Never raises.
        """
        if time_of_day is None:
            return 1.0
        t = time_of_day % _DAY_S
        for period in self.periods:
            if period.start <= t < period.end:
                return period.speed_factor
        return 1.0


def _hm(hours: int, minutes: int) -> int:
    return hours * 3600 + minutes * 60


FRENCH_URBAN_TRAFFIC = TrafficProfile(
    (
        TrafficPeriod(_hm(7, 30), _hm(9, 30), 0.6),
        TrafficPeriod(_hm(16, 30), _hm(19, 0), 0.65),
    )
)
"""Default rush hours of French urban areas: morning 07:30-09:30, evening 16:30-19:00."""


def _check_departure(departure: int | None) -> None:
    if departure is not None and departure < 0:
        raise ValueError(f"departure {departure} < 0 not understood.")


@dataclass(frozen=True)
class HaversineTravel:
    """Travel matrices from great-circle distances, a road factor and a speed.

    Distance = haversine x ``road_factor`` (metres, rounded); duration =
    distance / (``speed_kmh`` x traffic speed factor at ``departure``)
    (seconds, rounded). The whole matrix uses the factor at ``departure``: the
    routing engine has no time-dependent travel times, so solve peak and
    off-peak rounds with their own matrices if it matters.

    Raises ValueError for a road factor below 1 or a non-positive speed.
    """

    road_factor: float = 1.3
    speed_kmh: float = 30.0
    traffic: TrafficProfile = field(default=FRENCH_URBAN_TRAFFIC)

    def __post_init__(self) -> None:
        if not (math.isfinite(self.road_factor) and self.road_factor >= 1.0):
            raise ValueError(f"road_factor {self.road_factor!r} < 1 not understood.")
        if not (math.isfinite(self.speed_kmh) and self.speed_kmh > 0.0):
            raise ValueError(f"speed_kmh {self.speed_kmh!r} <= 0 not understood.")

    def matrices(self, points: Sequence[LatLon], *, departure: int | None = None) -> TravelMatrices:
        """Return road-factored haversine metres and traffic-adjusted seconds.

        Raises ValueError for an out-of-range point or a negative departure.
        """
        _check_departure(departure)
        for point in points:
            _check_point(point)
        if not points:
            empty = np.zeros((0, 0), dtype=np.int64)
            return TravelMatrices(empty, empty)
        coords = np.radians(np.array([[p.lat, p.lon] for p in points], dtype=np.float64))
        lat = coords[:, 0][:, None]
        lon = coords[:, 1][:, None]
        h = (
            np.sin((lat.T - lat) / 2) ** 2
            + np.cos(lat) * np.cos(lat.T) * np.sin((lon.T - lon) / 2) ** 2
        )
        metres = 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))
        road = metres * self.road_factor
        speed_ms = self.speed_kmh / 3.6 * self.traffic.speed_factor(departure)
        distances = np.rint(road).astype(np.int64)
        durations = np.rint(road / speed_ms).astype(np.int64)
        np.fill_diagonal(distances, 0)
        np.fill_diagonal(durations, 0)
        return TravelMatrices(distances, durations)


class OsrmTravel:
    """Road travel matrices from an OSRM server's table service.

    Calls ``GET {base_url}/table/v1/{profile}/{lon,lat;...}?annotations=
    distance,duration`` in blocks of at most ``max_table_size`` coordinates (the
    server's ``--max-table-size``, 100 by default). OSRM durations are
    free-flow; an optional ``traffic`` profile divides them by its speed factor
    at ``departure``. ``client`` lets tests or callers inject an
    ``httpx.Client``; otherwise one is created per call.

    Raises ValueError for a bad argument (empty URL, timeout <= 0,
    max_table_size < 2).
    """

    def __init__(
        self,
        base_url: str = "http://127.0.0.1:5000",
        *,
        profile: str = "driving",
        timeout: float = 10.0,
        max_table_size: int = 100,
        traffic: TrafficProfile | None = None,
        client: httpx.Client | None = None,
    ) -> None:
        if not base_url:
            raise ValueError("base_url cannot be empty.")
        if not profile or "/" in profile:
            raise ValueError(f"profile {profile!r} not understood.")
        if not timeout > 0:
            raise ValueError(f"timeout {timeout!r} <= 0 not understood.")
        if max_table_size < 2:
            raise ValueError(f"max_table_size {max_table_size} < 2 not understood.")
        self.base_url = base_url.rstrip("/")
        self.profile = profile
        self.timeout = timeout
        self.max_table_size = max_table_size
        self.traffic = traffic
        self._client = client

    def matrices(self, points: Sequence[LatLon], *, departure: int | None = None) -> TravelMatrices:
        """Return OSRM road metres and seconds between every pair of ``points``.

        Raises ValueError for an out-of-range point or a negative departure,
        and TravelMatrixError when the server cannot be reached, times out,
        answers with an error, or reports a pair of points as unreachable.
        """
        import httpx  # only this provider needs httpx

        _check_departure(departure)
        for point in points:
            _check_point(point)
        n = len(points)
        distances = np.zeros((n, n), dtype=np.float64)
        durations = np.zeros((n, n), dtype=np.float64)
        if n == 0:
            return TravelMatrices(distances.astype(np.int64), durations.astype(np.int64))

        block = max(1, self.max_table_size // 2) if n > self.max_table_size else n
        starts = range(0, n, block)
        client = self._client or httpx.Client(timeout=self.timeout)
        try:
            for row0 in starts:
                rows = list(range(row0, min(n, row0 + block)))
                for col0 in starts:
                    cols = list(range(col0, min(n, col0 + block)))
                    dist, dur = self._table(client, points, rows, cols, n == block)
                    distances[np.ix_(rows, cols)] = dist
                    durations[np.ix_(rows, cols)] = dur
        finally:
            if self._client is None:
                client.close()

        factor = 1.0 if self.traffic is None else self.traffic.speed_factor(departure)
        dist_int = np.rint(distances).astype(np.int64)
        dur_int = np.rint(durations / factor).astype(np.int64)
        np.fill_diagonal(dist_int, 0)
        np.fill_diagonal(dur_int, 0)
        return TravelMatrices(dist_int, dur_int)

    def _table(
        self,
        client: httpx.Client,
        points: Sequence[LatLon],
        rows: list[int],
        cols: list[int],
        whole: bool,
    ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        import httpx

        if whole:
            chosen = rows
            params: dict[str, str] = {}
        else:
            chosen = rows + cols
            params = {
                "sources": ";".join(str(i) for i in range(len(rows))),
                "destinations": ";".join(str(len(rows) + j) for j in range(len(cols))),
            }
        params["annotations"] = "distance,duration"
        coords = ";".join(f"{points[i].lon:.6f},{points[i].lat:.6f}" for i in chosen)
        url = f"{self.base_url}/table/v1/{self.profile}/{coords}"
        try:
            response = client.get(url, params=params, timeout=self.timeout)
        except httpx.TimeoutException as exc:
            raise TravelMatrixError(
                f"OSRM at {self.base_url} did not answer within {self.timeout} s."
            ) from exc
        except httpx.HTTPError as exc:
            raise TravelMatrixError(f"OSRM at {self.base_url} unreachable: {exc}.") from exc

        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, Mapping):
            raise TravelMatrixError(
                f"OSRM at {self.base_url} answered HTTP {response.status_code} "
                "with a body that is not a JSON object."
            )
        code = body.get("code")
        if response.status_code != 200 or code != "Ok":
            message = body.get("message", "no message")
            raise TravelMatrixError(
                f"OSRM at {self.base_url} answered HTTP {response.status_code}, "
                f"code {code!r}: {message}"
            )
        return (
            self._grid(body, "distances", rows, cols),
            self._grid(body, "durations", rows, cols),
        )

    def _grid(
        self, body: Mapping[str, Any], key: str, rows: list[int], cols: list[int]
    ) -> npt.NDArray[np.float64]:
        grid = body.get(key)
        if not isinstance(grid, list) or len(grid) != len(rows):
            raise TravelMatrixError(
                f"OSRM answer lacks a {len(rows)}x{len(cols)} {key!r} table; "
                "is the server older than 5.21 (no distance annotations)?"
            )
        out = np.zeros((len(rows), len(cols)), dtype=np.float64)
        for i, row in enumerate(grid):
            if not isinstance(row, list) or len(row) != len(cols):
                raise TravelMatrixError(f"OSRM {key!r} row {i} has the wrong length.")
            for j, value in enumerate(row):
                if value is None:
                    raise TravelMatrixError(
                        f"OSRM found no route from point {rows[i]} to point {cols[j]}."
                    )
                if not isinstance(value, int | float) or value < 0:
                    raise TravelMatrixError(f"OSRM {key!r} value {value!r} not understood.")
                out[i, j] = float(value)
        return out
