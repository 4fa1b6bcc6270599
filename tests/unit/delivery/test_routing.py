"""Tests of maillon.delivery.routing on tiny instances with fixed seeds."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

from maillon.delivery import routing
from maillon.delivery.routing import (
    Depot,
    RoutingProblem,
    RoutingResult,
    Stop,
    Vehicle,
    VehicleState,
    replan,
    solve,
)

LIMIT = 0.2


def line_matrix(n: int, step: int = 10) -> npt.NDArray[np.int64]:
    """Locations 0..n-1 on a line, ``step`` apart (distance = duration)."""
    idx = np.arange(n, dtype=np.int64)
    out: npt.NDArray[np.int64] = np.abs(idx[:, None] - idx[None, :]) * step
    return out


def random_problem(seed: int, n_stops: int = 12, n_vehicles: int = 3) -> RoutingProblem:
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 1000, size=(n_stops + 1, 2))
    dist = np.rint(np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1)))
    stops = []
    for i in range(1, n_stops + 1):
        early = int(rng.integers(0, 3000))
        stops.append(
            Stop(
                id=f"s{i}",
                location=i,
                parcels=int(rng.integers(1, 4)),
                weight_kg=float(rng.integers(1, 20)),
                tw_start=early,
                tw_end=early + int(rng.integers(600, 3000)),
                service_time=int(rng.integers(30, 120)),
                penalty=100_000 if i % 4 == 0 else None,
            )
        )
    vehicles = tuple(
        Vehicle(f"v{k}", capacity_parcels=12, capacity_kg=80.0, shift_start=0, shift_end=9000)
        for k in range(n_vehicles)
    )
    return RoutingProblem(Depot(0, 0, 10_000), vehicles, tuple(stops), dist, dist, xy)


def check_result(problem: RoutingProblem, result: RoutingResult) -> None:
    """Recompute every route from the matrices and check the result's claims."""
    stops = {s.id: s for s in problem.stops}
    served = [v.stop_id for r in result.routes for v in r.visits]
    used = [r.vehicle_id for r in result.routes]
    assert len(used) == len(set(used)), "a vehicle drives two routes"
    assert len(served) == len(set(served)), "a stop is served twice"
    assert set(served) | set(result.unassigned) == set(stops)
    assert not set(served) & set(result.unassigned)
    if result.feasible:
        assert all(not stops[s].required for s in result.unassigned)
    dist_m, dur_m = problem.distance_matrix, problem.duration_matrix
    total = 0
    for route in result.routes:
        vehicle = problem.vehicle(route.vehicle_id)
        loc = vehicle.start_location if vehicle.start_location is not None else 0
        now, distance, parcels, kg = route.start_time, 0, 0, 0.0
        assert route.start_time >= vehicle.shift_start
        for visit in route.visits:
            stop = stops[visit.stop_id]
            assert visit.arrival == now + dur_m[loc, stop.location]
            assert visit.start == max(visit.arrival, stop.tw_start)
            assert visit.departure == visit.start + stop.service_time
            if result.feasible:
                assert stop.tw_end is None or visit.start <= stop.tw_end
            distance += int(dist_m[loc, stop.location])
            parcels += stop.parcels
            kg += stop.weight_kg
            now, loc = visit.departure, stop.location
        end = vehicle.end_location if vehicle.end_location is not None else 0
        distance += int(dist_m[loc, end])
        assert route.end_time == now + dur_m[loc, end]
        assert route.distance == distance
        assert route.parcels == parcels
        assert route.weight_kg == pytest.approx(kg)
        if result.feasible:
            if vehicle.capacity_parcels is not None:
                assert parcels <= vehicle.capacity_parcels
            if vehicle.capacity_kg is not None:
                assert kg <= vehicle.capacity_kg + 1e-9
            if vehicle.shift_end is not None:
                assert route.end_time <= vehicle.shift_end
        total += distance
    assert result.total_distance == total


def test_public_api_is_pinned() -> None:
    assert set(routing.__all__) == {
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
    }


def test_hand_checked_line() -> None:
    # given a depot at 0 and stops at 1, 2, 3 on a line, 10 apart
    dist = line_matrix(4)
    stops = (
        Stop("a", 1, service_time=5),
        Stop("b", 2, service_time=5),
        Stop("c", 3, service_time=5),
    )
    problem = RoutingProblem(Depot(0, shift_start=100), (Vehicle("van"),), stops, dist, dist)
    # when solved
    result = solve(problem, seed=1, time_limit=LIMIT)
    # then one van goes out and back: 60, visiting in line order either way
    assert result.feasible
    assert result.total_distance == 60
    assert result.cost == 60
    assert result.unassigned == ()
    (route,) = result.routes
    assert route.stop_ids in {("a", "b", "c"), ("c", "b", "a")}
    assert route.start_time == 100
    assert [v.arrival for v in route.visits] == [110, 125, 140]
    assert route.end_time == 175
    assert route.duration == 75
    check_result(problem, result)


def test_time_windows_decide_the_order() -> None:
    # given "far" must be served before 30 and "near" not before 100
    dist = line_matrix(3)
    stops = (Stop("near", 1, tw_start=100, tw_end=200), Stop("far", 2, tw_end=30))
    problem = RoutingProblem(Depot(0), (Vehicle("van"),), stops, dist, dist)
    result = solve(problem, seed=0, time_limit=LIMIT)
    (route,) = result.routes
    assert route.stop_ids == ("far", "near")
    far, near = route.visits
    assert far.start <= 30
    assert 100 <= near.start <= 200
    assert near.arrival < near.start  # it waits for the window to open
    check_result(problem, result)


def test_capacity_in_parcels_splits_the_work() -> None:
    dist = line_matrix(5)
    stops = tuple(Stop(f"s{i}", i, parcels=1) for i in range(1, 5))
    vehicles = (Vehicle("v1", capacity_parcels=2), Vehicle("v2", capacity_parcels=2))
    problem = RoutingProblem(Depot(0), vehicles, stops, dist, dist)
    result = solve(problem, seed=0, time_limit=LIMIT)
    assert result.feasible
    assert result.num_vehicles == 2
    assert sorted(r.parcels for r in result.routes) == [2, 2]
    # best split: {1, 2} (40) and {3, 4} (80)
    assert result.total_distance == 120
    check_result(problem, result)


def test_capacity_in_kg_is_respected() -> None:
    dist = line_matrix(4)
    stops = (Stop("a", 1, weight_kg=30.5), Stop("b", 2, weight_kg=30.5), Stop("c", 3, weight_kg=1))
    vehicles = (Vehicle("bike", capacity_kg=60.0), Vehicle("van", capacity_kg=500.0))
    problem = RoutingProblem(Depot(0), vehicles, stops, dist, dist)
    result = solve(problem, seed=0, time_limit=LIMIT)
    assert result.feasible
    for route in result.routes:
        assert route.weight_kg <= problem.vehicle(route.vehicle_id).capacity_kg  # type: ignore[operator]
    check_result(problem, result)


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_random_instances_keep_every_promise(seed: int) -> None:
    problem = random_problem(seed)
    result = solve(problem, seed=seed, time_limit=LIMIT)
    check_result(problem, result)


def test_same_seed_same_plan() -> None:
    # stopped on iterations, not on the clock, so machine load cannot change the answer
    problem = random_problem(7)
    first = solve(problem, seed=3, time_limit=30, max_iterations=500)
    second = solve(problem, seed=3, time_limit=30, max_iterations=500)
    assert [r.stop_ids for r in first.routes] == [r.stop_ids for r in second.routes]
    assert first.cost == second.cost


def test_unreachable_optional_stop_comes_back_unassigned() -> None:
    dist = line_matrix(3)
    stops = (Stop("ok", 1), Stop("too_late", 2, tw_end=5, penalty=1000))
    problem = RoutingProblem(Depot(0, shift_start=0), (Vehicle("van"),), stops, dist, dist)
    result = solve(problem, seed=0, time_limit=LIMIT)
    assert result.feasible
    assert result.unassigned == ("too_late",)
    assert result.cost == 20 + 1000
    check_result(problem, result)


def test_cheap_optional_stop_is_skipped_when_not_worth_it() -> None:
    dist = line_matrix(3)
    stops = (Stop("a", 1), Stop("far", 2, penalty=5))  # 20 more to drive, only 5 to lose
    problem = RoutingProblem(Depot(0), (Vehicle("van"),), stops, dist, dist)
    result = solve(problem, seed=0, time_limit=LIMIT)
    assert result.feasible
    assert result.unassigned == ("far",)


def test_unreachable_required_stop_makes_the_plan_infeasible() -> None:
    dist = line_matrix(3)
    stops = (Stop("ok", 1), Stop("too_late", 2, tw_end=5))
    problem = RoutingProblem(Depot(0), (Vehicle("van"),), stops, dist, dist)
    result = solve(problem, seed=0, time_limit=LIMIT)
    assert not result.feasible


def test_vehicle_shift_is_respected() -> None:
    dist = line_matrix(4)
    stops = (Stop("a", 1, penalty=100), Stop("b", 3, penalty=100))
    # the van works 0-45: it can do "a" (out and back: 20) but not "b" too (60)
    problem = RoutingProblem(
        Depot(0), (Vehicle("van", shift_start=0, shift_end=45),), stops, dist, dist
    )
    result = solve(problem, seed=0, time_limit=LIMIT)
    assert result.feasible
    assert result.unassigned == ("b",)  # b's round trip (60) does not fit in the shift
    check_result(problem, result)


def test_no_stop_no_route() -> None:
    dist = line_matrix(1)
    result = solve(RoutingProblem(Depot(0), (Vehicle("v"),), (), dist, dist), time_limit=LIMIT)
    assert result.routes == ()
    assert result.feasible


def test_problem_is_immutable() -> None:
    dist = line_matrix(2)
    problem = RoutingProblem(Depot(0), [Vehicle("v")], [Stop("a", 1)], dist, dist)  # type: ignore[arg-type]
    assert isinstance(problem.stops, tuple)
    dist[0, 1] = 99  # the caller's array is copied
    assert problem.distance_matrix[0, 1] == 10
    with pytest.raises(ValueError, match="read-only"):
        problem.distance_matrix[0, 1] = 5
    with pytest.raises(AttributeError):
        problem.depot = Depot(1)  # type: ignore[misc]


def _problem(**changes: Any) -> RoutingProblem:
    args: dict[str, Any] = {
        "depot": Depot(0),
        "vehicles": (Vehicle("v"),),
        "stops": (Stop("a", 1),),
        "distance_matrix": line_matrix(2),
        "duration_matrix": line_matrix(2),
    }
    args.update(changes)
    return RoutingProblem(**args)


@pytest.mark.parametrize(
    ("build", "match"),
    [
        (lambda: Depot(-1), "depot location -1 < 0"),
        (lambda: Depot(0, shift_start=10, shift_end=5), "shift_end 5 < shift_start 10"),
        (lambda: Vehicle(""), "vehicle id cannot be empty"),
        (lambda: Vehicle("v", capacity_parcels=-1), "capacity_parcels < 0"),
        (lambda: Vehicle("v", capacity_kg=float("nan")), "capacity_kg"),
        (lambda: Vehicle("v", shift_start=10, shift_end=5), "shift_end 5 < shift_start 10"),
        (lambda: Vehicle("v", cost_per_distance=-1), "cost_per_distance < 0"),
        (lambda: Stop("", 1), "stop id cannot be empty"),
        (lambda: Stop("a", 1, parcels=-2), "parcels < 0"),
        (lambda: Stop("a", 1, tw_start=50, tw_end=40), "tw_end 40 < tw_start 50"),
        (lambda: Stop("a", 1, service_time=-5), "service_time = -5 < 0"),
        (lambda: Stop("a", 1, penalty=-5), "penalty < 0"),
        (lambda: _problem(vehicles=()), "at least one vehicle"),
        (lambda: _problem(vehicles=(Vehicle("v"), Vehicle("v"))), "duplicate vehicle id 'v'"),
        (lambda: _problem(stops=(Stop("a", 1), Stop("a", 1))), "duplicate stop id 'a'"),
        (lambda: _problem(stops=(Stop("a", 2),)), "stop 'a' location 2 outside the 2x2"),
        (lambda: _problem(depot=Depot(5)), "depot location 5 outside"),
        (lambda: _problem(vehicles=(Vehicle("v", start_location=3),)), "vehicle 'v' start"),
        (lambda: _problem(distance_matrix=np.zeros((2, 3))), "square matrix"),
        (lambda: _problem(duration_matrix=line_matrix(3)), "differs"),
        (lambda: _problem(distance_matrix=[[0, -1], [1, 0]]), "negative"),
        (lambda: _problem(distance_matrix=[[0, 1.5], [1, 0]]), "whole numbers"),
        (lambda: _problem(distance_matrix=[[1, 1], [1, 0]]), "zero diagonal"),
        (lambda: _problem(distance_matrix=[[0, np.nan], [1, 0]]), "NaN"),
        (lambda: _problem(coordinates=np.zeros((3, 2))), "coordinates"),
        (lambda: solve(_problem(), time_limit=0), "time_limit = 0 <= 0"),
        (lambda: solve(_problem(), seed=-1), "seed = -1 < 0"),
        (lambda: solve(_problem(), max_iterations=0), "max_iterations = 0 <= 0"),
    ],
)
def test_validation_errors(build: Any, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        build()


# ------------------------------------------------------------------------- replan


def _day() -> RoutingProblem:
    # locations 0 (depot) .. 6 on a line, 10 apart; 6 is where a new order lives
    dist = line_matrix(7)
    stops = tuple(Stop(f"s{i}", i, service_time=2) for i in range(1, 6))
    vehicles = (
        Vehicle("v1", capacity_parcels=4, shift_end=500),
        Vehicle("v2", capacity_parcels=4, shift_end=500),
    )
    return RoutingProblem(Depot(0, 0, 500), vehicles, stops, dist, dist)


def test_replan_keeps_the_prefix_and_serves_new_orders() -> None:
    problem = _day()
    # v1 served s1, s2, is at location 2 at time 30, and promised s3 next
    state = VehicleState("v1", location=2, time=30, served=("s1", "s2"), fixed=("s3",))
    new = (Stop("new", 6, service_time=2),)
    result = replan(problem, [state], new, now=30, seed=0, time_limit=LIMIT)
    assert result.feasible
    served = {v.stop_id for r in result.routes for v in r.visits}
    assert served == {"s3", "s4", "s5", "new"}
    assert result.unassigned == ()
    v1 = result.route_of("v1")
    assert v1 is not None
    assert v1.stop_ids[0] == "s3"
    assert v1.visits[0].arrival == 40
    assert v1.start_time == 30
    # capacity left on v1: 4 - 3 = 1, so at most one more stop after s3
    assert len(v1.visits) <= 2
    # nobody starts before "now"
    assert all(r.start_time >= 30 for r in result.routes)


def test_replan_sends_an_idle_vehicle_home() -> None:
    problem = _day()
    states = [VehicleState("v1", 5, 100, served=("s1", "s2", "s3", "s4", "s5"))]
    result = replan(problem, states, seed=0, time_limit=LIMIT)
    assert result.feasible
    v1 = result.route_of("v1")
    assert v1 is not None
    assert v1.visits == ()
    assert v1.distance == 50
    assert v1.end_time == 150
    assert result.route_of("v2") is None


def test_replan_flags_a_late_fixed_stop() -> None:
    dist = line_matrix(3)
    problem = RoutingProblem(Depot(0), (Vehicle("v"),), (Stop("a", 2, tw_end=40),), dist, dist)
    result = replan(problem, [VehicleState("v", 0, 30, fixed=("a",))], time_limit=LIMIT)
    assert not result.feasible
    assert result.routes[0].visits[0].arrival == 50


@pytest.mark.parametrize(
    ("states", "new", "match"),
    [
        ([VehicleState("ghost", 0, 0)], (), "unknown vehicle 'ghost'"),
        ([VehicleState("v1", 0, 0, served=("nope",))], (), "unknown stop 'nope'"),
        ([VehicleState("v1", 99, 0)], (), "location 99 outside"),
        (
            [VehicleState("v1", 0, 0, served=("s1",)), VehicleState("v2", 0, 0, fixed=("s1",))],
            (),
            "duplicate served or fixed stop id 's1'",
        ),
        ([VehicleState("v1", 0, 0), VehicleState("v1", 0, 0)], (), "duplicate vehicle state"),
        ([], (Stop("s1", 1),), "duplicate stop id 's1'"),
        ([], (Stop("far", 42),), "location 42 outside"),
    ],
)
def test_replan_validation(states: list[VehicleState], new: tuple[Stop, ...], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        replan(_day(), states, new, time_limit=LIMIT)


def test_vehicle_state_validation() -> None:
    with pytest.raises(ValueError, match="duplicate"):
        VehicleState("v", 0, 0, served=("a",), fixed=("a",))
    with pytest.raises(ValueError, match="time = -1 < 0"):
        VehicleState("v", 0, -1)


def test_replan_when_every_vehicle_is_out_of_time() -> None:
    problem = _day()
    states = [
        VehicleState("v1", 5, 600, served=("s1", "s2", "s3")),
        VehicleState("v2", 0, 600),
    ]
    result = replan(problem, states, time_limit=LIMIT)
    assert not result.feasible
    assert set(result.unassigned) == {"s4", "s5"}
    v1 = result.route_of("v1")
    assert v1 is not None
    assert v1.end_time == 650
