"""Multi-warehouse sourcing (pure)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from maillon.inventory.model import StockCandidate
from maillon.inventory.sourcing import SourcingPolicy, WarehouseSite, plan_sourcing

PARIS = WarehouseSite(1, 10, 48.93, 2.30)
LYON = WarehouseSite(2, 20, 45.70, 4.94)
BORDEAUX = WarehouseSite(3, 30, 44.84, -0.58)
SITES = [PARIS, LYON, BORDEAUX]
MARSEILLE = (43.30, 5.37)


def cand(stock_id: int, sku: str, wh: int, available: int) -> StockCandidate:
    return StockCandidate(stock_id, sku, wh, wh * 10, f"L{stock_id:03d}", available)


def test_ships_from_the_nearest_warehouse_that_has_everything() -> None:
    stock = [cand(1, "A", 1, 5), cand(2, "A", 2, 5), cand(3, "B", 1, 5), cand(4, "B", 2, 5)]
    plan = plan_sourcing(
        [("A", 1), ("B", 1)], stock, SITES, customer_lat=MARSEILLE[0], customer_lon=MARSEILLE[1]
    )
    assert plan.complete and plan.warehouses == (2,)  # Lyon is nearer Marseille than Paris


def test_one_parcel_beats_two_when_the_detour_is_small() -> None:
    # Paris has A and B; Lyon (nearer) has only A: one parcel from Paris wins over a split
    stock = [cand(1, "A", 1, 5), cand(3, "B", 1, 5), cand(2, "A", 2, 5)]
    plan = plan_sourcing(
        [("A", 1), ("B", 1)], stock, SITES, customer_lat=MARSEILLE[0], customer_lon=MARSEILLE[1]
    )
    assert plan.warehouses == (1,)


def test_splits_when_no_warehouse_has_everything() -> None:
    stock = [cand(1, "A", 1, 5), cand(2, "B", 2, 5)]
    plan = plan_sourcing([("A", 2), ("B", 1)], stock, SITES)
    assert plan.complete and plan.warehouses == (1, 2) and plan.parcels == 2


def test_ship_complete_never_splits_and_backorders_the_rest() -> None:
    # Paris covers 2 of the 4 units, Lyon 3: ship complete waits in Lyon for the last A
    stock = [cand(1, "A", 1, 5), cand(2, "B", 2, 5), cand(3, "A", 2, 1)]
    lines = [("A", 2), ("B", 2)]
    plan = plan_sourcing(lines, stock, SITES, SourcingPolicy(ship_complete=True))
    assert plan.warehouses == (2,)
    assert plan.short == {"A": 1}
    assert plan_sourcing(lines, stock, SITES).warehouses == (1, 2)  # otherwise: split


def test_priority_breaks_ties_without_positions() -> None:
    stock = [cand(1, "A", 3, 5), cand(2, "A", 1, 5)]
    assert plan_sourcing([("A", 1)], stock, SITES).warehouses == (1,)


def test_negative_costs_are_refused() -> None:
    with pytest.raises(ValueError, match="cents_per_km"):
        SourcingPolicy(cents_per_km=-1)


@settings(max_examples=150, deadline=None)
@given(
    lines=st.lists(st.tuples(st.sampled_from("ABC"), st.integers(1, 6)), min_size=1, max_size=5),
    stock=st.lists(
        st.tuples(st.sampled_from("ABC"), st.integers(1, 3), st.integers(0, 8)), max_size=10
    ),
    ship_complete=st.booleans(),
)
def test_never_plans_more_than_available(
    lines: list[tuple[str, int]], stock: list[tuple[str, int, int]], ship_complete: bool
) -> None:
    candidates = [cand(i + 1, sku, wh, avail) for i, (sku, wh, avail) in enumerate(stock)]
    plan = plan_sourcing(
        lines,
        candidates,
        SITES,
        SourcingPolicy(ship_complete=ship_complete),
        customer_lat=MARSEILLE[0],
        customer_lon=MARSEILLE[1],
    )
    taken: dict[int, int] = {}
    for t in plan.takes:
        assert t.quantity > 0
        taken[t.stock_id] = taken.get(t.stock_id, 0) + t.quantity
    for c in candidates:
        assert taken.get(c.stock_id, 0) <= c.available
    if ship_complete:
        assert len({t.warehouse_id for t in plan.takes}) <= 1
    for sku in {s for s, _ in lines}:
        wanted = sum(q for s, q in lines if s == sku)
        got = sum(t.quantity for t in plan.takes if lines[t.line_index][0] == sku)
        assert got + plan.short.get(sku, 0) == wanted
    if not ship_complete:  # as many units as the stock allows are covered
        for sku in {s for s, _ in lines}:
            wanted = sum(q for s, q in lines if s == sku)
            held = sum(c.available for c in candidates if c.sku == sku)
            assert plan.short.get(sku, 0) == max(0, wanted - held)


def test_removal_order_is_fefo_then_fifo() -> None:
    from datetime import UTC, date, datetime

    old = datetime(2026, 1, 1, tzinfo=UTC)
    new = datetime(2026, 6, 1, tzinfo=UTC)
    a = StockCandidate(1, "A", 1, 10, "Z9", 5, date(2027, 1, 1), old)
    b = StockCandidate(2, "A", 1, 10, "A1", 5, date(2026, 12, 1), new)
    c = StockCandidate(3, "A", 1, 10, "A2", 5, None, old)
    plan = plan_sourcing([("A", 12)], [a, b, c], SITES)
    assert [t.stock_id for t in plan.takes] == [2, 1, 3]  # earliest expiry first, undated last
    fifo = plan_sourcing([("A", 12)], [a, b, c], SITES, SourcingPolicy(removal="fifo"))
    assert [t.stock_id for t in fifo.takes] == [3, 1, 2]  # first received; ties by location
    with pytest.raises(ValueError, match="removal"):
        SourcingPolicy(removal="lifo")
