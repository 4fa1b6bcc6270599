"""KPI formulas (pure). Each takes plain rows and returns numbers; the service fetches rows.

- on-time delivery % = delivered orders with delivered_at <= promised_at / delivered orders
- first-time allocation % = orders allocated without ever waiting for stock / orders allocated
  or waiting
- order cycle time = shipped_at - created_at, in hours (mean and 90th percentile)
- return rate % = orders with a return / delivered orders
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime

from maillon.orders.model import OrderStatus


@dataclass(frozen=True)
class OrderFacts:
    """What KPIs need to know of one order."""

    created_at: datetime
    status: str
    total_cents: int
    promised_at: datetime | None
    shipped_at: datetime | None
    delivered_at: datetime | None
    ever_backordered: bool
    returned: bool


@dataclass(frozen=True)
class KpiSummary:
    """Headline figures of a period."""

    orders: int
    revenue_cents: int
    shipped: int
    delivered: int
    cancelled: int
    open_backorders: int
    first_time_allocation_pct: float | None
    on_time_delivery_pct: float | None
    cycle_time_mean_h: float | None
    cycle_time_p90_h: float | None
    return_rate_pct: float | None
    tickets: int
    first_response_median_h: float | None
    orders_per_day: dict[date, int]
    status_counts: dict[str, int]


def percentile(values: list[float], q: float) -> float | None:
    """Return the ``q`` quantile (0-1) of ``values`` by linear interpolation, or None if empty."""
    if not values:
        return None
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q
    low, high = math.floor(pos), math.ceil(pos)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def _pct(num: int, den: int) -> float | None:
    return round(100.0 * num / den, 2) if den else None


def summarise(facts: list[OrderFacts], ticket_response_hours: list[float | None]) -> KpiSummary:
    """Return the KPI summary of ``facts`` (orders) and tickets' first-response times."""
    status_counts = Counter(f.status for f in facts)
    delivered = [f for f in facts if f.delivered_at is not None]
    on_time = sum(
        1
        for f in delivered
        if f.promised_at is not None
        and f.delivered_at is not None
        and f.delivered_at <= f.promised_at
    )
    cycle = [(f.shipped_at - f.created_at).total_seconds() / 3600 for f in facts if f.shipped_at]
    attempted = [
        f
        for f in facts
        if f.ever_backordered
        or f.status not in (OrderStatus.CONFIRMED, OrderStatus.CANCELLED)
        or f.shipped_at
    ]
    first_time = sum(1 for f in attempted if not f.ever_backordered)
    per_day = Counter(f.created_at.date() for f in facts)
    responses = [h for h in ticket_response_hours if h is not None]
    mean_cycle = sum(cycle) / len(cycle) if cycle else None
    p90 = percentile(cycle, 0.9)
    median_response = percentile(responses, 0.5)
    return KpiSummary(
        orders=len(facts),
        revenue_cents=sum(f.total_cents for f in facts if f.status != OrderStatus.CANCELLED),
        shipped=sum(1 for f in facts if f.shipped_at),
        delivered=len(delivered),
        cancelled=status_counts.get("cancelled", 0),
        open_backorders=status_counts.get("backordered", 0),
        first_time_allocation_pct=_pct(first_time, len(attempted)),
        on_time_delivery_pct=_pct(on_time, len(delivered)),
        cycle_time_mean_h=round(mean_cycle, 2) if mean_cycle is not None else None,
        cycle_time_p90_h=round(p90, 2) if p90 is not None else None,
        return_rate_pct=_pct(sum(1 for f in delivered if f.returned), len(delivered)),
        tickets=len(ticket_response_hours),
        first_response_median_h=round(median_response, 2) if median_response is not None else None,
        orders_per_day=dict(sorted(per_day.items())),
        status_counts=dict(status_counts),
    )
