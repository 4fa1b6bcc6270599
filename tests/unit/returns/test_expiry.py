"""When a return whose parcel never came expires."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from maillon.returns.config import DEFAULT_SETTINGS
from maillon.returns.expiry import deadline, window_last_day
from maillon.returns.model import ReturnStatus

POLICY = DEFAULT_SETTINGS.policy  # 30 days for a customer reason, 730 for a merchant fault
LATE_EVENING = datetime(2026, 3, 2, 23, 30, tzinfo=UTC)  # already 3 March in Paris


def test_the_window_is_the_longest_of_the_lines_from_the_local_delivery_day() -> None:
    lines = [("kitchen", "changed_mind"), ("kitchen", "unknown-code")]
    assert window_last_day(POLICY, LATE_EVENING, lines) == date(2026, 4, 2)
    assert window_last_day(POLICY, LATE_EVENING, [*lines, ("kitchen", "defective")]) == date(
        2028, 3, 2
    )
    assert window_last_day(POLICY, None, lines) is None
    assert window_last_day(POLICY, LATE_EVENING, []) is None


def test_the_deadline_counts_from_the_step_that_asked_for_the_parcel() -> None:
    def due(status: ReturnStatus, window: date | None = None, days: int = 30) -> date | None:
        return deadline(
            status=status,
            started_at=LATE_EVENING,
            return_by_days=days,
            policy=POLICY,
            window_ends=window,
        )

    assert due(ReturnStatus.APPROVED) == date(2026, 4, 2)
    assert due(ReturnStatus.LABEL_ISSUED, window=date(2027, 1, 1)) == date(2026, 4, 2)
    assert due(ReturnStatus.REQUESTED, window=date(2026, 5, 1)) == date(2026, 5, 1)
    assert due(ReturnStatus.REQUESTED, window=date(2026, 3, 5)) == date(2026, 4, 2)
    assert due(ReturnStatus.RECEIVED) is None
    assert due(ReturnStatus.APPROVED, days=0) is None
    with pytest.raises(ValueError, match="return_by_days"):
        due(ReturnStatus.APPROVED, days=-1)
