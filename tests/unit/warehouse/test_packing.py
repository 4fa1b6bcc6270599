"""Tests of the 3D packing engine (maillon.warehouse.packing)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from maillon.warehouse import packing
from maillon.warehouse.packing import (
    ALL_ORIENTATIONS,
    ORIENTATIONS,
    UPRIGHT,
    Container,
    Item,
    PackingProblem,
    PackingResult,
    rotate,
    solve,
)

DATA = Path(__file__).resolve().parents[2] / "data" / "packing"


def assert_valid_packing(problem: PackingProblem, result: PackingResult) -> None:
    """Check every rule of a packing independently of the engine."""
    seen = Counter(p.item for p in result.placements)
    seen.update(result.unplaced)
    assert [seen[i] for i in range(len(problem.items))] == [it.quantity for it in problem.items]
    for index, load in enumerate(result.containers):
        container = problem.containers[load.container]
        boxes = result.in_container(index)
        assert len(boxes) == load.num_items > 0
        weight = 0
        for p in boxes:
            item = problem.items[p.item]
            x0, y0, z0, x1, y1, z1 = p.box
            assert min(x0, y0, z0) >= 0, p
            assert x1 <= container.length, p
            assert y1 <= container.width, p
            assert z1 <= container.height, p
            assert p.orientation in item.orientations, p
            assert rotate(item.dims, p.orientation) == (p.length, p.width, p.height)
            weight += item.weight
        assert weight == load.weight
        assert container.max_weight is None or weight <= container.max_weight
        volume = sum(problem.items[p.item].volume for p in boxes)
        assert load.fill_pct == pytest.approx(100.0 * volume / container.volume)
        for k, p in enumerate(boxes):
            a = p.box
            for q in boxes[k + 1 :]:
                b = q.box
                overlap = all(a[d] < b[d + 3] and b[d] < a[d + 3] for d in range(3))
                assert not overlap, (p, q)
            if a[2] > 0:
                # resting on boxes loaded before it (placements come in loading order)
                below = boxes[:k]
                support = 0
                for q in below:
                    b = q.box
                    if b[5] == a[2]:
                        w = min(a[3], b[3]) - max(a[0], b[0])
                        d = min(a[4], b[4]) - max(a[1], b[1])
                        if w > 0 and d > 0:
                            support += w * d
                assert support >= problem.support_ratio * p.length * p.width - 1e-6, p


def load_br(path: Path) -> PackingProblem:
    """Read one instance in the packing-visualizer JSON format (Bischoff & Ratcliff)."""
    data = json.loads(path.read_text())
    size = data["large_object"]["measurement"]
    items = [
        Item(
            f"type{k}",
            it["measurement"]["x"],
            it["measurement"]["y"],
            it["measurement"]["z"],
            quantity=it["quantity"],
            orientations=frozenset(
                name for name, ok in it["constraint"]["orientation"].items() if ok
            ),
        )
        for k, it in enumerate(data["small_items"])
    ]
    return PackingProblem(items, [Container("container", size["x"], size["y"], size["z"])])


# --------------------------------------------------------------------------- public API


def test_public_api_is_pinned() -> None:
    assert sorted(packing.__all__) == sorted(
        [
            "ALL_ORIENTATIONS",
            "ORIENTATIONS",
            "UPRIGHT",
            "Container",
            "ContainerLoad",
            "Item",
            "PackingProblem",
            "PackingResult",
            "Placement",
            "rotate",
            "solve",
        ]
    )


@pytest.mark.parametrize(
    ("orientation", "expected"),
    [
        ("xyz", (10, 20, 30)),
        ("yxz", (20, 10, 30)),
        ("xzy", (10, 30, 20)),
        ("zxy", (30, 10, 20)),
        ("yzx", (20, 30, 10)),
        ("zyx", (30, 20, 10)),
    ],
)
def test_rotate(orientation: str, expected: tuple[int, int, int]) -> None:
    assert rotate((10, 20, 30), orientation) == expected


def test_rotate_rejects_unknown_orientation() -> None:
    with pytest.raises(ValueError, match="orientation"):
        rotate((1, 2, 3), "abc")


# --------------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"length": 0}, "length"),
        ({"width": -3}, "width"),
        ({"height": 2.5}, "height"),
        ({"quantity": 0}, "quantity"),
        ({"weight": -1}, "weight"),
        ({"orientations": frozenset()}, "at least one orientation"),
        ({"orientations": frozenset({"xyz", "up"})}, "unknown orientations"),
    ],
)
def test_item_validation(kwargs: dict[str, object], message: str) -> None:
    base: dict[str, object] = {"name": "box", "length": 10, "width": 10, "height": 10}
    base.update(kwargs)
    with pytest.raises(ValueError, match=message):
        Item(**base)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"length": 0}, "length"),
        ({"height": True}, "height"),
        ({"max_weight": 0}, "max_weight"),
        ({"quantity": -1}, "quantity"),
    ],
)
def test_container_validation(kwargs: dict[str, object], message: str) -> None:
    base: dict[str, object] = {"name": "bin", "length": 10, "width": 10, "height": 10}
    base.update(kwargs)
    with pytest.raises(ValueError, match=message):
        Container(**base)  # type: ignore[arg-type]


@pytest.mark.parametrize("ratio", [0.0, -0.5, 1.5, float("nan")])
def test_problem_rejects_bad_support_ratio(ratio: float) -> None:
    with pytest.raises(ValueError, match="support_ratio"):
        PackingProblem([Item("a", 1, 1, 1)], [Container("c", 5, 5, 5)], support_ratio=ratio)


def test_problem_needs_a_container() -> None:
    with pytest.raises(ValueError, match="at least one container"):
        PackingProblem([Item("a", 1, 1, 1)], [])


def test_solve_rejects_negative_time_limit() -> None:
    problem = PackingProblem([Item("a", 1, 1, 1)], [Container("c", 5, 5, 5)])
    with pytest.raises(ValueError, match="time_limit"):
        solve(problem, time_limit=-1.0)


def test_problem_is_immutable() -> None:
    problem = PackingProblem([Item("a", 1, 1, 1)], [Container("c", 5, 5, 5)])
    assert isinstance(problem.items, tuple)
    with pytest.raises(AttributeError):
        problem.support_ratio = 0.5  # type: ignore[misc]


# --------------------------------------------------------------------------- hand-checked


def test_must_pass_27_boxes_of_65x66x83_in_200x200x300() -> None:
    # given 100 boxes that only fit 3 × 3 × 3 with the 83 mm side upright
    problem = PackingProblem(
        [Item("b", 65, 66, 83, quantity=100)], [Container("bin", 200, 200, 300)]
    )
    # when
    result = solve(problem, seed=0, time_limit=0.5)
    # then
    assert result.num_placed == 27
    assert len(result.unplaced) == 73
    assert {p.height for p in result.placements} == {83}
    assert_valid_packing(problem, result)


def test_perfect_cube_fill_is_complete() -> None:
    problem = PackingProblem(
        [Item("cube", 50, 50, 50, quantity=8)], [Container("c", 100, 100, 100)]
    )
    result = solve(problem, seed=0, time_limit=0.2)
    assert result.is_complete
    assert result.containers[0].fill_pct == pytest.approx(100.0)
    assert_valid_packing(problem, result)


def test_this_side_up_is_kept() -> None:
    # a tall upright item cannot lie down to enter a low container
    tall = Item("bottle", 30, 30, 90, orientations=UPRIGHT)
    result = solve(PackingProblem([tall], [Container("low", 100, 100, 50)]), time_limit=0.1)
    assert result.unplaced == (0,)
    # without the rule it lies on its side
    free = Item("bottle", 30, 30, 90)
    result = solve(PackingProblem([free], [Container("low", 100, 100, 50)]), time_limit=0.1)
    assert result.is_complete
    assert result.placements[0].height == 30


def test_weight_limit_is_kept() -> None:
    problem = PackingProblem(
        [Item("brick", 10, 10, 10, weight=1000, quantity=10)],
        [Container("c", 100, 100, 100, max_weight=3500)],
    )
    result = solve(problem, time_limit=0.1)
    assert result.num_placed == 3
    assert result.containers[0].weight == 3000
    assert_valid_packing(problem, result)


def test_items_are_split_over_containers() -> None:
    # given 8 boxes of which only one fits per container, and 5 containers
    problem = PackingProblem(
        [Item("box", 60, 60, 60, quantity=8)], [Container("c", 100, 100, 100, quantity=5)]
    )
    result = solve(problem, time_limit=0.2)
    assert len(result.containers) == 5
    assert result.num_placed == 5
    assert len(result.unplaced) == 3
    assert sorted({p.container for p in result.placements}) == [0, 1, 2, 3, 4]
    assert_valid_packing(problem, result)


def test_second_container_type_takes_the_rest() -> None:
    problem = PackingProblem(
        [Item("small", 40, 40, 40, quantity=3), Item("big", 90, 90, 90)],
        [Container("small-bin", 50, 50, 130), Container("big-bin", 100, 100, 100)],
    )
    result = solve(problem, time_limit=0.2)
    assert result.is_complete
    assert [c.name for c in result.containers] == ["small-bin", "big-bin"]
    assert_valid_packing(problem, result)


def test_no_floating_box_on_a_narrow_pillar() -> None:
    # a slab may not sit on a thin pillar: it must go to the floor first
    problem = PackingProblem(
        [
            Item("pillar", 20, 20, 80, orientations=UPRIGHT),
            Item("slab", 100, 100, 10, orientations=UPRIGHT),
        ],
        [Container("c", 100, 100, 100)],
    )
    result = solve(problem, time_limit=0.1)
    assert result.is_complete
    slab = next(p for p in result.placements if p.item == 1)
    assert slab.z == 0
    assert_valid_packing(problem, result)


def test_item_too_big_for_everything_is_unplaced() -> None:
    problem = PackingProblem(
        [Item("sofa", 2000, 900, 800), Item("cup", 10, 10, 10, quantity=2)],
        [Container("c", 100, 100, 100)],
    )
    result = solve(problem, time_limit=0.1)
    assert result.unplaced == (0,)
    assert result.num_placed == 2


def test_no_items_gives_an_empty_result() -> None:
    result = solve(PackingProblem([], [Container("c", 10, 10, 10)]), time_limit=0.1)
    assert result.placements == ()
    assert result.containers == ()
    assert result.is_complete
    assert result.mean_fill_pct == 0.0


def test_same_seed_same_greedy_result() -> None:
    problem = load_br(DATA / "br_tiny.json")
    first = solve(problem, seed=3, time_limit=0.0)
    second = solve(problem, seed=3, time_limit=0.0)
    assert first.placements == second.placements


def test_bischoff_ratcliff_style_fixture() -> None:
    problem = load_br(DATA / "br_tiny.json")
    result = solve(problem, seed=0, time_limit=0.5)
    assert_valid_packing(problem, result)
    assert result.containers[0].fill_pct >= 80.0
    # the first type may only stand on its 40 × 30 base
    assert all(p.height == 20 for p in result.placements if p.item == 0)


# --------------------------------------------------------------------------- properties

orientation_sets = st.sampled_from(
    [ALL_ORIENTATIONS, UPRIGHT, frozenset({"xyz"}), frozenset({"xzy", "zxy"})]
) | st.sets(st.sampled_from(ORIENTATIONS), min_size=1).map(frozenset)

items_strategy = st.lists(
    st.builds(
        Item,
        name=st.sampled_from(["a", "b", "c"]),
        length=st.integers(1, 60),
        width=st.integers(1, 60),
        height=st.integers(1, 60),
        weight=st.integers(0, 2000),
        quantity=st.integers(1, 8),
        orientations=orientation_sets,
    ),
    min_size=0,
    max_size=6,
)
containers_strategy = st.lists(
    st.builds(
        Container,
        name=st.just("bin"),
        length=st.integers(10, 120),
        width=st.integers(10, 120),
        height=st.integers(10, 120),
        max_weight=st.none() | st.integers(500, 20_000),
        quantity=st.integers(1, 3),
    ),
    min_size=1,
    max_size=2,
)


@settings(
    max_examples=80, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(
    items=items_strategy,
    containers=containers_strategy,
    ratio=st.sampled_from([0.5, 0.75, 1.0]),
    seed=st.integers(0, 3),
)
def test_packing_rules_always_hold(
    items: list[Item], containers: list[Container], ratio: float, seed: int
) -> None:
    problem = PackingProblem(items, containers, support_ratio=ratio)
    result = solve(problem, seed=seed, time_limit=0.01)
    assert_valid_packing(problem, result)


@settings(
    max_examples=30, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(
    items=st.lists(
        st.builds(
            Item,
            name=st.just("box"),
            length=st.integers(5, 40),
            width=st.integers(5, 40),
            height=st.integers(5, 40),
            weight=st.integers(0, 500),
            quantity=st.integers(5, 40),
            orientations=orientation_sets,
        ),
        min_size=1,
        max_size=4,
    ),
    size=st.tuples(st.integers(60, 150), st.integers(60, 150), st.integers(60, 150)),
    ratio=st.sampled_from([0.6, 1.0]),
)
def test_dense_loadings_keep_the_rules(
    items: list[Item], size: tuple[int, int, int], ratio: float
) -> None:
    container = Container("bin", *size, max_weight=8_000, quantity=2)
    problem = PackingProblem(items, [container], support_ratio=ratio)
    result = solve(problem, seed=1, time_limit=0.02)
    assert_valid_packing(problem, result)
