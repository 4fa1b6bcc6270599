"""Tests of the picker-routing engine (maillon.warehouse.layout and .routing)."""

from __future__ import annotations

import dataclasses
import itertools
import json
import math
import random
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from maillon.warehouse import layout as layout_module
from maillon.warehouse import routing
from maillon.warehouse.layout import Aisle, Depot, Layout, PickLocation, Side
from maillon.warehouse.routing import (
    HELD_KARP_MAX,
    METHODS,
    PickingProblem,
    RouteResult,
    route_length,
    solve,
)
from maillon.warehouse.routing.matrix import held_karp

DATA = Path(__file__).resolve().parents[2] / "data" / "warehouse"
TINY = json.loads((DATA / "tiny_routes.json").read_text())["instances"]
HEURISTICS = tuple(m for m in METHODS if m != "exact")
TOL = 1e-7


def load_instance(spec: dict[str, Any]) -> PickingProblem:
    """Build a problem from one entry of tiny_routes.json."""
    layout = Layout(
        aisles=tuple(Aisle(**a) for a in spec["aisles"]),
        depot=Depot(**spec["depot"]),
        middle_cross_aisles=tuple(spec["middle_cross_aisles"]),
    )
    picks = tuple(PickLocation(aisle=a, position=p) for a, p in spec["picks"])
    return PickingProblem(layout=layout, picks=picks)


def brute_force(problem: PickingProblem) -> float:
    """Shortest closed walk by trying every visiting order on the shortest-path matrix."""
    d = problem.layout.distance_matrix(problem.picks).tolist()
    n = len(problem.picks)
    if n == 0:
        return 0.0
    best = math.inf
    for perm in itertools.permutations(range(1, n + 1)):
        total = d[0][perm[0]] + d[perm[-1]][0]
        for u, v in itertools.pairwise(perm):
            total += d[u][v]
        best = min(best, total)
    return best


def random_problem(
    rng: random.Random,
    *,
    n_aisles: int,
    n_picks: int,
    blocks: int = 1,
    integer_positions: bool = False,
) -> PickingProblem:
    """A random problem; the depot is at the left, in the middle or between aisles."""
    length = rng.choice([8.0, 10.0, 25.0])
    spacing = rng.choice([2.0, 3.5, 5.0])
    depot_x = rng.choice([0.0, spacing * (n_aisles - 1) / 2, spacing * 0.5, -1.0])
    layout = Layout.uniform(
        n_aisles,
        length,
        spacing,
        blocks=blocks,
        depot_x=depot_x,
        depot_offset=rng.choice([0.0, 1.0]),
    )
    picks = []
    for _ in range(n_picks):
        if integer_positions:
            position = float(rng.randint(0, int(length)))
        else:
            position = rng.uniform(0, length)
        side = rng.choice([Side.LEFT, Side.RIGHT])
        picks.append(PickLocation(rng.randrange(n_aisles), position, side))
    return PickingProblem(layout=layout, picks=tuple(picks))


problems = st.builds(
    lambda seed, n_aisles, n_picks, blocks, integer: random_problem(
        random.Random(seed),
        n_aisles=n_aisles,
        n_picks=n_picks,
        blocks=blocks,
        integer_positions=integer,
    ),
    st.integers(0, 10**6),
    st.integers(1, 8),
    st.integers(0, 9),
    st.sampled_from([1, 1, 2, 3]),
    st.booleans(),
)


# -- hand-checked tiny instances ------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "method"),
    [(spec, method) for spec in TINY for method in spec["expected"]],
    ids=lambda v: v["name"] if isinstance(v, dict) else v,
)
def test_tiny_instance_distance(spec: dict[str, Any], method: str) -> None:
    # given a hand-checked instance, when solved, then the distance is the hand-worked one
    result = solve(load_instance(spec), method=method)
    assert result.distance == pytest.approx(spec["expected"][method])


@pytest.mark.parametrize("spec", TINY, ids=lambda v: v["name"])
def test_tiny_instance_exact_is_brute_force_and_optimal(spec: dict[str, Any]) -> None:
    problem = load_instance(spec)
    result = solve(problem)
    assert result.is_optimal
    assert result.distance == pytest.approx(brute_force(problem))
    assert route_length(problem, result.sequence) == pytest.approx(result.distance)


# -- exactness ------------------------------------------------------------------------------


@pytest.mark.parametrize("blocks", [1, 2, 3])
@pytest.mark.parametrize("seed", range(12))
def test_exact_equals_brute_force(seed: int, blocks: int) -> None:
    rng = random.Random(seed)
    problem = random_problem(
        rng,
        n_aisles=rng.randint(1, 6),
        n_picks=rng.randint(1, 6),
        blocks=blocks,
        integer_positions=seed % 2 == 0,
    )
    result = solve(problem)
    assert result.is_optimal
    assert result.distance == pytest.approx(brute_force(problem), abs=TOL)


@pytest.mark.parametrize("seed", range(15))
def test_ratliff_rosenthal_equals_held_karp_single_block(seed: int) -> None:
    # Held-Karp on the shortest-path matrix is an independent exact method
    rng = random.Random(1000 + seed)
    problem = random_problem(rng, n_aisles=rng.randint(3, 12), n_picks=HELD_KARP_MAX)
    matrix = problem.layout.distance_matrix(problem.picks)
    expected, _ = held_karp(matrix)
    assert solve(problem).distance == pytest.approx(expected, abs=TOL)


@settings(max_examples=150, deadline=None, derandomize=True)
@given(problem=problems)
def test_exact_is_never_worse_than_any_heuristic(problem: PickingProblem) -> None:
    exact = solve(problem)
    for method in HEURISTICS:
        assert exact.distance <= solve(problem, method=method).distance + TOL, method


@pytest.mark.parametrize("seed", range(8))
def test_exact_beats_heuristics_on_large_single_block_orders(seed: int) -> None:
    rng = random.Random(seed)
    problem = random_problem(rng, n_aisles=20, n_picks=30)
    exact = solve(problem)
    assert exact.is_optimal
    assert route_length(problem, exact.sequence) == pytest.approx(exact.distance)
    for method in HEURISTICS:
        assert exact.distance <= solve(problem, method=method).distance + TOL


# -- route invariants -----------------------------------------------------------------------


@settings(max_examples=120, deadline=None, derandomize=True)
@given(problem=problems, method=st.sampled_from(METHODS))
def test_every_pick_visited_exactly_once(problem: PickingProblem, method: str) -> None:
    result = solve(problem, method=method)
    assert sorted(result.sequence) == list(range(len(problem.picks)))
    assert result.picks == tuple(problem.picks[i] for i in result.sequence)
    assert result.method == method
    assert result.runtime >= 0


@settings(max_examples=120, deadline=None, derandomize=True)
@given(problem=problems, method=st.sampled_from(METHODS))
def test_route_is_a_closed_walk_from_the_depot(problem: PickingProblem, method: str) -> None:
    # route_length walks depot -> picks in order -> depot along shortest paths; the method's
    # own walk visits the same picks in the same order, so it cannot be shorter than that
    result = solve(problem, method=method)
    walked = route_length(problem, result.sequence)
    assert walked <= result.distance + TOL
    if method == "exact":
        assert walked == pytest.approx(result.distance, abs=TOL)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize(("aisle", "position"), [(0, 3.0), (4, 0.0), (2, 10.0), (3, 7.5)])
def test_single_pick_is_out_and_back(method: str, aisle: int, position: float) -> None:
    layout = Layout.uniform(5, 10.0, 3.0, depot_x=4.0, depot_offset=0.5)
    pick = PickLocation(aisle, position)
    result = solve(PickingProblem(layout, (pick,)), method=method)
    assert result.distance == pytest.approx(2 * layout.distance(layout.depot, pick))
    assert result.next_task(0) == pick
    assert result.next_task(1) is None


@pytest.mark.parametrize("method", METHODS)
def test_empty_order_has_empty_route(method: str) -> None:
    result = solve(PickingProblem(Layout.uniform(3, 10.0, 2.0), ()), method=method)
    assert result.distance == 0.0
    assert result.sequence == ()
    assert result.next_task(0) is None


@pytest.mark.parametrize("method", METHODS)
def test_picks_at_the_depot_cost_only_the_offset(method: str) -> None:
    layout = Layout.uniform(3, 10.0, 2.0, depot_x=2.0, depot_offset=1.25)
    problem = PickingProblem(layout, (PickLocation(1, 0.0), PickLocation(1, 0.0)))
    result = solve(problem, method=method)
    assert result.distance == pytest.approx(2.5)
    assert sorted(result.sequence) == [0, 1]


@pytest.mark.parametrize("seed", range(10))
def test_duplicate_locations_are_each_visited(seed: int) -> None:
    rng = random.Random(seed)
    base = random_problem(rng, n_aisles=6, n_picks=5, blocks=1 + seed % 2)
    doubled = PickingProblem(base.layout, base.picks + base.picks)
    once, twice = solve(base), solve(doubled)
    assert twice.distance == pytest.approx(once.distance)
    assert sorted(twice.sequence) == list(range(10))


@pytest.mark.parametrize("seed", range(20))
def test_combined_dominates_sshape_and_return(seed: int) -> None:
    # S-shape and return are both feasible choices of the combined heuristic's DP
    rng = random.Random(seed)
    problem = random_problem(rng, n_aisles=rng.randint(1, 15), n_picks=rng.randint(1, 25))
    combined = solve(problem, method="combined").distance
    assert combined <= solve(problem, method="sshape").distance + TOL
    assert combined <= solve(problem, method="return").distance + TOL


def combined_by_enumeration(problem: PickingProblem) -> float:
    """Best walk that visits pick aisles left to right, each traversed or returned from."""
    layout = problem.layout
    length = layout.aisle_length
    aisles = sorted({p.aisle for p in problem.picks})
    ys = {j: [p.position for p in problem.picks if p.aisle == j] for j in aisles}
    xs = [layout.aisles[j].x for j in aisles]
    depot = layout.depot
    horizontal = abs(depot.x - xs[0]) + (xs[-1] - xs[0]) + abs(xs[-1] - depot.x)
    best = math.inf
    for choice in itertools.product((True, False), repeat=len(aisles)):
        at_front, walk = True, 0.0
        for j, traverse in zip(aisles, choice, strict=True):
            if traverse:
                walk += length
                at_front = not at_front
            else:
                walk += 2 * (max(ys[j]) if at_front else length - min(ys[j]))
        if at_front:
            best = min(best, walk)
    return best + horizontal + 2 * depot.offset


@pytest.mark.parametrize("seed", range(20))
def test_combined_is_its_rule_solved_by_enumeration(seed: int) -> None:
    rng = random.Random(500 + seed)
    problem = random_problem(rng, n_aisles=rng.randint(1, 8), n_picks=rng.randint(1, 14))
    assert solve(problem, method="combined").distance == pytest.approx(
        combined_by_enumeration(problem)
    )


@pytest.mark.parametrize("seed", range(6))
def test_sshape_visits_aisles_left_to_right_alternating(seed: int) -> None:
    rng = random.Random(seed)
    problem = random_problem(rng, n_aisles=10, n_picks=20)
    picks = solve(problem, method="sshape").picks
    aisles = [p.aisle for p in picks]
    assert aisles == sorted(aisles)
    runs = [[p.position for p in group] for _, group in itertools.groupby(picks, lambda p: p.aisle)]
    for k, positions in enumerate(runs):
        if k % 2 == 0:
            assert positions == sorted(positions)
        else:
            assert positions == sorted(positions, reverse=True)


# -- multi-block: exact by the dynamic programme (see test_routing_multiblock.py) ----------


def test_multi_block_time_limit_zero_still_returns_a_valid_route() -> None:
    problem = random_problem(random.Random(8), n_aisles=8, n_picks=30, blocks=3)
    result = solve(problem, time_limit=0.0)
    assert sorted(result.sequence) == list(range(30))
    assert route_length(problem, result.sequence) == pytest.approx(result.distance)


def test_middle_cross_aisle_shortens_the_exact_route() -> None:
    one = random_problem(random.Random(11), n_aisles=6, n_picks=8, blocks=1)
    two_blocks = dataclasses.replace(one.layout, middle_cross_aisles=(one.layout.aisle_length / 2,))
    assert solve(PickingProblem(two_blocks, one.picks)).distance <= solve(one).distance + TOL


# -- distances ------------------------------------------------------------------------------


@settings(max_examples=60, deadline=None, derandomize=True)
@given(problem=problems)
def test_distance_matrix_is_a_metric_matching_pairwise_distance(problem: PickingProblem) -> None:
    layout, picks = problem.layout, problem.picks
    matrix = layout.distance_matrix(picks)
    points: tuple[PickLocation | Depot, ...] = (layout.depot, *picks)
    n = len(points)
    assert np.allclose(matrix, matrix.T)
    assert np.all(np.diag(matrix) == 0)
    for i in range(n):
        for j in range(n):
            if i != j:
                assert matrix[i, j] == pytest.approx(layout.distance(points[i], points[j]))
    via = (matrix[:, :, None] + matrix[None, :, :]).min(axis=1)
    assert np.all(matrix <= via + TOL)


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        (PickLocation(0, 2.0), PickLocation(0, 9.0), 7.0),  # same aisle: straight
        (PickLocation(0, 2.0), PickLocation(1, 3.0), 4.0 + 2.0 + 3.0),  # via the front
        (PickLocation(0, 8.0), PickLocation(2, 9.0), 8.0 + 2.0 + 1.0),  # via the back
        (PickLocation(0, 4.0), PickLocation(1, 6.0), 4.0 + 1.0 + 1.0),  # via the middle
        (Depot(x=0.0, offset=1.0), PickLocation(1, 3.0), 1.0 + 4.0 + 3.0),
    ],
)
def test_distance_walks_along_the_aisle_graph(
    a: PickLocation | Depot, b: PickLocation | Depot, expected: float
) -> None:
    layout = Layout.uniform(3, 10.0, 4.0, blocks=2)  # middle cross-aisle at 5
    assert layout.distance(a, b) == pytest.approx(expected)
    assert layout.distance(b, a) == pytest.approx(expected)


# -- validation and API ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: Aisle(x=0.0, length=0.0), "length"),
        (lambda: Aisle(x=math.nan, length=5.0), "finite"),
        (lambda: Depot(x=0.0, offset=-1.0), "offset"),
        (lambda: PickLocation(aisle=-1, position=1.0), "aisle"),
        (lambda: PickLocation(aisle=0, position=-0.5), "position"),
        (lambda: PickLocation(aisle=0, position=1.0, side=2), "Side"),  # type: ignore[arg-type]
        (lambda: Layout(aisles=(), depot=Depot(0.0)), "at least one aisle"),
        (
            lambda: Layout(aisles=(Aisle(2.0, 5.0), Aisle(1.0, 5.0)), depot=Depot(0.0)),
            "strictly increasing",
        ),
        (
            lambda: Layout(aisles=(Aisle(0.0, 5.0), Aisle(1.0, 6.0)), depot=Depot(0.0)),
            "same length",
        ),
        (
            lambda: Layout(aisles=(Aisle(0.0, 5.0),), depot=Depot(0.0), middle_cross_aisles=(5.0,)),
            "strictly between",
        ),
        (lambda: Layout.uniform(0, 5.0, 1.0), "n_aisles"),
        (lambda: Layout.uniform(2, 5.0, 1.0, blocks=0), "blocks"),
        (lambda: PickingProblem(Layout.uniform(2, 5.0, 1.0), (PickLocation(2, 1.0),)), "aisle 2"),
        (lambda: PickingProblem(Layout.uniform(2, 5.0, 1.0), (PickLocation(1, 6.0),)), "beyond"),
    ],
)
def test_constructors_fail_loudly(build: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build()


def test_solve_rejects_bad_arguments() -> None:
    problem = PickingProblem(Layout.uniform(2, 5.0, 1.0), (PickLocation(1, 2.0),))
    with pytest.raises(ValueError, match="method"):
        solve(problem, method="tabu")
    with pytest.raises(ValueError, match="time_limit"):
        solve(problem, time_limit=-1.0)
    with pytest.raises(ValueError, match="exactly once"):
        route_length(problem, [0, 0])
    with pytest.raises(ValueError, match="done"):
        solve(problem).next_task(-1)


def test_results_and_problems_are_immutable() -> None:
    problem = PickingProblem(Layout.uniform(2, 5.0, 1.0), [PickLocation(1, 2.0)])  # type: ignore[arg-type]
    assert isinstance(problem.picks, tuple)
    result = solve(problem)
    assert isinstance(result, RouteResult)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.distance = 0.0  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        problem.layout.depot.x = 3.0  # type: ignore[misc]


def test_layout_derived_facts() -> None:
    layout = Layout.uniform(4, 12.0, 3.0, blocks=3, depot_x=1.0)
    assert layout.n_aisles == 4
    assert layout.n_blocks == 3
    assert layout.cross_aisles == (0.0, 4.0, 8.0, 12.0)
    assert [layout.block_of(y) for y in (0.0, 4.0, 4.1, 11.0, 12.0)] == [0, 0, 1, 2, 2]
    with pytest.raises(ValueError, match="outside"):
        layout.block_of(12.5)


def test_public_api_is_pinned() -> None:
    assert set(routing.__all__) == {
        "HELD_KARP_MAX",
        "METHODS",
        "PickingProblem",
        "RouteResult",
        "route_length",
        "solve",
    }
    assert set(layout_module.__all__) == {"Aisle", "Depot", "Layout", "PickLocation", "Side"}
    assert METHODS == ("exact", "sshape", "return", "midpoint", "largest_gap", "combined")
