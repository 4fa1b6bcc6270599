"""The RMA status machine and RMA numbers."""

from __future__ import annotations

import pytest

from maillon.core.errors import InvalidTransition
from maillon.returns.model import (
    TRANSITIONS,
    ReturnStatus,
    can_transition,
    ensure_transition,
    parse_rma_number,
    rma_number,
)

S = ReturnStatus


@pytest.mark.parametrize(
    ("current", "target", "ok"),
    [
        (S.REQUESTED, S.APPROVED, True),
        (S.REQUESTED, S.RECEIVED, False),  # approve first
        (S.APPROVED, S.RECEIVED, True),  # a label is optional
        (S.LABEL_ISSUED, S.CANCELLED, True),
        (S.RECEIVED, S.CANCELLED, False),  # the parcel is here
        (S.INSPECTED, S.CLOSED, True),  # refused at inspection: nothing settled
        (S.SETTLED, S.SETTLED, False),  # never settled twice
        (S.REJECTED, S.APPROVED, False),
    ],
)
def test_transitions(current: ReturnStatus, target: ReturnStatus, ok: bool) -> None:
    assert can_transition(current, target) is ok
    if not ok:
        with pytest.raises(InvalidTransition):
            ensure_transition(current, target)


def test_every_status_is_reachable_and_final_ones_stay() -> None:
    reachable = {S.REQUESTED} | {t for targets in TRANSITIONS.values() for t in targets}
    assert reachable == set(ReturnStatus)
    assert all(not TRANSITIONS[s] for s in (S.CLOSED, S.REJECTED, S.CANCELLED))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("R0000042", 42),
        ("r42", 42),
        (" 7 ", 7),
        ("R", None),
        ("R0", None),
        ("M0000042", None),
        ("R1234567890", None),
    ],
)
def test_rma_numbers(text: str, expected: int | None) -> None:
    assert parse_rma_number(text) == expected
    assert parse_rma_number(rma_number(42)) == 42 and rma_number(42) == "R0000042"
