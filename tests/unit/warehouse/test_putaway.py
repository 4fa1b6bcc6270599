"""Tests of the putaway engine (maillon.warehouse.putaway)."""

from __future__ import annotations

import random
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from maillon.warehouse import putaway
from maillon.warehouse.layout import Layout, PickLocation
from maillon.warehouse.putaway import REASONS, Holding, SlotState, suggest_putaway
from maillon.warehouse.slotting import Slot

LAYOUT = Layout.uniform(2, 10.0, 4.0)


def state(slot_id: str, aisle: int, position: float, *holdings: Holding, **kw: Any) -> SlotState:
    """A slot state at (aisle, position) holding ``holdings``."""
    return SlotState(Slot(slot_id, PickLocation(aisle, position), **kw), holdings)


def put(slots: list[SlotState], quantity: int, **kw: Any) -> putaway.PutawayResult:
    """Put away ``quantity`` of SKU "X" (unit cube 1) unless overridden."""
    args: dict[str, Any] = {"layout": LAYOUT, "sku": "X", "unit_cube": 1.0, **kw}
    return suggest_putaway(quantity=quantity, slots_state=slots, **args)


def plan(result: putaway.PutawayResult) -> list[tuple[str, int, str]]:
    return [(s.slot_id, s.quantity, s.reason) for s in result.suggestions]


def test_consolidates_first_then_nearest_empty_then_leftover() -> None:
    slots = [
        state("near-empty", 0, 1, volume=4.0),
        state("far-X", 1, 9, Holding("X", 3, unit_cube=1.0), volume=5.0),
        state("mid-empty", 0, 6, volume=4.0),
        state("other", 0, 2, Holding("Y", 1, unit_cube=1.0), volume=9.0),
    ]
    result = put(slots, 12)
    assert plan(result) == [
        ("far-X", 2, "consolidate"),
        ("near-empty", 4, "empty"),
        ("mid-empty", 4, "empty"),
    ]
    assert (result.placed, result.unplaced) == (10, 2)


def test_mixing_only_when_allowed_by_both() -> None:
    slots = [
        state("shared-ok", 0, 2, Holding("Y", 1, unit_cube=1.0), volume=9.0, mixing=True),
        state("shared-no", 0, 1, Holding("Y", 1, unit_cube=1.0), volume=9.0),
    ]
    assert put(slots, 3).suggestions == ()
    assert put(slots, 3).unplaced == 3
    assert plan(put(slots, 3, allow_mixing=True)) == [("shared-ok", 3, "shared")]


def test_lots_are_not_mixed_unless_asked() -> None:
    slots = [
        state("lot1", 0, 1, Holding("X", 2, lot="L1", unit_cube=1.0), volume=9.0),
        state("lot2", 0, 8, Holding("X", 2, lot="L2", unit_cube=1.0), volume=9.0),
        state("empty", 1, 5, volume=9.0),
    ]
    assert plan(put(slots, 3, lot="L2")) == [("lot2", 3, "consolidate")]
    assert plan(put(slots, 3, lot="L3")) == [("empty", 3, "empty")]
    assert plan(put(slots, 3, lot="L3", mix_lots=True)) == [("lot1", 3, "consolidate")]


def test_zone_and_blocked_slots_are_respected() -> None:
    slots = [
        state("ambient", 0, 1),
        state("cold", 1, 9, zone="cold", max_units=5),
        state("cold-blocked", 0, 2, zone="cold", blocked=True),
    ]
    assert plan(put(slots, 8, zone="cold")) == [("cold", 5, "empty")]
    assert plan(put(slots, 8)) == [("ambient", 8, "empty")]


def test_weight_and_units_bound_what_fits() -> None:
    slots = [
        state("heavy", 0, 1, Holding("Y", 1, unit_weight=10.0), max_weight=25.0, mixing=True),
        state("units", 0, 3, max_units=4),
    ]
    result = put(slots, 10, unit_weight=5.0, allow_mixing=True)
    assert plan(result) == [("units", 4, "empty"), ("heavy", 3, "shared")]
    assert result.unplaced == 3


def test_class_zones_send_fast_movers_near_and_slow_far() -> None:
    # Ten empty slots along aisle 0 (round trips 2, 4, ..., 20 m); shares 20/30/50 %.
    slots = [state(f"e{k}", 0, k + 1, max_units=1) for k in range(10)]
    a = put(slots, 3, abc_class="A")
    assert plan(a) == [
        ("e0", 1, "class_zone"),
        ("e1", 1, "class_zone"),
        ("e2", 1, "near_class_zone"),
    ]
    b = put(slots, 1, abc_class="B")
    assert plan(b) == [("e2", 1, "class_zone")]
    c = put(slots, 6, abc_class="C")
    assert [s.slot_id for s in c.suggestions] == ["e5", "e6", "e7", "e8", "e9", "e4"]
    assert c.suggestions[-1].reason == "near_class_zone"


def test_max_slots_bounds_the_split() -> None:
    slots = [state(f"e{k}", 0, k + 1, max_units=2) for k in range(5)]
    result = put(slots, 9, max_slots=2)
    assert [s.quantity for s in result.suggestions] == [2, 2]
    assert result.unplaced == 5


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"quantity": 0}, "quantity"),
        ({"unit_cube": -1.0}, "unit_cube"),
        ({"unit_weight": float("nan")}, "unit_weight"),
        ({"sku": ""}, "sku"),
        ({"abc_class": "Z"}, "abc_class"),
        ({"class_shares": (0.5, -0.1)}, "class_shares"),
        ({"class_shares": ()}, "class_shares"),
        ({"max_slots": 0}, "max_slots"),
        ({"travel": "crow"}, "travel"),
        ({"slots_state": [state("a", 0, 1), state("a", 0, 2)]}, "slots_state"),
        ({"slots_state": [state("a", 5, 1)]}, "slots_state"),
    ],
)
def test_bad_input_raises_naming_the_field(kwargs: dict[str, Any], field: str) -> None:
    args: dict[str, Any] = {
        "layout": LAYOUT,
        "sku": "X",
        "quantity": 1,
        "unit_cube": 1.0,
        "slots_state": [state("a", 0, 1)],
        **kwargs,
    }
    with pytest.raises(ValueError, match=field):
        suggest_putaway(**args)


def test_holding_validation() -> None:
    with pytest.raises(ValueError, match="units"):
        Holding("X", -1)
    with pytest.raises(ValueError, match="unit_cube"):
        Holding("X", 1, unit_cube=-2.0)


def test_public_api_is_pinned() -> None:
    assert sorted(putaway.__all__) == [
        "Holding", "PutawayResult", "PutawaySuggestion", "REASONS", "SlotState", "suggest_putaway",
    ]  # fmt: skip


@settings(max_examples=150, deadline=None)
@given(
    seed=st.integers(0, 10**6),
    quantity=st.integers(1, 60),
    abc_class=st.sampled_from([None, "A", "B", "C"]),
    allow_mixing=st.booleans(),
)
def test_suggestions_respect_capacity_zone_and_mixing(
    seed: int, quantity: int, abc_class: str | None, allow_mixing: bool
) -> None:
    rng = random.Random(seed)
    cube, weight = rng.choice([0.0, 0.5, 1.0]), rng.choice([0.0, 1.0, 2.0])
    zone = rng.choice([None, "cold"])
    slots = []
    for k in range(rng.randint(0, 12)):
        holdings = []
        if rng.random() < 0.5:
            sku = rng.choice(["X", "Y"])
            holdings.append(Holding(sku, rng.randint(1, 3), unit_cube=1.0, unit_weight=1.0))
        slots.append(
            state(
                f"s{k}",
                rng.randrange(2),
                rng.uniform(0, 10),
                *holdings,
                volume=rng.choice([None, 4.0, 8.0]),
                max_units=rng.choice([None, 5, 10]),
                max_weight=rng.choice([None, 6.0]),
                zone=rng.choice([None, "cold"]),
                blocked=rng.random() < 0.1,
                mixing=rng.random() < 0.4,
            )
        )
    result = put(
        slots, quantity, unit_cube=cube, unit_weight=weight, zone=zone,
        abc_class=abc_class, allow_mixing=allow_mixing,
    )  # fmt: skip
    by_id = {s.slot.id: s for s in slots}
    assert result.placed + result.unplaced == quantity
    assert sum(s.quantity for s in result.suggestions) == result.placed
    assert len({s.slot_id for s in result.suggestions}) == len(result.suggestions)
    order = [REASONS.index(s.reason) for s in result.suggestions]
    assert order == sorted(order)
    for suggestion in result.suggestions:
        slot_state = by_id[suggestion.slot_id]
        slot = slot_state.slot
        assert suggestion.quantity >= 1
        assert not slot.blocked
        assert slot.zone == zone
        volume, units, mass = slot_state.used
        n = suggestion.quantity
        assert slot.volume is None or volume + n * cube <= slot.volume + 1e-9
        assert slot.max_units is None or units + n <= slot.max_units
        assert slot.max_weight is None or mass + n * weight <= slot.max_weight + 1e-9
        others = {h.sku for h in slot_state.holdings} - {"X"}
        if others:
            assert allow_mixing
            assert slot.mixing
    if result.unplaced:  # nothing left anywhere that could take a unit
        used = {s.slot_id for s in result.suggestions}
        for slot_state in slots:
            slot = slot_state.slot
            if slot.id in used or slot.blocked or slot.zone != zone:
                continue
            skus = {h.sku for h in slot_state.holdings}
            if skus - {"X"} and not (allow_mixing and slot.mixing):
                continue
            if "X" in skus and not slot.mixing and skus != {"X"}:
                continue
            room = slot.room(unit_cube=cube, unit_weight=weight, used=slot_state.used)
            assert room == 0
