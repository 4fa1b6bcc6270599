"""Weight-sensing shelves (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from maillon.inventory.sensing import (
    ShelfConfig,
    ShelfReading,
    assess,
    silent_for,
    units_from_grams,
)


@given(
    units=st.integers(0, 500),
    weight=st.integers(1, 20_000),
    tare=st.integers(0, 5_000),
    noise=st.floats(-0.3, 0.3),
)
def test_whole_units_are_read_back(units: int, weight: int, tare: int, noise: float) -> None:
    config = ShelfConfig(unit_weight_g=weight, tare_g=tare)
    reading = units_from_grams(max(0.0, tare + (units + noise) * weight), config)
    assert reading.units == units and reading.trusted


def test_half_a_product_is_not_trusted() -> None:
    reading = units_from_grams(1_250, ShelfConfig(unit_weight_g=500))
    assert not reading.trusted and reading.units in (2, 3)


@pytest.mark.parametrize(
    ("units", "ledger", "trusted", "discrepancy", "replenish"),
    [
        (10, 10, True, False, False),
        (9, 10, True, True, False),
        (2, 2, True, False, True),
        (5, 5, False, True, False),
    ],
)
def test_assess(units: int, ledger: int, trusted: bool, discrepancy: bool, replenish: bool) -> None:
    verdict = assess(
        ShelfReading(units, trusted, 0.0), ledger, ShelfConfig(unit_weight_g=100, min_units=2)
    )
    assert (verdict.discrepancy, verdict.replenish) == (discrepancy, replenish)
    assert verdict.difference == units - ledger


@pytest.mark.parametrize(
    "kwargs",
    [
        {"unit_weight_g": 0},
        {"unit_weight_g": 1, "tare_g": -1},
        {"unit_weight_g": 1, "tolerance_fraction": 0.9},
    ],
)
def test_bad_configs_are_refused(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="must"):
        ShelfConfig(**kwargs)  # type: ignore[arg-type]


def test_a_sensor_is_silent_once_past_its_interval() -> None:
    t0 = datetime(2026, 11, 2, 8, tzinfo=UTC)

    def quiet(minutes: int, seen: datetime | None, registered: datetime | None) -> object:
        return silent_for(
            now=t0 + timedelta(minutes=minutes),
            last_seen_at=seen,
            registered_at=registered,
            interval_minutes=15,
        )

    assert quiet(15, t0, None) is None  # exactly the interval: not yet
    assert quiet(16, t0, None) == timedelta(minutes=16)
    assert quiet(16, t0 + timedelta(minutes=10), t0) is None  # the last reading counts
    assert quiet(20, None, t0) == timedelta(minutes=20)  # never heard: since registration
    assert quiet(999, None, None) is None
    with pytest.raises(ValueError, match="interval_minutes"):
        silent_for(now=t0, last_seen_at=t0, registered_at=None, interval_minutes=0)
