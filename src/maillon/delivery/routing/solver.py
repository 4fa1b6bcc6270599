"""Solving a routing problem with PyVRP's iterated local search.

:func:`solve` translates a :class:`~maillon.delivery.routing.problem.RoutingProblem`
into PyVRP's ``ProblemData`` (vehicles with identical attributes grouped into one
vehicle type, load dimensions only for the capacities in use), runs the search with a
seed and a time limit, and reads PyVRP's best solution back into a
:class:`~maillon.delivery.routing.problem.RoutingResult`.
"""

from __future__ import annotations

import math
import time
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pyvrp
from pyvrp.exceptions import PenaltyBoundWarning
from pyvrp.stop import MaxIterations, MaxRuntime, MultipleCriteria, StoppingCriterion

from maillon.delivery.routing.problem import (
    _GRAMS_PER_KG,
    RoutingProblem,
    RoutingResult,
    Stop,
    Vehicle,
    VehicleRoute,
    Visit,
    _grams,
)

_INF = int(np.iinfo(np.int64).max)


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


def _locations(problem: RoutingProblem) -> list[pyvrp.Location]:
    """Return one PyVRP location per matrix row (at the origin without coordinates)."""
    coords = problem.coordinates
    return [
        pyvrp.Location(
            x=float(coords[i, 0]) if coords is not None else 0.0,
            y=float(coords[i, 1]) if coords is not None else 0.0,
        )
        for i in range(problem.num_locations)
    ]


def _load_dims(problem: RoutingProblem) -> list[str]:
    """Return the load dimensions some vehicle caps: "parcels" and/or "kg"."""
    dims: list[str] = []
    if any(v.capacity_parcels is not None for v in problem.vehicles):
        dims.append("parcels")
    if any(v.capacity_kg is not None for v in problem.vehicles):
        dims.append("kg")
    return dims


def _load(stop: Stop, dims: list[str]) -> list[int]:
    """Return the stop's load in each dimension in use."""
    return [stop.parcels if d == "parcels" else _grams(stop.weight_kg) for d in dims]


def _capacity(v: Vehicle, dims: list[str], total: dict[str, int]) -> list[int]:
    """Return the vehicle's capacity per dimension, the total load where it is unlimited."""
    out = []
    for d in dims:
        cap = (
            v.capacity_parcels
            if d == "parcels"
            else (None if v.capacity_kg is None else _grams(v.capacity_kg))
        )
        out.append(total[d] if cap is None else cap)
    return out


def _fleet(
    problem: RoutingProblem, dims: list[str]
) -> tuple[list[pyvrp.Depot], list[pyvrp.VehicleType], list[list[str]]]:
    """Return PyVRP's depots and vehicle types, and the vehicle ids of each type."""
    total = {
        "parcels": sum(s.parcels for s in problem.stops),
        "kg": sum(_grams(s.weight_kg) for s in problem.stops),
    }
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
                capacity=_capacity(v, dims, total),
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
    return depots, vehicle_types, type_vehicles


def _build(problem: RoutingProblem) -> _Built:
    """Translate ``problem`` into PyVRP's ProblemData (one call, no O(n^2) Python)."""
    locations = _locations(problem)
    dims = _load_dims(problem)
    depots, vehicle_types, type_vehicles = _fleet(problem, dims)
    clients = [
        pyvrp.Client(
            location=s.location,
            delivery=_load(s, dims),
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


def _vehicle_route(
    route: Any, vehicle_id: str, stops: tuple[Stop, ...], served: set[int]
) -> VehicleRoute:
    """Read one PyVRP route back as a VehicleRoute, adding its clients to ``served``."""
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
    return VehicleRoute(
        vehicle_id=vehicle_id,
        visits=tuple(visits),
        start_time=int(route.start_time()),
        end_time=int(route.end_time()),
        distance=int(route.distance()),
        duration=int(route.duration()),
        parcels=parcels,
        weight_kg=grams / _GRAMS_PER_KG,
    )


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
        routes.append(_vehicle_route(route, vehicle_id, stops, served))

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
