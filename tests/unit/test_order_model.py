"""The order status machine and order numbers."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from maillon.core.errors import InvalidTransition
from maillon.orders.model import (
    OrderStatus,
    can_transition,
    default_promise,
    ensure_transition,
    order_number,
    parse_order_number,
)

S = OrderStatus


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (S.CONFIRMED, S.ALLOCATED),
        (S.CONFIRMED, S.BACKORDERED),
        (S.BACKORDERED, S.ALLOCATED),
        (S.ALLOCATED, S.PICKING),
        (S.PICKING, S.PACKED),
        (S.PACKED, S.SHIPPED),
        (S.SHIPPED, S.DELIVERED),
        (S.PACKED, S.CANCELLED),
        (S.CONFIRMED, S.CANCELLED),
    ],
)
def test_allowed_moves(current: OrderStatus, target: OrderStatus) -> None:
    assert can_transition(current, target)
    ensure_transition(current, target)


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (S.SHIPPED, S.CANCELLED),
        (S.DELIVERED, S.CANCELLED),
        (S.CANCELLED, S.ALLOCATED),
        (S.CONFIRMED, S.SHIPPED),
        (S.ALLOCATED, S.PACKED),
        (S.DELIVERED, S.SHIPPED),
    ],
)
def test_refused_moves_name_both_states(current: OrderStatus, target: OrderStatus) -> None:
    with pytest.raises(InvalidTransition, match=f"{current.value}.*{target.value}"):
        ensure_transition(current, target)


def test_terminal_states_lead_nowhere() -> None:
    for terminal in (S.DELIVERED, S.CANCELLED):
        assert not any(can_transition(terminal, t) for t in S)


@pytest.mark.parametrize("order_id", [1, 42, 1234567, 99999999])
def test_order_numbers_round_trip(order_id: int) -> None:
    assert parse_order_number(order_number(order_id)) == order_id


@pytest.mark.parametrize("bad", ["", "M", "X12", "M-1", "12a", "M" + "9" * 13])
def test_bad_order_numbers_parse_to_none(bad: str) -> None:
    assert parse_order_number(bad) is None


def test_promise_skips_the_weekend_and_respects_the_cutoff() -> None:
    friday_morning = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    friday_evening = datetime(2026, 11, 20, 20, 0, tzinfo=UTC)
    assert default_promise(friday_morning).date().isoformat() == "2026-11-24"  # Tue
    assert default_promise(friday_evening).date().isoformat() == "2026-11-25"  # Wed
