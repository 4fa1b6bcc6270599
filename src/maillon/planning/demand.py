"""Demand history (pure): regular daily or weekly series per SKU and warehouse.

:func:`build_demand_series` turns dated demand records (what customers ordered, per SKU,
warehouse and day) and the days each SKU was out of stock in a warehouse into regular series in
the long format the forecasters read (``unique_id, ds, y``), plus the columns that explain them.

Rules:

* Each series runs from its first record (or ``start``) to the last day of the whole history
  (or ``end``), every day present: days without a record are zero demand.
* Stock-out days are flagged. Demand on a stock-out day is censored (lost sales are unseen), so
  it must not read as zero demand. ``treatment`` says what happens to it:

  ``"impute"`` (default)
      ``y`` on a stock-out day becomes ``max(observed, estimate)``, where ``estimate`` is the
      *winsorised mean* of the in-stock days' demand within ``window`` days on either side
      (values above the 95th percentile of those days are capped at it, so one bulk order does
      not inflate the estimate). Without in-stock days in the window, every in-stock day of the
      series is used; a series never in stock keeps its observed demand.
  ``"mask"``
      ``y`` is NaN on stock-out days (for consumers that fit on available days only;
      :func:`maillon.planning.forecast.forecast` refuses NaN, so impute before forecasting).
  ``"none"``
      ``y`` is the observed demand; only the flag is kept.

* Weekly series (``freq="W"``) sum the treated daily values by ISO week (Monday to Sunday,
  ``ds`` = the Monday). With ``"mask"``, a week with any masked day is NaN. Weeks cut by the
  history's edges are dropped unless ``keep_partial_weeks`` is true: a partial week would read as
  a drop in demand.

The result's frame has the columns ``unique_id, sku, warehouse, ds, y, observed, stockout_days,
imputed``. ``unique_id`` is ``"<sku>@<warehouse>"`` (see :func:`series_id`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

__all__ = [
    "FREQS",
    "SERIES_SEPARATOR",
    "TREATMENTS",
    "DemandRecord",
    "DemandSeries",
    "StockoutDay",
    "Treatment",
    "build_demand_series",
    "series_id",
]

Treatment = Literal["impute", "mask", "none"]
TREATMENTS: tuple[str, ...] = ("impute", "mask", "none")
"""Names accepted by ``build_demand_series(treatment=...)``."""

FREQS: tuple[str, ...] = ("D", "W")
"""Names accepted by ``build_demand_series(freq=...)``: daily, or weekly (Monday-based)."""

SERIES_SEPARATOR = "@"
"""Joins SKU and warehouse in a series id."""

WEEKLY_FREQ = "W-MON"
"""The pandas frequency of the weekly series (weeks labelled by their Monday)."""

_CAP_QUANTILE = 0.95


def _as_day(value: dt.date, what: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if not isinstance(value, dt.date):
        raise ValueError(f"{what} must be a date, got {type(value).__name__}")
    return value


@dataclass(frozen=True, slots=True)
class DemandRecord:
    """Units of ``sku`` demanded from ``warehouse`` on ``day``. Raises ValueError if qty < 0."""

    sku: str
    warehouse: str
    day: dt.date
    qty: float

    def __post_init__(self) -> None:
        if not self.sku:
            raise ValueError("sku must not be empty")
        if not isinstance(self.qty, int | float) or not np.isfinite(self.qty):
            raise ValueError(f"qty of {self.sku!r} must be a finite number")
        if self.qty < 0:
            raise ValueError(f"qty of {self.sku!r} on {self.day} must be >= 0, got {self.qty}")
        object.__setattr__(self, "day", _as_day(self.day, "day"))


@dataclass(frozen=True, slots=True)
class StockoutDay:
    """``sku`` had no available stock in ``warehouse`` during (part of) ``day``."""

    sku: str
    warehouse: str
    day: dt.date

    def __post_init__(self) -> None:
        object.__setattr__(self, "day", _as_day(self.day, "day"))


@dataclass(frozen=True)
class DemandSeries:
    """Regular demand series.

    Attributes:
        frame: long format, one row per series and period: ``unique_id, sku, warehouse, ds,
            y, observed, stockout_days, imputed`` (``y`` is what forecasting reads).
        freq: ``"D"`` or ``"W"``.
        pandas_freq: the pandas frequency of ``ds`` (``"D"`` or ``"W-MON"``), for forecasting.
        treatment: how stock-out days were treated.
    """

    frame: pd.DataFrame
    freq: str
    pandas_freq: str
    treatment: str

    @property
    def n_series(self) -> int:
        """Number of series."""
        return int(self.frame["unique_id"].nunique())

    @property
    def n_stockout_periods(self) -> int:
        """Number of periods with at least one stock-out day."""
        return int((self.frame["stockout_days"] > 0).sum())

    def forecast_input(self) -> pd.DataFrame:
        """Return the ``unique_id, ds, y`` columns (what ``forecast`` reads)."""
        return self.frame[["unique_id", "ds", "y"]].reset_index(drop=True)


def series_id(sku: str, warehouse: str) -> str:
    """Return the series id of a SKU in a warehouse (``"<sku>@<warehouse>"``)."""
    return f"{sku}{SERIES_SEPARATOR}{warehouse}"


def _impute(
    observed: npt.NDArray[np.float64], out: npt.NDArray[np.bool_], window: int
) -> npt.NDArray[np.float64]:
    """Return ``observed`` with stock-out days raised to a winsorised local in-stock mean."""
    y = observed.copy()
    in_stock = ~out
    if not in_stock.any():
        return y
    all_vals = observed[in_stock]
    n = len(observed)
    for i in np.flatnonzero(out):
        lo, hi = max(0, i - window), min(n, i + window + 1)
        vals = observed[lo:hi][in_stock[lo:hi]]
        if vals.size == 0:
            vals = all_vals
        cap = float(np.quantile(vals, _CAP_QUANTILE))
        estimate = float(np.minimum(vals, cap).mean())
        y[i] = max(y[i], estimate)
    return y


def build_demand_series(
    records: Iterable[DemandRecord],
    *,
    stockouts: Iterable[StockoutDay] = (),
    freq: str = "D",
    treatment: str = "impute",
    window: int = 14,
    start: dt.date | None = None,
    end: dt.date | None = None,
    keep_partial_weeks: bool = False,
    series: Sequence[tuple[str, str]] = (),
    since: Mapping[str, dt.date] | None = None,
) -> DemandSeries:
    """Return regular demand series built from ``records`` (see the module docstring).

    Without ``start`` a series begins at its first sale, or at ``since[sku]`` (the first day
    the SKU could sell, e.g. the history's start or its listing day) when that is earlier:
    the days between are zero demand, not unknown.

    ``series`` lists extra (sku, warehouse) pairs to include even without any record (zero
    demand from ``start``, which must then be given). Records and stock-outs outside
    ``start..end`` are ignored.

    Raises:
        ValueError: unknown ``freq`` or ``treatment``, ``window < 1``, ``start > end``, or
            ``series`` given without ``start``.
    """
    start, end = _checked_bounds(freq, treatment, window, start, end, bool(series))
    qty: dict[tuple[str, str], dict[dt.date, float]] = {}
    for r in records:
        per_day = qty.setdefault((r.sku, r.warehouse), {})
        per_day[r.day] = per_day.get(r.day, 0.0) + float(r.qty)
    for key in series:
        qty.setdefault(key, {})
    out_days: dict[tuple[str, str], set[dt.date]] = {}
    for s in stockouts:
        out_days.setdefault((s.sku, s.warehouse), set()).add(s.day)

    columns = ["unique_id", "sku", "warehouse", "ds", "y", "observed", "stockout_days", "imputed"]
    pandas_freq = "D" if freq == "D" else WEEKLY_FREQ
    last = end or max((d for days in qty.values() for d in days), default=None)
    if last is None:
        empty = pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
        return DemandSeries(empty, freq, pandas_freq, treatment)

    frames: list[pd.DataFrame] = []
    for (sku, warehouse), per_day in sorted(qty.items()):
        first = start or min(per_day, default=last)
        if start is None and since and sku in since:
            first = min(first, _as_day(since[sku], "since"))
        if first > last:
            continue
        daily = _daily_frame(
            per_day,
            first,
            last,
            out_days.get((sku, warehouse), set()),
            treatment=treatment,
            window=window,
        )
        if freq == "W":
            daily = _to_weekly(daily, keep_partial=keep_partial_weeks)
        daily.insert(0, "warehouse", warehouse)
        daily.insert(0, "sku", sku)
        daily.insert(0, "unique_id", series_id(sku, warehouse))
        frames.append(daily)
    if not frames:
        empty = pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
        return DemandSeries(empty, freq, pandas_freq, treatment)
    frame = pd.concat(frames, ignore_index=True)[columns]
    return DemandSeries(frame, freq, pandas_freq, treatment)


def _checked_bounds(
    freq: str,
    treatment: str,
    window: int,
    start: dt.date | None,
    end: dt.date | None,
    has_series: bool,
) -> tuple[dt.date | None, dt.date | None]:
    """Return ``start`` and ``end`` as days after checking the arguments of
    :func:`build_demand_series` (see its Raises)."""
    if freq not in FREQS:
        raise ValueError(f"freq must be one of {FREQS}, got {freq!r}")
    if treatment not in TREATMENTS:
        raise ValueError(f"treatment must be one of {TREATMENTS}, got {treatment!r}")
    if window < 1:
        raise ValueError("window must be >= 1 day")
    if start is not None:
        start = _as_day(start, "start")
    if end is not None:
        end = _as_day(end, "end")
    if start is not None and end is not None and start > end:
        raise ValueError(f"start {start} is after end {end}")
    if has_series and start is None:
        raise ValueError("series without records need an explicit start")
    return start, end


def _daily_frame(
    per_day: Mapping[dt.date, float],
    first: dt.date,
    last: dt.date,
    flagged: set[dt.date],
    *,
    treatment: str,
    window: int,
) -> pd.DataFrame:
    """Return one series' days ``first..last``: ``ds, y, observed, stockout_days, imputed``
    (``flagged`` days out of stock treated by ``treatment``)."""
    days = pd.date_range(first, last, freq="D")
    observed = np.zeros(len(days))
    for day, q in per_day.items():
        pos = (day - first).days
        if 0 <= pos < len(days):
            observed[pos] += q
    out = np.array([d.date() in flagged for d in days], dtype=bool)
    if treatment == "impute":
        y = _impute(observed, out, window)
    elif treatment == "mask":
        y = np.where(out, np.nan, observed)
    else:
        y = observed.copy()
    daily = pd.DataFrame(
        {
            "ds": days,
            "y": y,
            "observed": observed,
            "stockout_days": out.astype(np.int64),
            "imputed": out & (y != observed) & ~np.isnan(y),
        }
    )
    return daily


def _to_weekly(daily: pd.DataFrame, *, keep_partial: bool) -> pd.DataFrame:
    """Sum daily rows into Monday-labelled weeks (NaN if any day is NaN)."""
    week = daily["ds"] - pd.to_timedelta(daily["ds"].dt.weekday, unit="D")
    grouped = daily.assign(week=week).groupby("week", sort=True)
    weekly = pd.DataFrame(
        {
            "y": grouped["y"].sum(min_count=1).where(~grouped["y"].apply(lambda s: s.isna().any())),
            "observed": grouped["observed"].sum(),
            "stockout_days": grouped["stockout_days"].sum(),
            "imputed": grouped["imputed"].any(),
            "n_days": grouped["ds"].count(),
        }
    )
    if not keep_partial:
        weekly = weekly[weekly["n_days"] == 7]
    weekly = weekly.drop(columns="n_days").rename_axis("ds").reset_index()
    return weekly
