"""Tests of carton choice (maillon.warehouse.cartons)."""

from __future__ import annotations

import math
from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from maillon.warehouse import cartons
from maillon.warehouse.cartons import (
    Carton,
    CartonPlan,
    ShippingTariff,
    WeightBands,
    choose_cartons,
    packing_instructions,
)
from maillon.warehouse.packing import (
    UPRIGHT,
    Container,
    ContainerLoad,
    Item,
    PackingProblem,
    PackingResult,
    Placement,
)

from .test_packing import assert_valid_packing

BANDS = WeightBands([(500, 4.0), (1000, 5.0), (2000, 6.5), (5000, 9.0), (10_000, 12.0)])
TARIFF = ShippingTariff(BANDS, divisor=5000)
CATALOGUE = (
    Carton("S", 200, 150, 100, max_weight=5000, cost=0.5),
    Carton("M", 300, 200, 150, max_weight=10_000, cost=0.8),
    Carton("L", 400, 300, 250, max_weight=10_000, cost=1.2),
)


def assert_valid_plan(items: list[Item], plan: CartonPlan) -> None:
    """Every unit once, and every parcel a valid packing of its carton."""
    seen = Counter(p.item for parcel in plan.parcels for p in parcel.placements)
    seen.update(plan.unpackable)
    assert [seen[i] for i in range(len(items))] == [it.quantity for it in items]
    assert plan.total_cost == pytest.approx(sum(p.cost for p in plan.parcels))
    for parcel in plan.parcels:
        c = parcel.carton
        contents = Counter(p.item for p in parcel.placements)
        sub = [
            Item(
                it.name,
                it.length,
                it.width,
                it.height,
                weight=it.weight,
                quantity=max(1, contents[i]),
                orientations=it.orientations,
            )
            for i, it in enumerate(items)
        ]
        # rebuild a PackingResult-like check with the parcel's placements
        problem = PackingProblem(
            sub, [Container(c.name, c.length, c.width, c.height, max_weight=c.max_weight)]
        )
        volume = sum(items[p.item].volume for p in parcel.placements)
        weight = sum(items[p.item].weight for p in parcel.placements)
        assert weight == parcel.contents_weight
        result = PackingResult(
            placements=parcel.placements,
            containers=(
                ContainerLoad(0, c.name, len(parcel.placements), 100.0 * volume / c.volume, weight),
            ),
            unplaced=tuple(i for i in range(len(items)) if contents[i] == 0),
            runtime=0.0,
            seed=0,
        )
        assert_valid_packing(problem, result)
        assert len(parcel.instructions) == len(parcel.placements)
        assert math.isfinite(parcel.cost)


def test_public_api_is_pinned() -> None:
    assert sorted(cartons.__all__) == sorted(
        [
            "Carton",
            "CartonLoad",
            "CartonPlan",
            "ShippingTariff",
            "WeightBands",
            "choose_cartons",
            "estimate_parcel",
            "packing_instructions",
        ]
    )


# --------------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"length": 0}, "length"),
        ({"max_weight": -5}, "max_weight"),
        ({"cost": -1.0}, "cost"),
        ({"cost": math.inf}, "cost"),
        ({"wall": -1}, "wall"),
        ({"tare": 1.5}, "tare"),
    ],
)
def test_carton_validation(kwargs: dict[str, object], message: str) -> None:
    base: dict[str, object] = {
        "name": "X",
        "length": 100,
        "width": 100,
        "height": 100,
        "max_weight": 1000,
        "cost": 1.0,
    }
    base.update(kwargs)
    with pytest.raises(ValueError, match=message):
        Carton(**base)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("bands", "message"),
    [
        ([], "at least one band"),
        ([(1000, 5.0), (500, 4.0)], "increasing"),
        ([(0, 1.0)], "positive"),
        ([(100, -1.0)], "prices"),
    ],
)
def test_weight_bands_validation(bands: list[tuple[int, float]], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        WeightBands(bands)


def test_tariff_rejects_bad_divisor() -> None:
    with pytest.raises(ValueError, match="divisor"):
        ShippingTariff(BANDS, divisor=0)


def test_choose_cartons_rejects_empty_catalogue_and_negative_time() -> None:
    items = [Item("a", 10, 10, 10)]
    with pytest.raises(ValueError, match="catalogue"):
        choose_cartons(items, [], TARIFF)
    with pytest.raises(ValueError, match="time_limit"):
        choose_cartons(items, CATALOGUE, TARIFF, time_limit=-1)


# --------------------------------------------------------------------------- pricing


@pytest.mark.parametrize(
    ("grams", "price"),
    [(1, 4.0), (500, 4.0), (501, 5.0), (10_000, 12.0), (10_001, math.inf)],
)
def test_weight_bands(grams: int, price: float) -> None:
    assert BANDS(grams) == price


def test_dimensional_weight_beats_real_weight_for_light_bulky_parcels() -> None:
    # 400 × 300 × 200 mm = 24 000 cm³ → 4.8 kg at 5000 cm³/kg
    carton = Carton("B", 400, 300, 200, max_weight=20_000, cost=1.0)
    assert TARIFF.chargeable_weight(carton, 1000) == 4800
    assert TARIFF.chargeable_weight(carton, 7000) == 7000
    # walls and tare count: outer 406 × 306 × 206 mm, tare 300 g
    walled = Carton("W", 400, 300, 200, max_weight=20_000, cost=1.0, wall=3, tare=300)
    assert TARIFF.chargeable_weight(walled, 0) == math.ceil(406 * 306 * 206 / 1000 / 5)
    assert TARIFF.chargeable_weight(walled, 9000) == 9300


# --------------------------------------------------------------------------- choices


def test_small_order_goes_in_the_cheapest_carton() -> None:
    items = [Item("mug", 120, 90, 100, weight=350, quantity=2, orientations=UPRIGHT)]
    plan = choose_cartons(items, CATALOGUE, TARIFF, time_limit=0.5)
    assert [p.carton.name for p in plan.parcels] == ["S"]
    # S is 3000 cm³ → 600 g dimensional; the real 700 g is charged → band up to 1000 g
    assert plan.total_cost == pytest.approx(0.5 + 5.0)
    assert_valid_plan(items, plan)


def test_dimensional_weight_changes_the_choice() -> None:
    # given a cheap but bulky carton and a dearer compact one
    catalogue = [
        Carton("bulky", 500, 400, 300, max_weight=10_000, cost=0.1),  # 12 kg dimensional
        Carton("compact", 150, 150, 150, max_weight=10_000, cost=1.0),  # 675 g dimensional
    ]
    items = [Item("book", 140, 100, 30, weight=300)]
    plan = choose_cartons(items, catalogue, ShippingTariff(BANDS), time_limit=0.5)
    # then the bulky box is not shippable (above 10 kg) and the compact one wins
    assert [p.carton.name for p in plan.parcels] == ["compact"]
    assert plan.parcels[0].chargeable_weight == 675


def test_two_small_parcels_beat_one_big_bulky_parcel() -> None:
    bands = WeightBands([(3000, 5.0), (20_000, 30.0)])
    catalogue = [
        Carton("big", 600, 400, 400, max_weight=30_000, cost=1.0),  # 19.2 kg dimensional
        Carton("small", 300, 200, 200, max_weight=30_000, cost=1.0),  # 2.4 kg dimensional
    ]
    items = [Item("box", 290, 190, 190, weight=500, quantity=2)]
    plan = choose_cartons(items, catalogue, ShippingTariff(bands), time_limit=1.0)
    assert sorted(p.carton.name for p in plan.parcels) == ["small", "small"]
    assert plan.total_cost == pytest.approx(12.0)
    assert_valid_plan(items, plan)


def test_heavy_order_is_split_by_weight() -> None:
    items = [Item("anvil", 100, 100, 100, weight=4000, quantity=4)]
    plan = choose_cartons(items, CATALOGUE, TARIFF, time_limit=1.0)
    assert plan.is_complete
    assert all(p.contents_weight <= p.carton.max_weight for p in plan.parcels)
    assert len(plan.parcels) >= 2
    assert_valid_plan(items, plan)


def test_oversized_item_is_reported_unpackable() -> None:
    items = [Item("ladder", 2000, 400, 100), Item("glove", 150, 100, 30, weight=100)]
    plan = choose_cartons(items, CATALOGUE, TARIFF, time_limit=0.5)
    assert plan.unpackable == (0,)
    assert not plan.is_complete
    assert [p.carton.name for p in plan.parcels] == ["S"]
    assert_valid_plan(items, plan)


def test_instructions_read_in_loading_order() -> None:
    items = [
        Item("base", 200, 150, 50, weight=500, orientations=UPRIGHT),
        Item("top", 200, 150, 50, weight=200, orientations=UPRIGHT),
    ]
    plan = choose_cartons(items, CATALOGUE, TARIFF, time_limit=0.5)
    parcel = plan.parcels[0]
    assert parcel.carton.name == "S"
    first, second = parcel.instructions
    assert first.startswith("1. Put ")
    assert "on the bottom of the carton" in first
    assert second.startswith("2. Put ")
    assert "on top of" in second
    assert "upright" in first


def test_packing_instructions_name_the_support() -> None:
    items = [Item("tray", 100, 100, 10), Item("cup", 50, 50, 40, orientations=UPRIGHT)]
    carton = CATALOGUE[0]
    steps = packing_instructions(
        items,
        carton,
        [
            Placement(0, 0, 0, 0, 0, 100, 100, 10, "xyz"),
            Placement(1, 0, 0, 0, 10, 50, 50, 40, "yxz"),
        ],
    )
    assert steps[1] == (
        "2. Put cup upright, turned a quarter turn (50 × 50 mm footprint, 40 mm high) "
        "on top of tray, 0 mm from the left wall and 0 mm from the back wall of carton S."
    )


# --------------------------------------------------------------------------- properties


@settings(
    max_examples=40, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(
    items=st.lists(
        st.builds(
            Item,
            name=st.sampled_from(["a", "b", "c"]),
            length=st.integers(10, 320),
            width=st.integers(10, 220),
            height=st.integers(10, 200),
            weight=st.integers(0, 4000),
            quantity=st.integers(1, 4),
            orientations=st.sampled_from([UPRIGHT, frozenset({"xyz", "yxz", "zyx", "xzy"})]),
        ),
        min_size=1,
        max_size=4,
    ),
    seed=st.integers(0, 2),
)
def test_every_unit_is_packed_once_or_reported(items: list[Item], seed: int) -> None:
    plan = choose_cartons(items, CATALOGUE, TARIFF, seed=seed, time_limit=0.05)
    assert_valid_plan(items, plan)
