"""Converters from public forecasting data sets to the long CSV ``bench/forecast.py`` reads.

Every output is ``unique_id,ds,y`` (one row per series and period, history and test together:
the benchmark holds out the last H points of each series itself).

``m4-weekly``
    M4 Weekly (359 series; Train + Test files concatenated, 13 test weeks). M4 gives no dates
    to participants, so ``ds`` is a Monday-based weekly calendar ending on 2018-12-31 for every
    series. Run with ``--horizon 13 --freq W-MON`` and ``--mase-season 1`` (M4's MASE scale for
    weekly data is the naive in-sample error: its "Frequency" is 1 for weekly series).
``carparts``
    Car parts (Hyndman et al. 2008): 2,674 SKUs x 51 months, intermittent. The 165 series with
    missing months are dropped (2,509 complete series remain, as in the published studies);
    series without demand are kept (the benchmark drops zero-scale series from MASE and RMSSE
    and says how many).
    ``ds`` is the month start; run with ``--freq MS --season 12``.
``online-retail``
    UCI Online Retail (UK gift retailer, 2010-12-01 to 2011-12-09): daily units per stock code,
    zero-filled, cancellations (invoices starting with ``C``), non-positive quantities or prices
    and non-product codes (a product code is 5 digits with an optional letter suffix: this drops
    POST, DOT, M, C2, BANK CHARGES, AMAZONFEE, gift vouchers...) removed. Only stock codes with
    sales on at least ``--min-days`` days (default 150) and sold in the last 28 days are kept.
    Series run from the code's first sale. ``--weekly`` sums to Monday-based weeks instead
    (the shop does not trade on Saturdays, so daily data has a weekly pattern: use ``--season 7``).

Usage::

    python bench/forecast_data.py m4-weekly|carparts|online-retail OUT.csv [--root DIR]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from maillon.planning.demand import DemandRecord, build_demand_series  # noqa: E402

DATASETS = Path("/work/shared/datasets")
M4_END = pd.Timestamp("2018-12-31")  # a Monday


def m4_weekly(root: Path) -> pd.DataFrame:
    """Return M4 Weekly (train + test) in long format."""
    base = root / "forecasting" / "m4" / "Dataset"
    train = pd.read_csv(base / "Train" / "Weekly-train.csv", index_col=0)
    test = pd.read_csv(base / "Test" / "Weekly-test.csv", index_col=0)
    frames = []
    for uid in train.index:
        values = np.concatenate(
            [train.loc[uid].dropna().to_numpy(float), test.loc[uid].dropna().to_numpy(float)]
        )
        ds = pd.date_range(end=M4_END, periods=len(values), freq="W-MON")
        frames.append(pd.DataFrame({"unique_id": uid, "ds": ds, "y": values}))
    return pd.concat(frames, ignore_index=True)


def carparts(root: Path) -> pd.DataFrame:
    """Return the car parts monthly demand in long format (complete series only)."""
    wide = pd.read_csv(root / "forecasting" / "carparts" / "carparts_monthly_wide.csv.gz")
    wide = wide.loc[:, wide.notna().all()]
    wide.index = pd.DatetimeIndex(pd.to_datetime(wide.pop("month") + "-01"), name="ds")
    long = wide.melt(ignore_index=False, var_name="unique_id", value_name="y").reset_index()
    long = long.dropna(subset=["y"])
    return long[["unique_id", "ds", "y"]].sort_values(["unique_id", "ds"], ignore_index=True)


def online_retail(root: Path, *, min_days: int, weekly: bool) -> pd.DataFrame:
    """Return UCI Online Retail daily (or weekly) units per product code."""
    raw = pd.read_csv(
        root / "online_retail" / "online_retail_2010-12_2011-12.csv.gz",
        dtype={"InvoiceNo": str, "StockCode": str},
        usecols=["InvoiceNo", "StockCode", "Quantity", "InvoiceDate", "UnitPrice"],
    )
    keep = (
        ~raw["InvoiceNo"].str.startswith("C")
        & raw["StockCode"].str.fullmatch(r"\d{5}[A-Za-z]*")
        & (raw["Quantity"] > 0)
        & (raw["UnitPrice"] > 0)
    )
    sales = raw[keep].copy()
    sales["StockCode"] = sales["StockCode"].str.upper()
    sales["day"] = pd.to_datetime(sales["InvoiceDate"]).dt.normalize()
    daily = sales.groupby(["StockCode", "day"], as_index=False)["Quantity"].sum()
    last_day = daily["day"].max()
    active = daily.groupby("StockCode").agg(n=("day", "size"), last=("day", "max"))
    chosen = active[(active["n"] >= min_days) & (active["last"] > last_day - pd.Timedelta(days=28))]
    daily = daily[daily["StockCode"].isin(chosen.index)]
    records = [
        DemandRecord(sku=code, warehouse="UK", day=day.date(), qty=float(q))
        for code, day, q in daily.itertuples(index=False)
    ]
    series = build_demand_series(
        records, freq="W" if weekly else "D", treatment="none", end=last_day.date()
    )
    out = series.forecast_input()
    out["unique_id"] = out["unique_id"].str.replace("@UK", "", regex=False)
    return out


def main(argv: list[str] | None = None) -> None:
    """Write the chosen data set as a long CSV."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dataset", choices=("m4-weekly", "carparts", "online-retail"))
    ap.add_argument("out", type=Path)
    ap.add_argument("--root", type=Path, default=DATASETS)
    ap.add_argument("--min-days", type=int, default=150)
    ap.add_argument("--weekly", action="store_true", help="online-retail: weekly sums")
    args = ap.parse_args(argv)
    if args.dataset == "m4-weekly":
        df = m4_weekly(args.root)
    elif args.dataset == "carparts":
        df = carparts(args.root)
    else:
        df = online_retail(args.root, min_days=args.min_days, weekly=args.weekly)
    df["ds"] = pd.to_datetime(df["ds"]).dt.strftime("%Y-%m-%d")
    df.to_csv(args.out, index=False)
    print(f"{args.dataset}: {df['unique_id'].nunique()} series, {len(df)} rows -> {args.out}")


if __name__ == "__main__":
    main()
