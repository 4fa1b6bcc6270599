"""Demand history: zero-filling, stock-out flags and their treatment, weekly sums."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from maillon.planning import demand
from maillon.planning.demand import (
    DemandRecord,
    StockoutDay,
    build_demand_series,
    series_id,
)

D0 = dt.date(2024, 1, 1)  # a Monday


def day(k: int) -> dt.date:
    return D0 + dt.timedelta(days=k)


def test_public_api_is_pinned() -> None:
    assert set(demand.__all__) == {
        "FREQS",
        "SERIES_SEPARATOR",
        "TREATMENTS",
        "DemandRecord",
        "DemandSeries",
        "StockoutDay",
        "Treatment",
        "build_demand_series",
        "series_id",
    }


def test_missing_days_are_zero_and_series_end_together() -> None:
    recs = [
        DemandRecord("A", "W1", day(0), 3),
        DemandRecord("A", "W1", day(0), 2),
        DemandRecord("A", "W1", day(3), 1),
        DemandRecord("B", "W1", day(2), 4),
        DemandRecord("B", "W1", day(5), 1),
    ]
    frame = build_demand_series(recs).frame
    a = frame[frame["unique_id"] == series_id("A", "W1")]
    assert a["y"].tolist() == [5.0, 0.0, 0.0, 1.0, 0.0, 0.0]
    b = frame[frame["unique_id"] == "B@W1"]
    assert b["ds"].min().date() == day(2)  # a series starts at its first record
    assert b["ds"].max().date() == day(5) == a["ds"].max().date()
    assert not frame["stockout_days"].any()


def test_a_series_starts_when_its_sku_could_first_sell() -> None:
    recs = [DemandRecord("A", "W1", day(5), 2), DemandRecord("B", "W1", day(1), 1)]
    frame = build_demand_series(recs, end=day(6), since={"A": day(2), "B": day(4)}).frame
    a = frame[frame["unique_id"] == "A@W1"]
    assert a["ds"].min().date() == day(2) and a["y"].tolist() == [0.0, 0.0, 0.0, 2.0, 0.0]
    b = frame[frame["unique_id"] == "B@W1"]
    assert b["ds"].min().date() == day(1)  # it sold before: from that sale
    # an explicit start still wins for every series
    fixed = build_demand_series(recs, start=day(0), end=day(6), since={"A": day(2)}).frame
    assert fixed.groupby("unique_id")["ds"].min().dt.date.eq(day(0)).all()


def test_stockout_day_is_imputed_not_zero() -> None:
    recs = [DemandRecord("A", "W", day(k), 10) for k in range(10) if k != 4]
    out = [StockoutDay("A", "W", day(4))]
    s = build_demand_series(recs, stockouts=out, window=3)
    row = s.frame.iloc[4]
    assert row["observed"] == 0.0
    assert row["y"] == pytest.approx(10.0)
    assert bool(row["imputed"]) and row["stockout_days"] == 1
    assert s.n_stockout_periods == 1
    kept = build_demand_series(recs, stockouts=out, treatment="none").frame
    assert kept.iloc[4]["y"] == 0.0 and kept.iloc[4]["stockout_days"] == 1
    masked = build_demand_series(recs, stockouts=out, treatment="mask").frame
    assert np.isnan(masked.iloc[4]["y"])


def test_imputation_is_robust_to_one_bulk_order() -> None:
    qty = [2, 2, 2, 500, 2, 0, 2, 2, 2, 2, 2]  # day 5 is out of stock
    recs = [DemandRecord("A", "W", day(k), q) for k, q in enumerate(qty)]
    s = build_demand_series(recs, stockouts=[StockoutDay("A", "W", day(5))], window=5)
    plain_mean = np.mean([q for k, q in enumerate(qty) if k != 5])
    assert s.frame.iloc[5]["y"] < plain_mean


def test_partial_stockout_keeps_observed_sales_when_higher() -> None:
    recs = [DemandRecord("A", "W", day(k), 1) for k in range(6)]
    recs.append(DemandRecord("A", "W", day(6), 7))
    s = build_demand_series(recs, stockouts=[StockoutDay("A", "W", day(6))])
    assert s.frame.iloc[6]["y"] == 7.0


def test_weekly_sums_monday_weeks_and_drops_partial_edges() -> None:
    # From Wednesday 2024-01-03 to Sunday 2024-01-21: one partial week, two full weeks.
    recs = [DemandRecord("A", "W", day(k), k) for k in range(2, 21)]
    s = build_demand_series(recs, freq="W")
    assert s.pandas_freq == "W-MON"
    assert [d.date() for d in s.frame["ds"]] == [day(7), day(14)]
    assert s.frame["y"].tolist() == [float(sum(range(7, 14))), float(sum(range(14, 21)))]
    partial = build_demand_series(recs, freq="W", keep_partial_weeks=True)
    assert len(partial.frame) == 3


def test_weekly_mask_marks_the_whole_week() -> None:
    recs = [DemandRecord("A", "W", day(k), 1) for k in range(14)]
    s = build_demand_series(
        recs, freq="W", treatment="mask", stockouts=[StockoutDay("A", "W", day(9))]
    )
    assert s.frame["y"].isna().tolist() == [False, True]
    assert s.frame["stockout_days"].tolist() == [0, 1]


def test_series_without_records_need_start() -> None:
    with pytest.raises(ValueError, match="explicit start"):
        build_demand_series([], series=[("A", "W")])
    s = build_demand_series([], series=[("A", "W")], start=day(0), end=day(2))
    assert s.frame["y"].tolist() == [0.0, 0.0, 0.0]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"freq": "M"}, "freq"),
        ({"treatment": "drop"}, "treatment"),
        ({"window": 0}, "window"),
        ({"start": day(3), "end": day(1)}, "after"),
    ],
)
def test_bad_arguments_raise(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build_demand_series([DemandRecord("A", "W", day(0), 1)], **kwargs)  # type: ignore[arg-type]


def test_negative_quantity_is_refused() -> None:
    with pytest.raises(ValueError, match=">= 0"):
        DemandRecord("A", "W", day(0), -1)


def test_empty_input_gives_empty_frame() -> None:
    s = build_demand_series([])
    assert s.n_series == 0
    assert list(s.forecast_input().columns) == ["unique_id", "ds", "y"]


@settings(max_examples=40, deadline=None)
@given(
    qty=st.lists(st.integers(0, 50), min_size=1, max_size=40),
    out=st.sets(st.integers(0, 39), max_size=10),
)
def test_imputation_never_lowers_observed_demand_and_only_touches_stockouts(
    qty: list[int], out: set[int]
) -> None:
    recs = [DemandRecord("A", "W", day(k), q) for k, q in enumerate(qty)]
    outs = [StockoutDay("A", "W", day(k)) for k in out if k < len(qty)]
    f = build_demand_series(recs, stockouts=outs, end=day(len(qty) - 1)).frame
    assert len(f) == len(qty)
    assert (f["y"] >= f["observed"]).all()
    changed = f["y"] != f["observed"]
    assert not (changed & (f["stockout_days"] == 0)).any()
    assert f["observed"].sum() == sum(qty)
