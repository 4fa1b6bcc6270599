"""bench/policy.py ``--end`` and bench/forecast.py ``--offset`` (second hold-out windows)."""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[2]


def bench(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"bench_{name}", ROOT / "bench" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[f"bench_{name}"] = module
    spec.loader.exec_module(module)
    return module


# --- policy: --end ----------------------------------------------------------------------


def retail_csv(path: Path) -> Path:
    """A tiny Online Retail-like file. SKU 10001 sells every day; 10002 sells in March-April
    and again only from June on; a cancellation of 2011-06-20 reverses a 7-unit sale of
    10001 placed on 2011-05-30."""
    rows = []
    days = pd.date_range("2011-03-01", "2011-06-30", freq="D")
    for i, day in enumerate(days):
        stamp = f"{day:%Y-%m-%d} 10:00:00"
        rows.append((f"5{i:05d}", "10001", 2 + i % 3, stamp, 1.5, "17850"))
        if day < pd.Timestamp("2011-05-01") or day >= pd.Timestamp("2011-06-01"):
            rows.append((f"5{i:05d}", "10002", 4, stamp, 2.0, "17850"))
    rows.append(("599999", "10001", 7, "2011-05-30 15:00:00", 1.5, "17850"))
    rows.append(("C900001", "10001", -7, "2011-06-20 12:00:00", 1.5, "17850"))
    frame = pd.DataFrame(
        rows,
        columns=["InvoiceNo", "StockCode", "Quantity", "InvoiceDate", "UnitPrice", "CustomerID"],
    )
    frame.to_csv(path, index=False)
    return path


def test_end_drops_lines_on_and_after_it(tmp_path: Path) -> None:
    policy = bench("policy")
    path = retail_csv(tmp_path / "retail.csv")
    everything = policy.load_lines(path)
    assert everything.equals(policy.load_lines(path, None))
    assert not (everything["Quantity"] == 7).any()  # the cancelled sale is removed
    end = pd.Timestamp("2011-06-01")
    kept = policy.load_lines(path, end)
    assert kept["InvoiceDate"].max() < end
    # The cancellation is dated after the end: it is never read, so the sale stays.
    assert (kept["Quantity"] == 7).sum() == 1
    before = everything[everything["InvoiceDate"] < end]
    assert len(kept) == len(before) + 1


def demand_args(path: Path, **kw: object) -> argparse.Namespace:
    """The arguments ``load_demand`` reads, at bench/policy.py's defaults."""
    base: dict[str, object] = {
        "data": path,
        "split": "2011-05-01",
        "end": None,
        "min_days": 0.3,
        "quick": False,
        "quick_skus": 300,
        "seed": 0,
        "sample_seed": None,
    }
    return argparse.Namespace(**{**base, **kw})


def test_end_bounds_the_test_part_and_the_sku_selection(tmp_path: Path) -> None:
    policy = bench("policy")
    path = retail_csv(tmp_path / "retail.csv")
    full = policy.load_demand(demand_args(path))
    cut = policy.load_demand(demand_args(path, end="2011-06-01"))
    assert full.days[-1] == pd.Timestamp("2011-06-30")
    assert cut.days[-1] == pd.Timestamp("2011-05-31")
    assert cut.split == full.split
    assert cut.days[: cut.split] == full.days[: full.split]
    # 10002 sells in the test part only after the end: selected without it, not with it.
    assert full.skus == ["10001", "10002"]
    assert cut.skus == ["10001"]
    assert cut.matrix.shape == (1, len(cut.days))
    # Same demand before the end, but for the cancelled 7 units (cancelled after the end).
    diff = cut.matrix[0] - full.matrix[0, : len(cut.days)]
    assert diff.sum() == 7 and cut.days[int(np.argmax(diff))] == pd.Timestamp("2011-05-30")
    with pytest.raises(SystemExit):
        policy.load_demand(demand_args(path, end="2011-05-01"))


def test_sample_seed_draws_the_quick_sample_on_its_own(tmp_path: Path) -> None:
    policy = bench("policy")
    path = retail_csv(tmp_path / "retail.csv")
    everyone = policy.load_demand(demand_args(path))
    assert everyone.skus == ["10001", "10002"]

    def sample(**kw: object) -> list[str]:
        return policy.load_demand(demand_args(path, quick=True, quick_skus=1, **kw)).skus

    by_seed = {seed: sample(seed=seed) for seed in range(8)}
    assert len({tuple(v) for v in by_seed.values()}) == 2  # the seed picks the SKU
    for seed, skus in by_seed.items():
        # --sample-seed alone decides; --seed (the lead-time draws) then leaves it alone.
        assert sample(seed=99, sample_seed=seed) == skus


# --- policy: the min/max frontier and --prior -------------------------------------------


def test_frontier_reads_a_line_through_the_points_near_our_fill() -> None:
    policy = bench("policy")
    fill = np.array([93.0, 94.0, 94.6, 95.0, 95.4, 96.0, 97.0, 99.5])
    inventory = 1000.0 + 50.0 * (fill - 95.0)
    inventory[3] += 40.0  # one noisy grid point (min/max's fill is not monotone in k)
    inventory[-1] = 9999.0  # far from 95 %: outside the band, ignored
    read = policy.frontier_inventory(fill, inventory, 95.0, band=1.5)
    assert read["points"] == 5
    assert read["slope"] == pytest.approx(50.0)  # the bump sits at the mean fill
    # The line averages the noisy point out instead of reading it as is (1,040).
    assert 1000.0 < read["inventory"] < 1010.0
    assert read["inventory"] == pytest.approx(1000.0 + 40.0 / 5)


def test_frontier_falls_back_to_the_nearest_points() -> None:
    policy = bench("policy")
    fill = np.array([90.0, 91.0, 92.0, 93.0, 98.0, 99.0])
    inventory = 10.0 * fill
    read = policy.frontier_inventory(fill, inventory, 95.0, band=0.5)
    assert read["points"] == policy.FRONTIER_MIN_POINTS
    assert read["inventory"] == pytest.approx(950.0)


@pytest.mark.parametrize(("text", "value"), [("auto", "auto"), ("inf", math.inf), ("30", 30.0)])
def test_prior_takes_auto_inf_or_a_number(text: str, value: object) -> None:
    assert bench("policy").prior_arg(text) == value


@pytest.mark.parametrize("text", ["-1", "nan", "often"])
def test_prior_refuses_anything_else(text: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError, match=repr(text)):
        bench("policy").prior_arg(text)


# --- forecast: --offset -----------------------------------------------------------------


def squares_csv(path: Path, n: int = 40) -> Path:
    """Two series y_t = t^2 (and 2 t^2): the naive forecast's error tells which window it had."""
    t = np.arange(n, dtype=float)
    ds = pd.date_range("2020-01-01", periods=n, freq="D").strftime("%Y-%m-%d")
    frame = pd.concat(
        [
            pd.DataFrame({"unique_id": uid, "ds": ds, "y": c * t**2})
            for uid, c in (("a", 1), ("b", 2))
        ]
    )
    frame.to_csv(path, index=False)
    return path


def run_forecast(path: Path, out: Path, *flags: str) -> dict[str, object]:
    forecast = bench("forecast")
    argv = [
        "--csv",
        str(path),
        "--horizon",
        "4",
        "--season",
        "1",
        "--models",
        "naive",
        "--n-windows",
        "0",
        "--mase-season",
        "1",
        "--json",
        str(out),
        *flags,
    ]
    forecast.main(argv)
    result: dict[str, object] = json.loads(out.read_text())
    return result


def expected_naive_mase(n: int, h: int, offset: int) -> float:
    """MASE of the naive forecast of y_t = t^2 on the window ``offset`` windows back."""
    end = n - offset * h  # points kept
    t = np.arange(end - h, dtype=float)
    y = t**2
    scale = np.abs(np.diff(y)).mean()
    last = y[-1]
    actual = np.arange(end - h, end, dtype=float) ** 2
    return float(np.abs(actual - last).mean() / scale)


@pytest.mark.parametrize("offset", [0, 2, 3])
def test_offset_holds_out_the_window_offset_horizons_back(tmp_path: Path, offset: int) -> None:
    path = squares_csv(tmp_path / "sq.csv")
    result = run_forecast(path, tmp_path / "out.json", "--offset", str(offset))
    summary = result["summary"]
    assert isinstance(summary, dict)
    assert summary["offset"] == offset
    assert summary["config"]["offset"] == offset
    assert summary["mase_naive"] == pytest.approx(expected_naive_mase(40, 4, offset))


def test_offset_one_is_validation(tmp_path: Path) -> None:
    path = squares_csv(tmp_path / "sq.csv")
    a = run_forecast(path, tmp_path / "a.json", "--validation")
    b = run_forecast(path, tmp_path / "b.json", "--offset", "1")
    timing = {"series_per_s"}
    sa = {k: v for k, v in a["summary"].items() if k not in timing}  # type: ignore[union-attr]
    sb = {k: v for k, v in b["summary"].items() if k not in timing}  # type: ignore[union-attr]
    assert sa == sb
    assert sa["offset"] == 1 and sa["config"]["validation"] is True
    assert sa["mase_naive"] == pytest.approx(expected_naive_mase(40, 4, 1))


def test_m4_naive2_is_computed_at_an_offset(tmp_path: Path) -> None:
    path = squares_csv(tmp_path / "sq.csv")
    ref = tmp_path / "ref.csv"
    pd.DataFrame(
        {
            "method": ["Naive2", "118", "235"],
            "sMAPE_Weekly": [9.161, 7.817, 7.6],
            "MASE_Weekly": [2.777, 2.356, 2.3],
        }
    ).to_csv(ref, index=False)
    official = run_forecast(path, tmp_path / "o.json", "--m4-reference", str(ref))
    shifted = run_forecast(path, tmp_path / "s.json", "--m4-reference", str(ref), "--offset", "2")
    assert official["summary"]["mase_naive2"] == 2.777  # type: ignore[index]
    s = shifted["summary"]
    assert s["mase_naive2"] == s["mase_naive"]  # type: ignore[index]
    naive = next(r for r in shifted["rows"] if r["method"] == "statsforecast naive")  # type: ignore[union-attr]
    assert s["smape_naive2"] == naive["smape"]  # type: ignore[index]
    methods = [r["method"] for r in shifted["rows"]]  # type: ignore[union-attr]
    assert not any(m.startswith("M4 official") for m in methods)
    assert any(m.startswith("Naive2 (computed") for m in methods)


def test_seasonal_naive_falls_back_to_naive_on_a_history_shorter_than_a_season() -> None:
    fc = bench("forecast")
    long = pd.DataFrame(
        {
            "unique_id": "long",
            "ds": pd.date_range("2020-01-06", periods=20, freq="W-MON"),
            "y": np.arange(20, dtype=float),
        }
    )
    short = pd.DataFrame(
        {
            "unique_id": "short",
            "ds": pd.date_range("2020-03-02", periods=3, freq="W-MON"),
            "y": [5.0, 7.0, 9.0],
        }
    )
    out = fc.baselines(pd.concat([long, short], ignore_index=True), 4, 8, "W-MON")
    snaive = out["seasonal_naive"][0]
    assert len(snaive) == 8 and not snaive["seasonal_naive"].isna().any()
    assert (snaive.loc[snaive["unique_id"] == "short", "seasonal_naive"] == 9.0).all()
    # a long enough history keeps its seasonal forecast: the values of 8 weeks before
    assert snaive.loc[snaive["unique_id"] == "long", "seasonal_naive"].tolist() == [
        12.0,
        13.0,
        14.0,
        15.0,
    ]


@pytest.mark.parametrize("replay", ["cold", "warm"])
def test_policy_bench_runs_end_to_end_on_any_file_of_the_format(
    tmp_path: Path, replay: str
) -> None:
    policy = bench("policy")
    path = retail_csv(tmp_path / "retail.csv")
    out = tmp_path / "out.json"
    argv = ["--data", str(path), "--split", "2011-05-01", "--history", "10", "--json", str(out)]
    assert policy.main([*argv, "--replay", replay]) == 0
    result = json.loads(out.read_text())
    summary = result["summary"]
    assert 0 <= summary["fill_rate_pct"] <= 100
    assert math.isfinite(summary["inventory_reduction_pct"])
    assert summary["replay"] == replay and summary["prior_choice"] == "auto"
    assert f"{summary['prior']:g}" in summary["prior_log_scores"]
    assert len(summary["minmax_grid"]) == policy.FRONTIER_POINTS
    assert summary["minmax_frontier_points"] >= policy.FRONTIER_MIN_POINTS
    assert summary["skus"] == 2 and result["rows"][0]["policy"].startswith("ours")
