"""The evaluation protocol in the benches (docs/evaluation.md): bench/fraud.py keeps its final
slice out of every choice, bench/forecast.py ``--windows`` reports validation windows and the
final slice apart, bench/wave.py splits the instances into a tune and a report part."""

from __future__ import annotations

import csv
import importlib.util
import json
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


# --- fraud ------------------------------------------------------------------------------


def card_csv(path: Path, n: int = 1600, seed: int = 0) -> Path:
    """Card transactions in a shuffled file order: Time, V1..V4, Amount, Class; fraud when
    V1 + V2 is high (about 8 %)."""
    rng = np.random.default_rng(seed)
    times = np.sort(rng.uniform(0, 172_800, n)).round()
    v = rng.normal(size=(n, 4))
    amount = rng.gamma(2.0, 40.0, n).round(2)
    label = (v[:, 0] + v[:, 1] + rng.normal(scale=0.5, size=n) > 2.0).astype(int)
    order = rng.permutation(n)
    with path.open("w", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["Time", "V1", "V2", "V3", "V4", "Amount", "Class"])
        for i in order:
            out.writerow([times[i], *v[i].round(5), amount[i], label[i]])
    return path


def test_fraud_bench_reports_ours_and_the_baseline_on_a_final_slice_no_choice_saw(
    tmp_path: Path,
) -> None:
    fraud = bench("fraud")
    path = card_csv(tmp_path / "cards.csv")
    result = fraud.main(["--train", str(path), "--quick", "--json", str(tmp_path / "f.json")])
    assert json.loads((tmp_path / "f.json").read_text()) == json.loads(json.dumps(result))
    s = result["summary"]
    assert s["n_train"] == 1120 and s["n_final"] == 480  # the last 30 % in time order
    for key in ("validation_pr_auc", "validation_pr_auc_baseline", "final_pr_auc",
                "final_pr_auc_baseline", "p99_cpu_ms"):  # fmt: skip
        assert isinstance(s[key], float)
    assert s["review_threshold"] < s["reject_threshold"]
    assert s["chosen_model"] in {r["candidate"] for r in result["rows"] if r["kind"] == "candidate"}
    assert "logistic[C=1]" in {r["candidate"] for r in result["rows"] if r["kind"] == "candidate"}
    # every fold of the validation lies inside the training rows
    assert all(f["fit_rows"] + f["validation_rows"] <= s["n_train"] for f in s["folds"])
    ours = [r for r in result["rows"] if r["kind"] == "reliability" and r["model"] == "ours"]
    assert sum(r["n"] for r in ours) == 480
    assert sum(r["fraud"] for r in ours) == s["final_fraud"]


def test_fraud_bench_choices_do_not_move_with_the_final_slice(tmp_path: Path) -> None:
    fraud = bench("fraud")
    path = card_csv(tmp_path / "cards.csv")
    rows = fraud.read_csv(path)
    train, final = fraud.split(rows, 0.3)
    assert max(float(r["Time"]) for r in train) <= min(float(r["Time"]) for r in final)
    scrambled = [{**r, "Class": "0"} for r in final]  # another final slice, same training rows
    (tmp_path / "train.csv").write_text(_csv(train))
    (tmp_path / "a.csv").write_text(_csv(final))
    (tmp_path / "b.csv").write_text(_csv([*scrambled[:-1], {**final[-1], "Class": "1"}]))
    base = ["--train", str(tmp_path / "train.csv"), "--quick"]
    a = fraud.main([*base, "--test", str(tmp_path / "a.csv")])["summary"]
    b = fraud.main([*base, "--test", str(tmp_path / "b.csv")])["summary"]
    for key in ("chosen_model", "validation_pr_auc", "review_threshold", "reject_threshold"):
        assert a[key] == b[key]
    assert a["final_pr_auc"] != b["final_pr_auc"]


def _csv(rows: list[dict[str, str]]) -> str:
    frame = pd.DataFrame(rows)
    text: str = frame.to_csv(index=False)
    return text


# --- forecast: --windows ----------------------------------------------------------------


def test_forecast_windows_report_validation_mean_and_final_slice_apart(tmp_path: Path) -> None:
    forecast = bench("forecast")
    t = np.arange(40, dtype=float)
    ds = pd.date_range("2020-01-01", periods=40, freq="D").strftime("%Y-%m-%d")
    pd.concat(
        [pd.DataFrame({"unique_id": u, "ds": ds, "y": c * t**2}) for u, c in (("a", 1), ("b", 2))]
    ).to_csv(tmp_path / "sq.csv", index=False)
    argv = ["--csv", str(tmp_path / "sq.csv"), "--horizon", "4", "--season", "1", "--models",
            "naive", "--n-windows", "0", "--mase-season", "1"]  # fmt: skip
    result = forecast.protocol([*argv, "--windows", "2", "--json", str(tmp_path / "w.json")])
    assert json.loads((tmp_path / "w.json").read_text())["summary"]["windows"] == 2
    rows = result["rows"]
    assert [r["offset"] for r in rows] == [2, 1, 0]
    assert rows[-1]["window"] == "final slice"
    for r in rows:
        single = forecast.main([*argv, "--offset", str(r["offset"])])["summary"]
        assert r["mase_naive"] == pytest.approx(single["mase_naive"])
    s = result["summary"]
    assert s["validation_mean_mase_naive"] == pytest.approx(
        (rows[0]["mase_naive"] + rows[1]["mase_naive"]) / 2
    )
    assert s["final_mase_naive"] == pytest.approx(rows[2]["mase_naive"])
    assert s["final_mase_gain_vs_autoets"] == pytest.approx(
        1 - rows[2]["mase"] / rows[2]["mase_autoets"]
    )
    with pytest.raises(SystemExit):
        forecast.protocol([*argv, "--windows", "2", "--offset", "1"])


# --- wave: tune and report parts --------------------------------------------------------


def test_wave_parts_alternate_in_each_set() -> None:
    wave = bench("wave")
    instances = [("a", Path(f"a/instance_{i:04d}.txt")) for i in (3, 1, 2)] + [
        ("b", Path(f"b/instance_{i:04d}.txt")) for i in (1, 2)
    ]
    parts = wave.part_of(instances)
    assert {p.as_posix(): part for p, part in parts.items()} == {
        "a/instance_0001.txt": "tune",
        "a/instance_0002.txt": "report",
        "a/instance_0003.txt": "tune",
        "b/instance_0001.txt": "tune",
        "b/instance_0002.txt": "report",
    }
    rows = [
        {"part": "tune", "pct_of_best": 100.0, "greedy_pct_of_best": 90.0},
        {"part": "tune", "pct_of_best": 98.0, "greedy_pct_of_best": 80.0},
        {"part": "report", "pct_of_best": 99.0, "greedy_pct_of_best": 95.0},
        {"part": "report", "pct_of_best": None, "greedy_pct_of_best": None},
    ]
    means = wave.part_means(rows)
    assert means["mean_pct_of_best_tune"] == pytest.approx(99.0)
    assert means["greedy_mean_pct_of_best_tune"] == pytest.approx(85.0)
    assert means["mean_pct_of_best_report"] == pytest.approx(99.0)
    assert means["instances_report"] == 1
