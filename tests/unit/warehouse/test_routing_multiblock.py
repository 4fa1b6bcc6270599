"""Tests of the exact multi-block picker routing (maillon.warehouse.routing, "exact" method).

The oracle is independent of the dynamic programme: brute force over visiting orders, or
Held-Karp, on the shortest-path matrix of the aisle graph (``Layout.distance_matrix``).
"""

from __future__ import annotations

import itertools
import math
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from maillon.warehouse import routing
from maillon.warehouse.layout import Aisle, Depot, Layout, PickLocation, Side
from maillon.warehouse.routing import METHODS, PickingProblem, route_length, solve
from maillon.warehouse.routing import matrix as routing_matrix
from maillon.warehouse.routing.matrix import held_karp, matrix_route
from maillon.warehouse.routing.multi_block import DP_MAX_BLOCKS, mb_tables, multi_block_dp
from maillon.warehouse.routing.single_block import ratliff_rosenthal
from maillon.warehouse.routing.view import View

TOL = 1e-6
HEURISTICS = tuple(m for m in METHODS if m != "exact")


def optimum(problem: PickingProblem) -> float:
    """Shortest closed walk: brute force up to 7 distinct locations, else Held-Karp."""
    unique = tuple(dict.fromkeys((p.aisle, p.position) for p in problem.picks))
    if not unique:
        return 0.0
    d = problem.layout.distance_matrix(tuple(PickLocation(a, y) for a, y in unique))
    n = len(unique)
    if n > 7:
        return held_karp(d)[0]
    best = math.inf
    for perm in itertools.permutations(range(1, n + 1)):
        total = d[0, perm[0]] + d[perm[-1], 0]
        for u, v in itertools.pairwise(perm):
            total += d[u, v]
        best = min(best, float(total))
    return best


def random_problem(
    rng: random.Random, *, blocks: int, n_aisles: int, n_picks: int, grid: bool
) -> PickingProblem:
    """Uneven aisles and cross-aisles; the depot at, between, left or right of the aisles.

    With ``grid`` every position (picks and cross-aisles) is an integer, so picks often sit
    exactly on a cross-aisle (front, middle or back).
    """
    length = float(rng.choice([6, 10, 13]))
    xs = list(itertools.accumulate(rng.choice([1.0, 2.5, 4.0]) for _ in range(n_aisles)))
    middles: list[float]
    if grid:
        middles = sorted(float(y) for y in rng.sample(range(1, int(length)), blocks - 1))
    else:
        middles = sorted(rng.uniform(0.5, length - 0.5) for _ in range(blocks - 1))
        middles = [y for z, y in itertools.pairwise([-1.0, *middles]) if y - z > 1e-3]
    depot_x = rng.choice([xs[0], xs[-1], rng.choice(xs), (xs[0] + xs[-1]) / 2, xs[0] - 1.5])
    if n_aisles > 1 and rng.random() < 0.3:
        depot_x = xs[-1] + 2.0
    layout = Layout(
        aisles=tuple(Aisle(x, length) for x in xs),
        depot=Depot(depot_x, offset=rng.choice([0.0, 1.5])),
        middle_cross_aisles=tuple(float(y) for y in middles),
    )
    picks = []
    for _ in range(n_picks):
        if grid:
            position = float(rng.choice([rng.randint(0, int(length)), *middles]))
        else:
            position = rng.uniform(0, length)
        picks.append(PickLocation(rng.randrange(n_aisles), position, rng.choice(list(Side))))
    return PickingProblem(layout, tuple(picks))


multi_block_problems = st.builds(
    lambda seed, blocks, n_aisles, n_picks, grid: random_problem(
        random.Random(seed), blocks=blocks, n_aisles=n_aisles, n_picks=n_picks, grid=grid
    ),
    st.integers(0, 10**6),
    st.integers(2, 5),
    st.integers(1, 7),
    st.integers(1, 9),
    st.booleans(),
)


def check_walk(problem: PickingProblem, result: routing.RouteResult) -> None:
    """The route visits every pick once and its walk is exactly as long as reported."""
    assert sorted(result.sequence) == list(range(len(problem.picks)))
    assert result.picks == tuple(problem.picks[i] for i in result.sequence)
    assert route_length(problem, result.sequence) == pytest.approx(result.distance, abs=TOL)


# -- exactness ------------------------------------------------------------------------------


@settings(max_examples=120, deadline=None, derandomize=True)
@given(problem=multi_block_problems)
def test_multi_block_exact_equals_the_optimum(problem: PickingProblem) -> None:
    # given 2-5 blocks, uneven geometry, picks on cross-aisles; when solved exactly, then the
    # length is the brute-force / Held-Karp optimum and the walk realises it
    result = solve(problem)
    assert result.is_optimal
    assert result.method == "exact"
    assert result.distance == pytest.approx(optimum(problem), abs=TOL)
    check_walk(problem, result)


@pytest.mark.parametrize("blocks", [2, 3, 4, 5])
@pytest.mark.parametrize("seed", range(5))
def test_multi_block_exact_equals_held_karp_on_12_locations(seed: int, blocks: int) -> None:
    rng = random.Random(10 * seed + blocks)
    problem = random_problem(
        rng, blocks=blocks, n_aisles=rng.randint(4, 12), n_picks=12, grid=False
    )
    result = solve(problem)
    assert result.distance == pytest.approx(optimum(problem), abs=TOL)
    assert result.distance >= optimum(problem) - TOL  # never shorter than the optimum
    check_walk(problem, result)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(
    seed=st.integers(0, 10**6),
    n_aisles=st.integers(1, 12),
    n_picks=st.integers(1, 25),
    grid=st.booleans(),
)
def test_general_sweep_on_one_block_equals_ratliff_rosenthal(
    seed: int, n_aisles: int, n_picks: int, grid: bool
) -> None:
    # the multi-block DP with no middle cross-aisle is an independent re-derivation of R&R
    problem = random_problem(
        random.Random(seed), blocks=1, n_aisles=n_aisles, n_picks=n_picks, grid=grid
    )
    view = View(problem)
    if view.at_depot_only():
        return
    expected, _ = ratliff_rosenthal(view)
    distance, order = multi_block_dp(view)
    assert distance == pytest.approx(expected, abs=TOL)
    assert route_length(problem, order) == pytest.approx(distance, abs=TOL)


def test_state_counts_match_the_literature() -> None:
    # Ratliff & Rosenthal (1983): 7 equivalence classes; Roodbergen & De Koster (2001), one
    # middle cross-aisle: 25
    assert mb_tables(2).n_states == 7
    assert mb_tables(3).n_states == 25


# -- hand-worked instances ------------------------------------------------------------------


def test_middle_cross_aisle_route_by_hand() -> None:
    # aisles at x = 0, 4, 8, length 10, middle cross-aisle at 5, depot at the front of aisle 0.
    # Picks at (aisle 0, 4) and (aisle 1, 6): up aisle 0 to the middle (5), across (4), up to
    # 6 and back (2), across back (4), down (5) = 20; via the front it would be 8 + 4 + 12 + 4
    layout = Layout.uniform(3, 10.0, 4.0, blocks=2)
    problem = PickingProblem(layout, (PickLocation(0, 4.0), PickLocation(1, 6.0)))
    result = solve(problem)
    assert result.distance == pytest.approx(20.0)
    check_walk(problem, result)


def test_traversal_through_two_blocks_by_hand() -> None:
    # two aisles 3 apart, length 12, cross-aisles at 4 and 8; picks at the back of both aisles
    # and on the middle cross-aisle at y = 4 of aisle 1: the best tour is the rectangle
    # 12 + 3 + 12 + 3 = 30 (every pick lies on it)
    layout = Layout(
        aisles=(Aisle(0.0, 12.0), Aisle(3.0, 12.0)),
        depot=Depot(0.0, offset=1.0),
        middle_cross_aisles=(4.0, 8.0),
    )
    picks = (PickLocation(0, 12.0), PickLocation(1, 12.0), PickLocation(1, 4.0))
    result = solve(PickingProblem(layout, picks))
    assert result.distance == pytest.approx(30.0 + 2.0)
    assert result.is_optimal


def test_picks_only_on_a_middle_cross_aisle() -> None:
    # depot between the aisles; both picks sit where the middle cross-aisle meets the aisles:
    # up one aisle to y = 5, across, down the other, back to the depot = 5 + 6 + 5 + 6
    layout = Layout.uniform(2, 10.0, 6.0, blocks=2, depot_x=3.0)
    picks = (PickLocation(0, 5.0), PickLocation(1, 5.0))
    result = solve(PickingProblem(layout, picks))
    assert result.distance == pytest.approx(22.0)


# -- the route itself -----------------------------------------------------------------------


@pytest.mark.parametrize("blocks", [2, 3, 4])
def test_large_multi_block_order_is_optimal_and_deterministic(blocks: int) -> None:
    rng = random.Random(7)
    problem = random_problem(rng, blocks=blocks, n_aisles=15, n_picks=60, grid=False)
    first, again = solve(problem, seed=3), solve(problem, seed=11)
    assert first.is_optimal
    assert first.sequence == again.sequence
    assert first.distance == again.distance
    check_walk(problem, first)
    for method in HEURISTICS:
        assert first.distance <= solve(problem, method=method).distance + TOL, method


@pytest.mark.parametrize("seed", range(4))
def test_former_local_search_is_never_shorter_than_the_dp(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the former multi-block method, forced to its local search, against the exact DP
    rng = random.Random(300 + seed)
    problem = random_problem(rng, blocks=2 + seed % 2, n_aisles=8, n_picks=20, grid=False)
    exact = solve(problem)
    monkeypatch.setattr(routing_matrix, "HELD_KARP_MAX", 0)
    distance, order, optimal = matrix_route(View(problem), 0, None, 0.0)
    assert not optimal
    assert exact.distance - TOL <= distance <= 1.10 * exact.distance
    assert route_length(problem, order) == pytest.approx(distance, abs=TOL)


@pytest.mark.parametrize("method", METHODS)
def test_heuristics_stay_valid_walks_on_multi_block_layouts(method: str) -> None:
    problem = random_problem(random.Random(5), blocks=3, n_aisles=9, n_picks=25, grid=True)
    result = solve(problem, method=method)
    assert sorted(result.sequence) == list(range(25))
    assert route_length(problem, result.sequence) <= result.distance + TOL
    assert result.distance >= solve(problem).distance - TOL


def test_duplicates_and_picks_at_the_depot_on_several_blocks() -> None:
    layout = Layout.uniform(4, 10.0, 3.0, blocks=3, depot_x=3.0, depot_offset=0.5)
    base = (PickLocation(1, 0.0), PickLocation(3, 7.0), PickLocation(0, 10.0))
    once = solve(PickingProblem(layout, base))
    twice = solve(PickingProblem(layout, base + base))
    assert twice.distance == pytest.approx(once.distance)
    check_walk(PickingProblem(layout, base + base), twice)


# -- beyond the DP's block limit ------------------------------------------------------------


def test_more_blocks_than_the_dp_handles_fall_back_honestly() -> None:
    rng = random.Random(3)
    blocks = DP_MAX_BLOCKS + 1
    small = random_problem(rng, blocks=blocks, n_aisles=6, n_picks=8, grid=False)
    result = solve(small)
    assert result.is_optimal  # Held-Karp
    assert result.distance == pytest.approx(optimum(small), abs=TOL)
    large = random_problem(
        rng, blocks=blocks, n_aisles=6, n_picks=routing.HELD_KARP_MAX + 8, grid=False
    )
    result = solve(large, time_limit=0.05)
    assert not result.is_optimal
    check_walk(large, result)
