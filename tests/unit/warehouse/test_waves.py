"""Tests of the wave-selection engine (maillon.warehouse.waves)."""

from __future__ import annotations

import itertools
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from maillon.warehouse import waves
from maillon.warehouse.waves import METHODS, WaveProblem, evaluate, read_instance, solve

DATA = Path(__file__).resolve().parents[2] / "data" / "warehouse"
TINY = DATA / "wave_tiny.txt"


def brute_force(problem: WaveProblem) -> Fraction:
    """Best ratio by trying every aisle subset and every order subset (tiny problems only)."""
    best = Fraction(0)
    n_orders, n_aisles = len(problem.orders), len(problem.aisles)
    for k in range(1, n_aisles + 1):
        for aisles in itertools.combinations(range(n_aisles), k):
            for mask in range(1 << n_orders):
                orders = [o for o in range(n_orders) if mask >> o & 1]
                check = evaluate(problem, orders, aisles)
                if check.feasible:
                    best = max(best, Fraction(check.units, k))
    return best


@st.composite
def tiny_problems(draw: st.DrawFn) -> WaveProblem:
    """Random problems with <= 6 orders, <= 4 aisles and 4 items."""
    n_items = 4
    line = st.dictionaries(st.integers(0, n_items - 1), st.integers(1, 3), min_size=1, max_size=3)
    orders = draw(st.lists(line, min_size=1, max_size=6))
    aisles = draw(
        st.lists(
            st.dictionaries(st.integers(0, n_items - 1), st.integers(1, 5), max_size=4),
            min_size=1,
            max_size=4,
        )
    )
    lb = draw(st.integers(0, 6))
    ub = draw(st.integers(lb, lb + 10))
    return WaveProblem.from_mappings(orders, aisles, n_items=n_items, lb=lb, ub=ub)


# -- reading and checking ---------------------------------------------------------------------


def test_read_instance_tiny() -> None:
    problem = read_instance(TINY)
    assert len(problem.orders) == 5
    assert len(problem.aisles) == 3
    assert problem.n_items == 4
    assert (problem.lb, problem.ub) == (2, 8)
    assert problem.orders[1] == ((0, 2), (1, 1))
    assert problem.aisles[2] == ((0, 1), (3, 4))  # lines are sorted by item
    assert problem.order_units(3) == 3


def test_read_instance_sums_repeated_items(tmp_path: Path) -> None:
    path = tmp_path / "dup.txt"
    path.write_text("1 2 1\n2 0 1 0 2\n1 0 5\n1 3\n")
    problem = read_instance(path)
    assert problem.orders[0] == ((0, 3),)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1 2 1\n2 0 1\n", "ends early"),
        ("1 2 1\n1 0 1\n1 0 5\n1 3\n7\n", "trailing"),
        ("1 2 1\n1 5 1\n1 0 5\n1 3\n", "outside"),
        ("1 2 1\n1 0 1\n1 0 5\n3 1\n", "ub"),
        ("1 x 1\n", "non-integer"),
    ],
)
def test_read_instance_rejects_bad_files(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.txt"
    path.write_text(text)
    with pytest.raises(ValueError, match=message):
        read_instance(path)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"lb": -1}, "lb"),
        ({"lb": 5, "ub": 4}, "ub"),
        ({"orders": [{}]}, "no item"),
        ({"orders": [{0: 1}], "aisles": []}, "aisle"),
        ({"orders": [{9: 1}]}, "outside"),
    ],
)
def test_problem_validation(kwargs: dict[str, object], message: str) -> None:
    args: dict[str, object] = {
        "orders": [{0: 1}],
        "aisles": [{0: 2}],
        "n_items": 2,
        "lb": 0,
        "ub": 3,
    }
    args.update(kwargs)
    with pytest.raises(ValueError, match=message):
        WaveProblem.from_mappings(**args)  # type: ignore[arg-type]


def test_negative_units_rejected() -> None:
    with pytest.raises(ValueError, match="units"):
        WaveProblem(orders=(((0, -1),),), aisles=(((0, 1),),), n_items=1, lb=0, ub=1)


def test_evaluate_tiny() -> None:
    problem = read_instance(TINY)
    good = evaluate(problem, [0, 1], [0])
    assert good.feasible
    assert (good.units, good.n_aisles, good.objective) == (6, 1, 6.0)
    short = evaluate(problem, [0, 1, 4], [0])  # order 4 needs item 2, not in aisle 0
    assert not short.feasible
    assert any("short" in v for v in short.violations)
    over = evaluate(problem, [0, 1, 2], [0, 1])  # 9 units > ub 8
    assert not over.feasible
    assert any("outside" in v for v in over.violations)
    empty = evaluate(problem, [], [])
    assert not empty.feasible
    assert empty.objective == 0.0
    with pytest.raises(ValueError, match="does not exist"):
        evaluate(problem, [7], [0])


# -- solving ----------------------------------------------------------------------------------


@pytest.mark.parametrize("method", METHODS)
def test_tiny_known_optimum(method: str) -> None:
    # One aisle (0) serves orders 0 and 1: 6 units / 1 aisle.  Two aisles can hold at most
    # ub = 8 units (ratio 4), so 6 is the optimum, worked out by hand.
    problem = read_instance(TINY)
    result = solve(problem, method=method, seed=0, time_limit=5.0)
    assert result.feasible
    assert result.objective == pytest.approx(6.0)
    assert result.orders == (0, 1)
    assert result.aisles == (0,)
    assert result.method == method
    if method == "dinkelbach":
        assert result.is_optimal


def test_infeasible_problem_returns_empty_wave() -> None:
    problem = WaveProblem.from_mappings([{0: 2}], [{0: 1}], n_items=1, lb=1, ub=5)
    for method in METHODS:
        result = solve(problem, method=method, time_limit=1.0)
        assert not result.feasible
        assert result.objective == 0.0
        assert result.orders == ()


def test_solve_rejects_bad_arguments() -> None:
    problem = read_instance(TINY)
    with pytest.raises(ValueError, match="method"):
        solve(problem, method="magic")
    with pytest.raises(ValueError, match="time_limit"):
        solve(problem, time_limit=-1.0)
    with pytest.raises(ValueError, match="workers"):
        solve(problem, workers=0)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problem=tiny_problems())
def test_dinkelbach_matches_brute_force(problem: WaveProblem) -> None:
    optimum = brute_force(problem)
    result = solve(problem, seed=0, time_limit=5.0, workers=1)
    if optimum == 0 and not result.feasible:
        # Only an empty wave (lb = 0) or nothing is feasible; both score 0.
        assert result.objective == 0.0
        return
    assert result.feasible
    assert result.is_optimal
    assert Fraction(result.units, len(result.aisles)) == optimum


@settings(max_examples=30, deadline=None)
@given(problem=tiny_problems(), method=st.sampled_from(["greedy", "local_search"]))
def test_heuristic_waves_are_feasible_and_scored_right(problem: WaveProblem, method: str) -> None:
    result = solve(problem, method=method, seed=1, time_limit=1.0)
    if not result.feasible:
        assert result.orders == ()
        return
    check = evaluate(problem, result.orders, result.aisles)
    assert check.feasible
    assert result.units == check.units
    assert result.objective == pytest.approx(check.units / len(result.aisles))
    assert problem.lb <= result.units <= problem.ub
    assert result.objective <= float(brute_force(problem)) + 1e-9


def test_public_api() -> None:
    assert set(waves.__all__) == {
        "METHODS",
        "WaveCheck",
        "WaveProblem",
        "WaveResult",
        "evaluate",
        "read_instance",
        "solve",
    }
