"""Stock ledger invariants and allocation planning (pure)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from maillon.inventory.model import (
    Balance,
    MovementKind,
    StockCandidate,
    movement_for,
    plan_allocation,
    replay,
)

kinds = st.sampled_from(list(MovementKind))


@given(st.lists(st.tuples(kinds, st.integers(min_value=-20, max_value=20)), max_size=60))
def test_balance_never_goes_negative_and_equals_ledger_sums(
    ops: list[tuple[MovementKind, int]],
) -> None:
    balance = Balance()
    accepted = []
    for kind, qty in ops:
        try:
            movement = movement_for(kind, qty)
            balance = balance.apply(movement)
        except ValueError:
            continue  # refused movements change nothing
        accepted.append(movement)
        assert balance.available >= 0
        assert 0 <= balance.reserved <= balance.on_hand
    assert balance.on_hand == sum(m.delta_on_hand for m in accepted)
    assert balance.reserved == sum(m.delta_reserved for m in accepted)
    assert replay(accepted) == balance


def test_shipping_more_than_reserved_is_refused() -> None:
    b = replay([movement_for(MovementKind.RECEIPT, 5), movement_for(MovementKind.RESERVE, 2)])
    with pytest.raises(ValueError, match="ship"):
        b.apply(movement_for(MovementKind.SHIP, 3))


def test_reserving_more_than_available_is_refused() -> None:
    b = replay([movement_for(MovementKind.RECEIPT, 2)])
    with pytest.raises(ValueError, match="reserve"):
        b.apply(movement_for(MovementKind.RESERVE, 3))


@pytest.mark.parametrize("kind", [k for k in MovementKind if k is not MovementKind.ADJUSTMENT])
def test_only_adjustments_take_negative_quantities(kind: MovementKind) -> None:
    with pytest.raises(ValueError, match="> 0"):
        movement_for(kind, -1)


def cand(
    stock_id: int, sku: str, wh: int, available: int, prio: int | None = None
) -> StockCandidate:
    return StockCandidate(
        stock_id, sku, wh, prio if prio is not None else wh, f"L{stock_id:03d}", available
    )


def test_prefers_one_warehouse_that_serves_everything() -> None:
    # warehouse 1 (higher priority) lacks B; warehouse 2 has both: ship as one parcel from 2
    candidates = [cand(1, "A", 1, 5), cand(2, "A", 2, 5), cand(3, "B", 2, 1)]
    plan = plan_allocation([("A", 2), ("B", 1)], candidates)
    assert plan.complete
    assert {t.warehouse_id for t in plan.takes} == {2}


def test_splits_across_warehouses_when_no_single_one_can() -> None:
    candidates = [cand(1, "A", 1, 1), cand(2, "A", 2, 2)]
    plan = plan_allocation([("A", 3)], candidates)
    assert plan.complete
    assert sorted((t.warehouse_id, t.quantity) for t in plan.takes) == [(1, 1), (2, 2)]


def test_reports_short_lines() -> None:
    plan = plan_allocation([("A", 4), ("B", 1)], [cand(1, "A", 1, 3)])
    assert not plan.complete
    assert plan.short == {"A": 1, "B": 1}


@given(
    st.lists(st.tuples(st.sampled_from("ABC"), st.integers(1, 6)), min_size=1, max_size=6),
    st.lists(st.tuples(st.sampled_from("ABC"), st.integers(1, 3), st.integers(0, 8)), max_size=10),
)
def test_plan_never_takes_more_than_available(
    lines: list[tuple[str, int]], stock: list[tuple[str, int, int]]
) -> None:
    candidates = [cand(i + 1, sku, wh, avail) for i, (sku, wh, avail) in enumerate(stock)]
    plan = plan_allocation(lines, candidates)
    taken: dict[int, int] = {}
    for t in plan.takes:
        assert t.quantity > 0
        taken[t.stock_id] = taken.get(t.stock_id, 0) + t.quantity
    for c in candidates:
        assert taken.get(c.stock_id, 0) <= c.available
    # every line is either covered in full or reported short by exactly what is missing
    for sku in {s for s, _ in lines}:
        wanted = sum(q for s, q in lines if s == sku)
        got = sum(t.quantity for t in plan.takes if lines[t.line_index][0] == sku)
        assert got + plan.short.get(sku, 0) == wanted
        assert got <= sum(c.available for c in candidates if c.sku == sku)
