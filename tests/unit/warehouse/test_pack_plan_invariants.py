"""The default carton catalogue and tariff of the packing station: whatever the order, every
unit is placed exactly once or reported, no carton is overfilled and no two units overlap."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from maillon.warehouse.cartons import Carton, choose_cartons
from maillon.warehouse.packing import Item
from maillon.warehouse.service.packstation import DEFAULT_CARTONS, DEFAULT_TARIFF

CATALOGUE = [
    Carton(code, ln, wd, h, kg, float(cost), wall=wall, tare=tare)
    for code, ln, wd, h, kg, cost, wall, tare in DEFAULT_CARTONS
]

items = st.lists(
    st.builds(
        Item,
        name=st.sampled_from(["a", "b", "c", "d"]),
        length=st.integers(20, 700),
        width=st.integers(20, 450),
        height=st.integers(5, 300),
        weight=st.integers(10, 12_000),
        quantity=st.integers(1, 4),
    ),
    min_size=1,
    max_size=4,
)


@settings(max_examples=40, deadline=None)
@given(items)
def test_every_unit_is_placed_once_and_no_carton_overfilled(order: list[Item]) -> None:
    plan = choose_cartons(order, CATALOGUE, DEFAULT_TARIFF, time_limit=0.0)
    placed = [0] * len(order)
    for parcel in plan.parcels:
        c = parcel.carton
        assert parcel.contents_weight <= c.max_weight
        assert sum(order[p.item].weight for p in parcel.placements) == parcel.contents_weight
        volume = sum(order[p.item].volume for p in parcel.placements)
        assert volume <= c.volume
        boxes = [p.box for p in parcel.placements]
        for i, b in enumerate(boxes):
            placed[parcel.placements[i].item] += 1
            assert min(b[:3]) >= 0 and b[3] <= c.length and b[4] <= c.width and b[5] <= c.height
            for other in boxes[:i]:
                assert not all(min(b[k + 3], other[k + 3]) > max(b[k], other[k]) for k in range(3))
    for index in plan.unpackable:
        placed[index] += 1
    assert placed == [it.quantity for it in order]
    assert plan.total_cost == sum(p.cost for p in plan.parcels)
