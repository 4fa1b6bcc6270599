"""The routing problem and its answer, as immutable values.

A :class:`RoutingProblem` holds one :class:`Depot`, its :class:`Vehicle` fleet, the
:class:`Stop` list and the distance and duration matrices, each validated by its
constructor (every error is a ``ValueError``). A :class:`RoutingResult` holds one
:class:`VehicleRoute` of :class:`Visit` per vehicle that leaves, what it cost and the
stops left unserved. Both :func:`~maillon.delivery.routing.solve` and
:func:`~maillon.delivery.routing.replan` speak in these values.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

_GRAMS_PER_KG = 1000


def _grams(kg: float) -> int:
    return round(kg * _GRAMS_PER_KG)


def _check_time(name: str, value: int | None) -> None:
    if value is not None and value < 0:
        raise ValueError(f"{name} = {value} < 0 not understood.")


@dataclass(frozen=True)
class Depot:
    """The depot: its matrix location and opening hours ``[shift_start, shift_end]``.

    ``shift_end=None`` means open all day. Raises ValueError for a negative
    location or time, or a shift that ends before it starts.
    """

    location: int
    shift_start: int = 0
    shift_end: int | None = None

    def __post_init__(self) -> None:
        if self.location < 0:
            raise ValueError(f"depot location {self.location} < 0 not understood.")
        _check_time("depot shift_start", self.shift_start)
        _check_time("depot shift_end", self.shift_end)
        if self.shift_end is not None and self.shift_end < self.shift_start:
            raise ValueError(f"depot shift_end {self.shift_end} < shift_start {self.shift_start}.")


@dataclass(frozen=True)
class Vehicle:
    """A vehicle (van, cargo bike, courier) and its shift.

    ``capacity_parcels`` / ``capacity_kg`` of ``None`` mean unlimited in that
    dimension. The route starts at ``start_location`` and ends at
    ``end_location`` (both default to the depot) no earlier than
    ``shift_start`` and no later than ``shift_end``. Cost = ``fixed_cost`` if
    used + ``cost_per_distance`` x distance + ``cost_per_duration`` x duration.

    Raises ValueError for an empty id, a negative capacity, location, time or
    cost, or a shift that ends before it starts.
    """

    id: str
    capacity_parcels: int | None = None
    capacity_kg: float | None = None
    shift_start: int = 0
    shift_end: int | None = None
    start_location: int | None = None
    end_location: int | None = None
    fixed_cost: int = 0
    cost_per_distance: int = 1
    cost_per_duration: int = 0

    def __post_init__(self) -> None:
        if not self.id:
            raise ValueError("vehicle id cannot be empty.")
        if self.capacity_parcels is not None and self.capacity_parcels < 0:
            raise ValueError(f"vehicle {self.id!r}: capacity_parcels < 0 not understood.")
        if self.capacity_kg is not None and not (
            math.isfinite(self.capacity_kg) and self.capacity_kg >= 0
        ):
            raise ValueError(f"vehicle {self.id!r}: capacity_kg {self.capacity_kg!r} invalid.")
        _check_time(f"vehicle {self.id!r} shift_start", self.shift_start)
        _check_time(f"vehicle {self.id!r} shift_end", self.shift_end)
        if self.shift_end is not None and self.shift_end < self.shift_start:
            raise ValueError(
                f"vehicle {self.id!r}: shift_end {self.shift_end} < shift_start {self.shift_start}."
            )
        for name in ("start_location", "end_location"):
            loc = getattr(self, name)
            if loc is not None and loc < 0:
                raise ValueError(f"vehicle {self.id!r}: {name} {loc} < 0 not understood.")
        for name in ("fixed_cost", "cost_per_distance", "cost_per_duration"):
            if getattr(self, name) < 0:
                raise ValueError(f"vehicle {self.id!r}: {name} < 0 not understood.")


@dataclass(frozen=True)
class Stop:
    """A delivery stop: location, load, time window and service time.

    Service must *start* within ``[tw_start, tw_end]`` (``tw_end=None``: no
    deadline). ``penalty=None`` makes the stop required; an integer makes it
    optional, and leaving it unserved costs ``penalty`` (in cost units, e.g.
    metres driven), so a stop that cannot be served comes back unassigned.

    Raises ValueError for an empty id, a negative location, load, time or
    penalty, or a window that closes before it opens.
    """

    id: str
    location: int
    parcels: int = 1
    weight_kg: float = 0.0
    tw_start: int = 0
    tw_end: int | None = None
    service_time: int = 0
    penalty: int | None = None

    def __post_init__(self) -> None:
        if not self.id:
            raise ValueError("stop id cannot be empty.")
        if self.location < 0:
            raise ValueError(f"stop {self.id!r}: location {self.location} < 0 not understood.")
        if self.parcels < 0:
            raise ValueError(f"stop {self.id!r}: parcels < 0 not understood.")
        if not (math.isfinite(self.weight_kg) and self.weight_kg >= 0):
            raise ValueError(f"stop {self.id!r}: weight_kg {self.weight_kg!r} invalid.")
        _check_time(f"stop {self.id!r} tw_start", self.tw_start)
        _check_time(f"stop {self.id!r} tw_end", self.tw_end)
        _check_time(f"stop {self.id!r} service_time", self.service_time)
        if self.tw_end is not None and self.tw_end < self.tw_start:
            raise ValueError(f"stop {self.id!r}: tw_end {self.tw_end} < tw_start {self.tw_start}.")
        if self.penalty is not None and self.penalty < 0:
            raise ValueError(f"stop {self.id!r}: penalty < 0 not understood.")

    @property
    def required(self) -> bool:
        """Return True when the stop has no penalty, i.e. must be served."""
        return self.penalty is None


def _as_matrix(name: str, value: Any) -> npt.NDArray[np.int64]:
    arr = np.asarray(value)
    if arr.ndim != 2 or arr.shape[0] != arr.shape[1]:
        raise ValueError(f"{name} must be a square matrix, got shape {arr.shape}.")
    if arr.size and not np.issubdtype(arr.dtype, np.number):
        raise ValueError(f"{name} must hold numbers, got dtype {arr.dtype}.")
    if arr.size and not np.isfinite(arr).all():
        raise ValueError(f"{name} holds NaN or infinite values.")
    if arr.size and (arr != np.round(arr)).any():
        raise ValueError(f"{name} must hold whole numbers; scale and round it first.")
    out = np.array(arr, dtype=np.int64)
    if (out < 0).any():
        raise ValueError(f"{name} holds negative values.")
    if out.size and (np.diagonal(out) != 0).any():
        raise ValueError(f"{name} must have a zero diagonal.")
    out.flags.writeable = False
    return out


@dataclass(frozen=True, eq=False)
class RoutingProblem:
    """An immutable routing problem: depot, vehicles, stops and travel matrices.

    ``distance_matrix`` and ``duration_matrix`` are square, of the same shape,
    non-negative whole numbers with a zero diagonal; they are copied into
    read-only int64 arrays. ``coordinates`` (optional, one (x, y) row per
    location) only feed PyVRP's geometric neighbourhoods and plots.

    Raises ValueError when there is no vehicle, ids repeat, a location is out
    of the matrices, or a matrix is malformed.
    """

    depot: Depot
    vehicles: tuple[Vehicle, ...]
    stops: tuple[Stop, ...]
    distance_matrix: npt.NDArray[np.int64]
    duration_matrix: npt.NDArray[np.int64]
    coordinates: npt.NDArray[np.float64] | None = field(default=None)

    def __post_init__(self) -> None:
        object.__setattr__(self, "vehicles", tuple(self.vehicles))
        object.__setattr__(self, "stops", tuple(self.stops))
        dist = _as_matrix("distance_matrix", self.distance_matrix)
        dur = _as_matrix("duration_matrix", self.duration_matrix)
        if dist.shape != dur.shape:
            raise ValueError(
                f"duration_matrix shape {dur.shape} differs from "
                f"distance_matrix shape {dist.shape}."
            )
        object.__setattr__(self, "distance_matrix", dist)
        object.__setattr__(self, "duration_matrix", dur)
        n = dist.shape[0]

        if self.coordinates is not None:
            coords = np.array(self.coordinates, dtype=np.float64)
            if coords.shape != (n, 2) or not np.isfinite(coords).all():
                raise ValueError(f"coordinates must be a finite ({n}, 2) array.")
            coords.flags.writeable = False
            object.__setattr__(self, "coordinates", coords)

        if not self.vehicles:
            raise ValueError("a routing problem needs at least one vehicle.")
        _unique("vehicle", (v.id for v in self.vehicles))
        _unique("stop", (s.id for s in self.stops))

        def check_loc(what: str, loc: int) -> None:
            if not 0 <= loc < n:
                raise ValueError(f"{what} location {loc} outside the {n}x{n} matrices.")

        check_loc("depot", self.depot.location)
        for v in self.vehicles:
            if v.start_location is not None:
                check_loc(f"vehicle {v.id!r} start", v.start_location)
            if v.end_location is not None:
                check_loc(f"vehicle {v.id!r} end", v.end_location)
        for s in self.stops:
            check_loc(f"stop {s.id!r}", s.location)

    @property
    def num_locations(self) -> int:
        """Return the number of rows of the travel matrices."""
        return int(self.distance_matrix.shape[0])

    def stop(self, stop_id: str) -> Stop:
        """Return the stop with id ``stop_id``; raises KeyError if unknown."""
        for s in self.stops:
            if s.id == stop_id:
                return s
        raise KeyError(stop_id)

    def vehicle(self, vehicle_id: str) -> Vehicle:
        """Return the vehicle with id ``vehicle_id``; raises KeyError if unknown."""
        for v in self.vehicles:
            if v.id == vehicle_id:
                return v
        raise KeyError(vehicle_id)


def _unique(what: str, ids: Iterable[str]) -> None:
    seen: set[str] = set()
    for i in ids:
        if i in seen:
            raise ValueError(f"duplicate {what} id {i!r}.")
        seen.add(i)


@dataclass(frozen=True)
class Visit:
    """One served stop: arrival, service start (after any wait) and departure."""

    stop_id: str
    arrival: int
    start: int
    departure: int


@dataclass(frozen=True)
class VehicleRoute:
    """The ordered visits of one vehicle, with its times, distance and load."""

    vehicle_id: str
    visits: tuple[Visit, ...]
    start_time: int
    end_time: int
    distance: int
    duration: int
    parcels: int
    weight_kg: float

    @property
    def stop_ids(self) -> tuple[str, ...]:
        """Return the stop ids in visiting order."""
        return tuple(v.stop_id for v in self.visits)


@dataclass(frozen=True)
class RoutingResult:
    """The outcome of :func:`solve` or :func:`replan`.

    ``routes`` holds the vehicles that leave (used vehicles only); ``cost`` is
    the objective (vehicle costs plus penalties of unserved optional stops);
    ``feasible`` is False when a required stop is unserved or a time window,
    shift or capacity is violated; ``runtime`` is wall-clock seconds.
    """

    routes: tuple[VehicleRoute, ...]
    total_distance: int
    total_duration: int
    cost: int
    feasible: bool
    unassigned: tuple[str, ...]
    runtime: float
    iterations: int = 0

    @property
    def num_vehicles(self) -> int:
        """Return the number of vehicles used."""
        return len(self.routes)

    def route_of(self, vehicle_id: str) -> VehicleRoute | None:
        """Return the route of ``vehicle_id``, or None when it stays home."""
        for r in self.routes:
            if r.vehicle_id == vehicle_id:
                return r
        return None
