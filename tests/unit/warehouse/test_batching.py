"""Tests of the order-batching and wave-planning engine (maillon.warehouse.batching)."""

from __future__ import annotations

import json
import math
import random
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from maillon.warehouse import batching, routing
from maillon.warehouse.batching import (
    ADD_RULES,
    METHODS,
    SEED_RULES,
    BatchingProblem,
    BatchOrder,
    plan_waves,
    solve,
)
from maillon.warehouse.layout import Layout, PickLocation
from maillon.warehouse.routing import PickingProblem

DATA = Path(__file__).resolve().parents[2] / "data" / "warehouse"
TINY: dict[str, Any] = json.loads((DATA / "batching_tiny.json").read_text())
TOL = 1e-7


def tiny_problem(method: str = "exact") -> BatchingProblem:
    """The hand-checked instance of batching_tiny.json."""
    layout = Layout.uniform(TINY["n_aisles"], TINY["aisle_length"], TINY["aisle_spacing"])
    orders = tuple(
        BatchOrder(picks=tuple(PickLocation(a, p) for a, p in spec), ref=f"o{k}")
        for k, spec in enumerate(TINY["orders"])
    )
    return BatchingProblem(layout, orders, max_units=TINY["max_units"], routing_method=method)


def random_problem(
    seed: int,
    n_orders: int,
    *,
    max_units: int | None = 8,
    max_volume: float | None = None,
    blocks: int = 1,
    routing_method: str = "exact",
) -> BatchingProblem:
    """Random orders of 1-4 picks (volume 0.5-2 per order) in an 8-aisle warehouse."""
    rng = random.Random(seed)
    layout = Layout.uniform(8, 20.0, 4.0, blocks=blocks, depot_offset=1.0)
    orders = tuple(
        BatchOrder(
            picks=tuple(
                PickLocation(rng.randrange(8), round(rng.uniform(0, 20.0), 1))
                for _ in range(rng.randint(1, 4))
            ),
            volume=round(rng.uniform(0.5, 2.0), 2),
        )
        for _ in range(n_orders)
    )
    return BatchingProblem(
        layout, orders, max_units=max_units, max_volume=max_volume, routing_method=routing_method
    )


def single_distance(problem: BatchingProblem) -> float:
    """Sum of the single-order routes (the problem's routing method)."""
    return sum(
        routing.solve(
            PickingProblem(problem.layout, o.picks), method=problem.routing_method
        ).distance
        for o in problem.orders
    )


def assert_valid(problem: BatchingProblem, result: batching.BatchingResult) -> None:
    """Every order in exactly one batch, capacities kept, routes cover each batch's picks."""
    flat = sorted(o for batch in result.batches for o in batch)
    assert flat == list(range(len(problem.orders)))
    for batch, route in zip(result.batches, result.routes, strict=True):
        members = [problem.orders[o] for o in batch]
        assert problem.fits(members)
        if problem.max_units is not None:
            assert sum(o.size for o in members) <= problem.max_units
        if problem.max_volume is not None:
            assert sum(o.volume for o in members) <= problem.max_volume + 1e-9
        assert len(route.picks) == sum(len(o.picks) for o in members)
    assert math.isclose(result.distance, sum(r.distance for r in result.routes), abs_tol=TOL)


# -- the hand-checked instance ----------------------------------------------------------------


def test_tiny_savings_pairs_aisle_mates() -> None:
    problem = tiny_problem()
    assert single_distance(problem) == pytest.approx(160.0)
    result = solve(problem, method="savings", seed=0, time_limit=2.0)
    assert [list(b) for b in result.batches] == TINY["expected_batches"]
    assert result.distance == pytest.approx(TINY["expected_distance"])
    assert_valid(problem, result)


@pytest.mark.parametrize("seed_rule", SEED_RULES)
@pytest.mark.parametrize("add_rule", ADD_RULES)
def test_tiny_seed_batching_finds_the_pairs(seed_rule: str, add_rule: str) -> None:
    problem = tiny_problem()
    result = solve(problem, method="seed", seed_rule=seed_rule, add_rule=add_rule)
    assert result.distance == pytest.approx(TINY["expected_distance"])
    assert_valid(problem, result)


def test_single_is_one_batch_per_order() -> None:
    problem = tiny_problem()
    result = solve(problem, method="single")
    assert result.batches == ((0,), (1,), (2,), (3,))
    assert result.distance == pytest.approx(160.0)


# -- invariants ---------------------------------------------------------------------------------


@settings(max_examples=20, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    n_orders=st.integers(1, 12),
    method=st.sampled_from(METHODS),
    capacity=st.sampled_from(["units", "volume", "both"]),
)
def test_every_order_once_and_capacity_kept(
    seed: int, n_orders: int, method: str, capacity: str
) -> None:
    problem = random_problem(
        seed,
        n_orders,
        max_units=None if capacity == "volume" else 8,
        max_volume=None if capacity == "units" else 4.0,
    )
    result = solve(problem, method=method, seed=seed, time_limit=1.0)
    assert_valid(problem, result)


@settings(max_examples=20, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    n_orders=st.integers(1, 12),
    method=st.sampled_from(["savings", "seed"]),
    blocks=st.sampled_from([1, 2]),
)
def test_batching_never_walks_more_than_single_orders(
    seed: int, n_orders: int, method: str, blocks: int
) -> None:
    # With exact routes, the route of a union of orders is never longer than the sum of their
    # routes (joining two closed walks at the depot is a walk), so batching cannot lose.  On 2
    # blocks, orders here have at most 4 picks, so batches of <= 8 picks are Held-Karp exact.
    problem = random_problem(seed, n_orders, blocks=blocks)
    result = solve(problem, method=method, seed=seed, time_limit=1.0)
    assert result.distance <= single_distance(problem) + TOL


@pytest.mark.parametrize("method", ["savings", "seed"])
def test_local_search_never_hurts(method: str) -> None:
    problem = random_problem(3, 30)
    plain = solve(problem, method=method, improve=False)
    improved = solve(problem, method=method, seed=0, time_limit=5.0)
    assert improved.distance <= plain.distance + TOL
    assert_valid(problem, improved)


def test_batching_saves_on_random_orders() -> None:
    problem = random_problem(7, 40, max_units=12)
    result = solve(problem, seed=0, time_limit=3.0)
    assert result.distance < 0.8 * single_distance(problem)


def test_same_seed_same_answer() -> None:
    problem = random_problem(11, 25)
    first = solve(problem, seed=5, time_limit=5.0)
    second = solve(problem, seed=5, time_limit=5.0)
    assert first.batches == second.batches
    assert first.distance == second.distance


@pytest.mark.parametrize("routing_method", ["sshape", "largest_gap"])
def test_heuristic_routing_methods(routing_method: str) -> None:
    problem = random_problem(2, 20, routing_method=routing_method)
    result = solve(problem, seed=0, time_limit=2.0)
    assert_valid(problem, result)
    assert {r.method for r in result.routes} == {routing_method}


# -- validation -------------------------------------------------------------------------------


def test_problem_validation() -> None:
    layout = Layout.uniform(3, 10.0, 2.0)
    order = BatchOrder(picks=(PickLocation(0, 1.0),), units=3, volume=2.0)
    with pytest.raises(ValueError, match="max_units and/or max_volume"):
        BatchingProblem(layout, (order,))
    with pytest.raises(ValueError, match="max_units"):
        BatchingProblem(layout, (order,), max_units=0)
    with pytest.raises(ValueError, match="max_volume"):
        BatchingProblem(layout, (order,), max_volume=-1.0)
    with pytest.raises(ValueError, match="alone exceeds"):
        BatchingProblem(layout, (order,), max_units=2)
    with pytest.raises(ValueError, match="alone exceeds"):
        BatchingProblem(layout, (order,), max_volume=1.0)
    with pytest.raises(ValueError, match="routing_method"):
        BatchingProblem(layout, (order,), max_units=5, routing_method="walk")
    with pytest.raises(ValueError, match="aisle"):
        BatchingProblem(layout, (BatchOrder(picks=(PickLocation(7, 1.0),)),), max_units=5)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"picks": ()}, "no pick"),
        ({"units": 0}, "units"),
        ({"volume": -1.0}, "volume"),
        ({"volume": math.nan}, "volume"),
        ({"cutoff": math.nan}, "cutoff"),
    ],
)
def test_order_validation(kwargs: dict[str, Any], message: str) -> None:
    args: dict[str, Any] = {"picks": (PickLocation(0, 1.0),)}
    args.update(kwargs)
    with pytest.raises(ValueError, match=message):
        BatchOrder(**args)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"method": "magic"}, "method"),
        ({"seed_rule": "magic"}, "seed_rule"),
        ({"add_rule": "magic"}, "add_rule"),
        ({"time_limit": -1.0}, "time_limit"),
        ({"max_pairs": -1}, "max_pairs"),
    ],
)
def test_solve_rejects_bad_arguments(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        solve(tiny_problem(), **kwargs)


def test_units_default_to_picks() -> None:
    order = BatchOrder(picks=(PickLocation(0, 1.0), PickLocation(1, 2.0)))
    assert order.size == 2
    assert order.units == 2


# -- wave planning ------------------------------------------------------------------------------


def wave_orders() -> list[BatchOrder]:
    """Orders with cut-offs 10 / 20 / 30 (minutes), priorities and units."""
    pick = (PickLocation(0, 1.0),)
    specs = [(20, 0, 2), (10, 0, 3), (10, 5, 2), (30, 0, 4), (20, 9, 1), (10, 0, 4)]
    return [
        BatchOrder(picks=pick, units=u, cutoff=c, priority=p, ref=f"o{k}")
        for k, (c, p, u) in enumerate(specs)
    ]


def test_plan_waves_by_cutoff_then_priority() -> None:
    waves = plan_waves(wave_orders(), max_units=6, fill_forward=False)
    # cut-off 10: o2 (priority 5), o1, o5 -> 2 + 3 = 5, o5 (4) waits for the next wave
    assert [w.orders for w in waves] == [(2, 1), (5,), (4, 0), (3,)]
    assert [w.cutoff for w in waves] == [10, 10, 20, 30]
    assert [w.units for w in waves] == [5, 4, 3, 4]


def test_plan_waves_fill_forward() -> None:
    waves = plan_waves(wave_orders(), max_units=6)
    # o5 (4 units) does not fit next to o2 + o1 (5), but o4 (cut-off 20, 1 unit) does and is
    # pulled forward; o5 then leads the second wave, filled with o0; o3 is left alone.
    assert [w.orders for w in waves] == [(2, 1, 4), (5, 0), (3,)]
    assert [w.cutoff for w in waves] == [10, 10, 30]
    assert [w.units for w in waves] == [6, 6, 4]


@settings(max_examples=40, deadline=None)
@given(
    specs=st.lists(
        st.tuples(st.integers(0, 5), st.integers(0, 3), st.integers(1, 5)), min_size=0, max_size=25
    ),
    max_units=st.integers(5, 12),
    max_orders=st.one_of(st.none(), st.integers(1, 6)),
    fill_forward=st.booleans(),
)
def test_plan_waves_invariants(
    specs: list[tuple[int, int, int]], max_units: int, max_orders: int | None, fill_forward: bool
) -> None:
    pick = (PickLocation(0, 1.0),)
    orders = [BatchOrder(picks=pick, units=u, cutoff=c, priority=p) for c, p, u in specs]
    waves = plan_waves(
        orders, max_units=max_units, max_orders=max_orders, fill_forward=fill_forward
    )
    flat = sorted(o for w in waves for o in w.orders)
    assert flat == list(range(len(orders)))
    previous = -math.inf
    for wave in waves:
        assert wave.units == sum(orders[o].size for o in wave.orders) <= max_units
        if max_orders is not None:
            assert len(wave.orders) <= max_orders
        assert wave.cutoff == min(orders[o].cutoff for o in wave.orders)
        assert wave.cutoff >= previous  # waves leave in cut-off order
        previous = wave.cutoff
        if not fill_forward:
            assert len({orders[o].cutoff for o in wave.orders}) == 1


def test_plan_waves_validation() -> None:
    with pytest.raises(ValueError, match="max_units"):
        plan_waves(wave_orders(), max_units=0)
    with pytest.raises(ValueError, match="max_orders"):
        plan_waves(wave_orders(), max_orders=0)
    with pytest.raises(ValueError, match="units > max_units"):
        plan_waves(wave_orders(), max_units=3)


def test_public_api() -> None:
    assert set(batching.__all__) == {
        "ADD_RULES",
        "METHODS",
        "SEED_RULES",
        "BatchOrder",
        "BatchingProblem",
        "BatchingResult",
        "Wave",
        "plan_waves",
        "solve",
    }
