"""Last-mile route planning on top of PyVRP.

An immutable :class:`RoutingProblem` (one depot, vehicles, stops, a distance
matrix and a duration matrix) goes into :func:`solve`, which returns a frozen
:class:`RoutingResult`. :func:`replan` re-plans a day under way: stops already
served are dropped, committed stops keep their vehicle and order, and the rest
(plus new orders) is solved again from each vehicle's current position and time.

Units are integers chosen by the caller, the same throughout a problem: metres
and seconds (since midnight) with the providers of :mod:`maillon.delivery.travel`.
The matrices are indexed by *location*: the depot, the stops and the vehicles'
start/end points each name a row, several may share one, and rows nobody uses
are allowed (handy to keep one matrix for a whole day of re-planning).

Every validation error is a ``ValueError`` raised by a constructor or by
:func:`replan`; solving never raises for an infeasible problem: the result says
``feasible=False`` and lists the stops it could not serve.
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import numpy.typing as npt
import pyvrp
from pyvrp.exceptions import PenaltyBoundWarning
from pyvrp.stop import MaxIterations, MaxRuntime, MultipleCriteria, StoppingCriterion

__all__ = [
    "Depot",
    "RoutingProblem",
    "RoutingResult",
    "Stop",
    "Vehicle",
    "VehicleRoute",
    "VehicleState",
    "Visit",
    "replan",
    "solve",
]

_INF = int(np.iinfo(np.int64).max)
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


# --------------------------------------------------------------------------- solve


def _vehicle_key(v: Vehicle) -> tuple[Any, ...]:
    return (
        v.capacity_parcels,
        v.capacity_kg,
        v.shift_start,
        v.shift_end,
        v.start_location,
        v.end_location,
        v.fixed_cost,
        v.cost_per_distance,
        v.cost_per_duration,
    )


@dataclass(frozen=True)
class _Built:
    data: pyvrp.ProblemData
    type_vehicles: list[list[str]]  # vehicle ids per PyVRP vehicle type
    dims: tuple[str, ...]  # load dimensions in use: "parcels" and/or "kg"


def _build(problem: RoutingProblem) -> _Built:
    """Translate ``problem`` into PyVRP's ProblemData (one call, no O(n^2) Python)."""
    n = problem.num_locations
    coords = problem.coordinates
    locations = [
        pyvrp.Location(
            x=float(coords[i, 0]) if coords is not None else 0.0,
            y=float(coords[i, 1]) if coords is not None else 0.0,
        )
        for i in range(n)
    ]

    dims: list[str] = []
    if any(v.capacity_parcels is not None for v in problem.vehicles):
        dims.append("parcels")
    if any(v.capacity_kg is not None for v in problem.vehicles):
        dims.append("kg")
    total = {
        "parcels": sum(s.parcels for s in problem.stops),
        "kg": sum(_grams(s.weight_kg) for s in problem.stops),
    }

    def load(stop: Stop) -> list[int]:
        return [stop.parcels if d == "parcels" else _grams(stop.weight_kg) for d in dims]

    def capacity(v: Vehicle) -> list[int]:
        out = []
        for d in dims:
            cap = (
                v.capacity_parcels
                if d == "parcels"
                else (None if v.capacity_kg is None else _grams(v.capacity_kg))
            )
            out.append(total[d] if cap is None else cap)
        return out

    depot = problem.depot
    depots = [
        pyvrp.Depot(
            location=depot.location,
            tw_early=depot.shift_start,
            tw_late=_INF if depot.shift_end is None else depot.shift_end,
        )
    ]
    depot_of_location: dict[int, int] = {depot.location: 0}

    def depot_index(loc: int | None) -> int:
        if loc is None:
            return 0
        if loc not in depot_of_location:
            depot_of_location[loc] = len(depots)
            depots.append(pyvrp.Depot(location=loc))
        return depot_of_location[loc]

    groups: dict[tuple[Any, ...], list[Vehicle]] = {}
    for v in problem.vehicles:
        groups.setdefault(_vehicle_key(v), []).append(v)

    vehicle_types = []
    type_vehicles = []
    for members in groups.values():
        v = members[0]
        vehicle_types.append(
            pyvrp.VehicleType(
                num_available=len(members),
                capacity=capacity(v),
                start_depot=depot_index(v.start_location),
                end_depot=depot_index(v.end_location),
                fixed_cost=v.fixed_cost,
                tw_early=v.shift_start,
                tw_late=_INF if v.shift_end is None else v.shift_end,
                unit_distance_cost=v.cost_per_distance,
                unit_duration_cost=v.cost_per_duration,
                name=v.id,
            )
        )
        type_vehicles.append([m.id for m in members])

    clients = [
        pyvrp.Client(
            location=s.location,
            delivery=load(s),
            service_duration=s.service_time,
            tw_early=s.tw_start,
            tw_late=_INF if s.tw_end is None else s.tw_end,
            prize=0 if s.penalty is None else s.penalty,
            required=s.penalty is None,
            name=s.id,
        )
        for s in problem.stops
    ]

    data = pyvrp.ProblemData(
        locations=locations,
        clients=clients,
        depots=depots,
        vehicle_types=vehicle_types,
        distance_matrices=[_any(problem.distance_matrix)],
        duration_matrices=[_any(problem.duration_matrix)],
    )
    return _Built(data=data, type_vehicles=type_vehicles, dims=tuple(dims))


def _any(matrix: npt.NDArray[np.int64]) -> Any:
    return matrix  # PyVRP's stubs spell the array type in a way mypy rejects


def _check_run(seed: int, time_limit: float, max_iterations: int | None) -> None:
    if seed < 0:
        raise ValueError(f"seed = {seed} < 0 not understood.")
    if not (math.isfinite(time_limit) and time_limit > 0):
        raise ValueError(f"time_limit = {time_limit} <= 0 not understood.")
    if max_iterations is not None and max_iterations <= 0:
        raise ValueError(f"max_iterations = {max_iterations} <= 0 not understood.")


def _stop(time_limit: float, max_iterations: int | None) -> StoppingCriterion:
    if max_iterations is None:
        return MaxRuntime(time_limit)
    return MultipleCriteria([MaxRuntime(time_limit), MaxIterations(max_iterations)])


def solve(
    problem: RoutingProblem,
    *,
    seed: int = 0,
    time_limit: float = 1.0,
    max_iterations: int | None = None,
) -> RoutingResult:
    """Plan routes for ``problem`` with PyVRP's iterated local search.

    Searches with random ``seed`` for ``time_limit`` seconds, or until
    ``max_iterations`` iterations if that comes first, and returns a
    :class:`RoutingResult`. A run stopped by the time limit depends on the
    machine's speed; one stopped by ``max_iterations`` is reproducible. Stops
    that end up unserved are listed in ``unassigned``; if any of them is
    required, or a constraint is violated, ``feasible`` is False.

    Raises ValueError for a negative seed, a non-positive time limit or
    iteration count.
    """
    _check_run(seed, time_limit, max_iterations)
    started = time.perf_counter()
    if not problem.stops:
        return RoutingResult((), 0, 0, 0, True, (), time.perf_counter() - started)

    built = _build(problem)
    with warnings.catch_warnings():
        # PyVRP warns when it cannot find a feasible plan; the result says so already.
        warnings.simplefilter("ignore", PenaltyBoundWarning)
        res = pyvrp.solve(
            built.data,
            stop=_stop(time_limit, max_iterations),
            seed=seed,
            collect_stats=False,
            display=False,
        )
    best = res.best
    stops = problem.stops
    served: set[int] = set()
    next_vehicle = [0] * len(built.type_vehicles)
    routes = []
    for route in best.routes():
        vtype = route.vehicle_type()
        vehicle_id = built.type_vehicles[vtype][next_vehicle[vtype]]
        next_vehicle[vtype] += 1
        visits = []
        parcels = 0
        grams = 0
        for act in route.schedule():
            if not act.is_client():
                continue
            stop = stops[act.idx]
            served.add(act.idx)
            parcels += stop.parcels
            grams += _grams(stop.weight_kg)
            visits.append(
                Visit(
                    stop_id=stop.id,
                    arrival=int(act.start_time - act.wait_duration),
                    start=int(act.start_time),
                    departure=int(act.end_time),
                )
            )
        routes.append(
            VehicleRoute(
                vehicle_id=vehicle_id,
                visits=tuple(visits),
                start_time=int(route.start_time()),
                end_time=int(route.end_time()),
                distance=int(route.distance()),
                duration=int(route.duration()),
                parcels=parcels,
                weight_kg=grams / _GRAMS_PER_KG,
            )
        )

    cost = int(
        best.distance_cost()
        + best.duration_cost()
        + best.fixed_vehicle_cost()
        + best.uncollected_prizes()
    )
    return RoutingResult(
        routes=tuple(routes),
        total_distance=int(best.distance()),
        total_duration=int(best.duration()),
        cost=cost,
        feasible=bool(best.is_feasible()),
        unassigned=tuple(s.id for i, s in enumerate(stops) if i not in served),
        runtime=time.perf_counter() - started,
        iterations=int(res.num_iterations),
    )


# -------------------------------------------------------------------------- replan


@dataclass(frozen=True)
class VehicleState:
    """Where a vehicle is now and what it has done or committed to.

    ``location`` (a matrix row) and ``time`` are the vehicle's current position
    and clock. ``served`` lists the stops it already delivered; ``fixed`` the
    stops it must visit next, in this order (parcel in hand, customer told).

    Raises ValueError for a negative location or time, or a stop listed twice.
    """

    vehicle_id: str
    location: int
    time: int
    served: tuple[str, ...] = ()
    fixed: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "served", tuple(self.served))
        object.__setattr__(self, "fixed", tuple(self.fixed))
        if self.location < 0:
            raise ValueError(f"vehicle {self.vehicle_id!r}: location < 0 not understood.")
        _check_time(f"vehicle {self.vehicle_id!r} time", self.time)
        _unique(f"vehicle {self.vehicle_id!r} served/fixed stop", self.served + self.fixed)


@dataclass(frozen=True)
class _Prefix:
    visits: tuple[Visit, ...]
    location: int
    time: int
    distance: int
    on_time: bool


def _walk_prefix(problem: RoutingProblem, state: VehicleState) -> _Prefix:
    dist = problem.distance_matrix
    dur = problem.duration_matrix
    loc, now, travelled, on_time = state.location, state.time, 0, True
    visits = []
    for stop_id in state.fixed:
        stop = problem.stop(stop_id)
        arrival = now + int(dur[loc, stop.location])
        start = max(arrival, stop.tw_start)
        if stop.tw_end is not None and start > stop.tw_end:
            on_time = False
        travelled += int(dist[loc, stop.location])
        now = start + stop.service_time
        loc = stop.location
        visits.append(Visit(stop_id, arrival, start, now))
    return _Prefix(tuple(visits), loc, now, travelled, on_time)


def replan(
    problem: RoutingProblem,
    states: Sequence[VehicleState],
    new_stops: Sequence[Stop] = (),
    *,
    now: int | None = None,
    seed: int = 0,
    time_limit: float = 1.0,
    max_iterations: int | None = None,
) -> RoutingResult:
    """Re-plan the rest of the day from the vehicles' current states.

    ``problem`` is the day's plan input (its matrices must also cover the
    vehicles' current locations and the ``new_stops``). Served stops are
    dropped; each vehicle's ``fixed`` stops stay first on its route in their
    order; every other stop, new ones included, is solved again with each
    vehicle leaving from where its fixed prefix ends, at that time. Vehicles
    without a state leave from their start location at ``max(shift_start,
    now)``. Capacity left = capacity minus the load of served and fixed stops
    (new parcels are assumed to be available to the vehicle that gets them).

    Returns the forward plan: a :class:`RoutingResult` whose routes start at
    the vehicles' current positions (distance and duration counted from
    there); every vehicle with a state gets a route, even if it only drives
    back. ``feasible`` is also False when a fixed stop will miss its window.

    Raises ValueError for an unknown vehicle or stop id, a stop served or
    fixed twice, a state location outside the matrices, a negative ``now``,
    the errors of :func:`solve`, and whatever :class:`RoutingProblem` raises
    for the new stops.
    """
    _check_run(seed, time_limit, max_iterations)
    _check_time("now", now)
    started = time.perf_counter()
    full = replace(problem, stops=problem.stops + tuple(new_stops))
    known_vehicles = {v.id for v in full.vehicles}
    known_stops = {s.id for s in full.stops}
    _unique("vehicle state", (st.vehicle_id for st in states))
    _unique("served or fixed stop", (s for st in states for s in st.served + st.fixed))
    for state in states:
        if state.vehicle_id not in known_vehicles:
            raise ValueError(f"state for unknown vehicle {state.vehicle_id!r}.")
        if state.location >= full.num_locations:
            raise ValueError(
                f"vehicle {state.vehicle_id!r} location {state.location} outside the matrices."
            )
        for stop_id in state.served + state.fixed:
            if stop_id not in known_stops:
                raise ValueError(f"vehicle {state.vehicle_id!r}: unknown stop {stop_id!r}.")

    state_of = {st.vehicle_id: st for st in states}
    prefixes = {st.vehicle_id: _walk_prefix(full, st) for st in states}
    done = {s for st in states for s in st.served + st.fixed}

    sub_vehicles: list[Vehicle] = []
    parked: list[Vehicle] = []  # out of shift time: they only drive back
    for v in full.vehicles:
        st = state_of.get(v.id)
        if st is None:
            start = v.shift_start if now is None else max(v.shift_start, now)
            if v.shift_end is not None and start > v.shift_end:
                continue
            sub_vehicles.append(replace(v, shift_start=start))
            continue
        prefix = prefixes[v.id]
        if v.shift_end is not None and prefix.time > v.shift_end:
            parked.append(v)
            continue
        committed = [full.stop(s) for s in st.served + st.fixed]
        parcels_left = (
            None
            if v.capacity_parcels is None
            else max(0, v.capacity_parcels - sum(s.parcels for s in committed))
        )
        kg_left = (
            None
            if v.capacity_kg is None
            else max(0.0, v.capacity_kg - sum(s.weight_kg for s in committed))
        )
        sub_vehicles.append(
            replace(
                v,
                capacity_parcels=parcels_left,
                capacity_kg=kg_left,
                shift_start=prefix.time,
                start_location=prefix.location,
                end_location=full.depot.location if v.end_location is None else v.end_location,
            )
        )

    remaining = tuple(s for s in full.stops if s.id not in done)
    if sub_vehicles:
        sub = replace(full, vehicles=tuple(sub_vehicles), stops=remaining)
        solved = solve(sub, seed=seed, time_limit=time_limit, max_iterations=max_iterations)
    else:
        missed = tuple(s.id for s in remaining)
        lost = sum(s.penalty or 0 for s in remaining)
        feasible_alone = all(not s.required for s in remaining)
        solved = RoutingResult((), 0, 0, lost, feasible_alone, missed, 0.0)

    feasible = solved.feasible and not parked
    routes: list[VehicleRoute] = []
    cost = solved.cost
    dur = full.duration_matrix
    dist = full.distance_matrix
    for v in full.vehicles:
        route = solved.route_of(v.id)
        st = state_of.get(v.id)
        if st is None:
            if route is not None:
                routes.append(route)
            continue
        prefix = prefixes[v.id]
        feasible = feasible and prefix.on_time
        if route is None:  # nothing new: drive back from where the prefix ends
            end_loc = v.end_location if v.end_location is not None else full.depot.location
            leg_dist = int(dist[prefix.location, end_loc])
            end_time = prefix.time + int(dur[prefix.location, end_loc])
            if full.depot.shift_end is not None and end_loc == full.depot.location:
                feasible = feasible and end_time <= full.depot.shift_end
            if v.shift_end is not None:
                feasible = feasible and end_time <= v.shift_end
            route = VehicleRoute(
                v.id, (), prefix.time, end_time, leg_dist, end_time - prefix.time, 0, 0.0
            )
            cost += v.cost_per_distance * leg_dist + v.cost_per_duration * route.duration
        committed = [full.stop(s) for s in st.fixed]
        routes.append(
            VehicleRoute(
                vehicle_id=v.id,
                visits=prefix.visits + route.visits,
                start_time=st.time,
                end_time=route.end_time,
                distance=prefix.distance + route.distance,
                duration=route.end_time - st.time,
                parcels=route.parcels + sum(s.parcels for s in committed),
                weight_kg=route.weight_kg + sum(s.weight_kg for s in committed),
            )
        )
        cost += v.cost_per_distance * prefix.distance + v.cost_per_duration * (
            route.start_time - st.time
        )

    return RoutingResult(
        routes=tuple(routes),
        total_distance=sum(r.distance for r in routes),
        total_duration=sum(r.duration for r in routes),
        cost=cost,
        feasible=feasible,
        unassigned=solved.unassigned,
        runtime=time.perf_counter() - started,
        iterations=solved.iterations,
    )
