"""The daily demand statistics the proposals design on: computed from the sale days alone, they
equal the mean and standard deviation over every day counted (zeros included, stock-out days
left out)."""

from __future__ import annotations

import math
import statistics
from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from maillon.planning.demand import DemandRecord, StockoutDay
from maillon.planning.service import daily_demand_stats

END = date(2026, 3, 1)


def _every_day(days: dict[date, float], out: set[date]) -> tuple[float, float]:
    first = min(days)
    span = max((END - first).days, 1)
    values = [
        days.get(first + timedelta(k), 0.0) for k in range(span) if first + timedelta(k) not in out
    ] or [sum(days.values())]
    mean = statistics.fmean(values)
    return mean, statistics.stdev(values) if len(values) > 1 else 0.0


@given(
    sales=st.dictionaries(st.integers(1, 60), st.integers(1, 40), min_size=1, max_size=25),
    out=st.sets(st.integers(0, 70), max_size=30),
)
def test_stats_from_sale_days_equal_the_day_by_day_ones(
    sales: dict[int, int], out: set[int]
) -> None:
    days = {END - timedelta(ago): float(q) for ago, q in sales.items()}
    out_days = {END - timedelta(ago) for ago in out}
    records = [DemandRecord("S", "W", d, q) for d, q in days.items()]
    stockouts = [StockoutDay("S", "W", d) for d in out_days]
    mean, sd = daily_demand_stats(records, stockouts, end=END)["S"]
    want_mean, want_sd = _every_day(days, out_days)
    assert math.isclose(mean, want_mean, rel_tol=1e-9, abs_tol=1e-12)
    assert math.isclose(sd, want_sd, rel_tol=1e-7, abs_tol=1e-9)


def test_a_sku_out_of_stock_every_day_keeps_its_total() -> None:
    day = END - timedelta(3)
    records = [DemandRecord("S", "W", day, 4.0)]
    stockouts = [StockoutDay("S", "W", day + timedelta(k)) for k in range(3)]
    assert daily_demand_stats(records, stockouts, end=END)["S"] == (4.0, 0.0)


@given(
    sales=st.dictionaries(st.integers(1, 60), st.integers(1, 40), min_size=1, max_size=25),
    listed=st.integers(1, 90),
)
def test_a_sku_listed_before_its_first_sale_counts_the_days_between(
    sales: dict[int, int], listed: int
) -> None:
    days = {END - timedelta(ago): float(q) for ago, q in sales.items()}
    since = END - timedelta(listed)
    records = [DemandRecord("S", "W", d, q) for d, q in days.items()]
    mean, _sd = daily_demand_stats(records, [], end=END, since={"S": since})["S"]
    first = min(min(days), since)
    assert math.isclose(mean, sum(days.values()) / (END - first).days, rel_tol=1e-9)


def test_one_sale_yesterday_is_not_a_unit_a_day() -> None:
    records = [DemandRecord("S", "W", END - timedelta(1), 1.0)]
    assert daily_demand_stats(records, [], end=END)["S"][0] == 1.0  # no listing day known
    mean, _sd = daily_demand_stats(records, [], end=END, since={"S": END - timedelta(56)})["S"]
    assert mean == 1 / 56
