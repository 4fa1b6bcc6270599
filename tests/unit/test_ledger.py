"""Stock ledger invariants and allocation planning (pure)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from maillon.inventory.model import (
    Balance,
    MovementKind,
    movement_for,
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
