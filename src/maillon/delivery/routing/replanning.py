"""Re-planning a day under way from where each vehicle is now.

A :class:`VehicleState` says where a vehicle is, what it has served and which stops it
is committed to next. :func:`replan` keeps those commitments as a fixed prefix of the
vehicle's route, solves the rest of the day (new orders included) with
:func:`~maillon.delivery.routing.solver.solve` from where each prefix ends, and joins
the two into the forward plan.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, replace

from maillon.delivery.routing.problem import (
    RoutingProblem,
    RoutingResult,
    Stop,
    Vehicle,
    VehicleRoute,
    Visit,
    _check_time,
    _unique,
)
from maillon.delivery.routing.solver import _check_run, solve


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


def _check_states(full: RoutingProblem, states: Sequence[VehicleState]) -> None:
    """Raise ValueError for a state with an unknown vehicle, location or stop, or a repeat."""
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


def _sub_fleet(
    full: RoutingProblem,
    state_of: dict[str, VehicleState],
    prefixes: dict[str, _Prefix],
    now: int | None,
) -> tuple[list[Vehicle], list[Vehicle]]:
    """Return the vehicles as they leave for the rest of the day, and those out of shift."""
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
    return sub_vehicles, parked


def _drive_back(full: RoutingProblem, v: Vehicle, prefix: _Prefix) -> tuple[VehicleRoute, bool]:
    """Return the empty route from where the prefix ends back home, and whether it is on time."""
    dur = full.duration_matrix
    dist = full.distance_matrix
    end_loc = v.end_location if v.end_location is not None else full.depot.location
    leg_dist = int(dist[prefix.location, end_loc])
    end_time = prefix.time + int(dur[prefix.location, end_loc])
    on_time = True
    if full.depot.shift_end is not None and end_loc == full.depot.location:
        on_time = on_time and end_time <= full.depot.shift_end
    if v.shift_end is not None:
        on_time = on_time and end_time <= v.shift_end
    route = VehicleRoute(v.id, (), prefix.time, end_time, leg_dist, end_time - prefix.time, 0, 0.0)
    return route, on_time


def _forward_routes(
    full: RoutingProblem,
    solved: RoutingResult,
    state_of: dict[str, VehicleState],
    prefixes: dict[str, _Prefix],
    feasible: bool,
) -> tuple[list[VehicleRoute], int, bool]:
    """Join each vehicle's fixed prefix to its solved route; return routes, cost, feasibility."""
    routes: list[VehicleRoute] = []
    cost = solved.cost
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
            route, on_time = _drive_back(full, v, prefix)
            feasible = feasible and on_time
            cost += v.cost_per_distance * route.distance + v.cost_per_duration * route.duration
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
    return routes, cost, feasible


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
    _check_run(seed, time_limit, max_iterations)
    _check_time("now", now)
    started = time.perf_counter()
    full = replace(problem, stops=problem.stops + tuple(new_stops))
    _check_states(full, states)

    state_of = {st.vehicle_id: st for st in states}
    prefixes = {st.vehicle_id: _walk_prefix(full, st) for st in states}
    done = {s for st in states for s in st.served + st.fixed}
    sub_vehicles, parked = _sub_fleet(full, state_of, prefixes, now)

    remaining = tuple(s for s in full.stops if s.id not in done)
    if sub_vehicles:
        sub = replace(full, vehicles=tuple(sub_vehicles), stops=remaining)
        solved = solve(sub, seed=seed, time_limit=time_limit, max_iterations=max_iterations)
    else:
        missed = tuple(s.id for s in remaining)
        lost = sum(s.penalty or 0 for s in remaining)
        feasible_alone = all(not s.required for s in remaining)
        solved = RoutingResult((), 0, 0, lost, feasible_alone, missed, 0.0)

    routes, cost, feasible = _forward_routes(
        full, solved, state_of, prefixes, solved.feasible and not parked
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
