"""KPI formulas on hand-made facts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from maillon.analytics.kpi import OrderFacts, percentile, summarise

T0 = datetime(2026, 11, 2, 10, tzinfo=UTC)


def fact(
    status: str,
    *,
    shipped_h: float | None = None,
    late: bool | None = None,
    backordered: bool = False,
    returned: bool = False,
    day: int = 0,
) -> OrderFacts:
    created = T0 + timedelta(days=day)
    shipped = created + timedelta(hours=shipped_h) if shipped_h is not None else None
    promised = created + timedelta(days=3)
    delivered = None
    if late is not None:
        delivered = promised + timedelta(hours=5 if late else -5)
    return OrderFacts(created, status, 1000, promised, shipped, delivered, backordered, returned)


def test_summary_formulas() -> None:
    facts = [
        fact("delivered", shipped_h=10, late=False, returned=True),
        fact("delivered", shipped_h=20, late=True),
        fact("shipped", shipped_h=30, day=1),
        fact("backordered", backordered=True, day=1),
        fact("cancelled"),
    ]
    k = summarise(facts, [2.0, None, 4.0])
    assert k.orders == 5
    assert k.revenue_cents == 4000
    assert k.delivered == 2 and k.shipped == 3 and k.cancelled == 1 and k.open_backorders == 1
    assert k.on_time_delivery_pct == 50.0
    assert k.return_rate_pct == 50.0
    assert k.cycle_time_mean_h == 20.0
    assert k.first_time_allocation_pct == 75.0  # 3 of the 4 attempted never waited
    assert k.first_response_median_h == 3.0 and k.tickets == 3
    assert list(k.orders_per_day.values()) == [3, 2]


def test_empty_period_has_no_rates() -> None:
    k = summarise([], [])
    assert k.orders == 0 and k.on_time_delivery_pct is None and k.cycle_time_mean_h is None


@pytest.mark.parametrize(("q", "expected"), [(0.0, 1.0), (0.5, 2.5), (1.0, 4.0), (0.9, 3.7)])
def test_percentile(q: float, expected: float) -> None:
    assert percentile([4.0, 1.0, 3.0, 2.0], q) == pytest.approx(expected)
