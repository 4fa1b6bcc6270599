"""bench/vrp.py reads Solomon, CVRPLIB X and Gehring & Homberger with each set's rounding."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[3]
DATA = Path("/work/shared/datasets/vrp")


def bench() -> object:
    spec = importlib.util.spec_from_file_location("bench_vrp", ROOT / "bench" / "vrp.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_vrp"] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("count", [1, 2, 5, 10, 60])
def test_spread_keeps_ends_and_order(count: int) -> None:
    vrp = bench()
    paths = [Path(f"X-n{100 + i}-k{i}.vrp") for i in range(40)]
    picked = vrp.spread(paths, count)  # type: ignore[attr-defined]
    assert len(picked) == min(count, 40)
    assert picked[0] == paths[0]
    assert picked == sorted(picked, key=paths.index)
    if count > 1:
        assert picked[-1] == paths[-1]
    with pytest.raises(ValueError, match="positive"):
        vrp.spread(paths, 0)  # type: ignore[attr-defined]


def need(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"{path} is not here")
    return path


def test_x_instances_round_to_integers_with_solutions_beside() -> None:
    vrp = bench()
    path = need(DATA / "cvrplib_X" / "Instances" / "X-n101-k25.vrp")
    inst = vrp.load(path)  # type: ignore[attr-defined]
    assert inst.scale == 1 and not inst.has_tw
    assert len(inst.problem.stops) == 100
    sol = (DATA / "cvrplib_X" / "Solutions" / "X-n101-k25.sol").read_text()
    assert inst.bks == float(sol.split("Cost")[-1].split()[0])
    # nearest-integer Euclidean distances between the first two nodes
    coords = inst.problem.coordinates
    d = np.hypot(*(coords[0] - coords[1]))
    assert inst.problem.distance_matrix[0, 1] == round(d)


def test_gehring_homberger_truncates_to_one_decimal() -> None:
    vrp = bench()
    path = need(DATA / "gehring_homberger_1000" / "C1_10_1.vrp")
    inst = vrp.load(path)  # type: ignore[attr-defined]
    assert inst.scale == 10 and inst.has_tw
    assert len(inst.problem.stops) == 1000 and len(inst.problem.vehicles) == 250
    coords = inst.problem.coordinates
    d = np.hypot(*(coords[0] - coords[1]))
    assert inst.problem.distance_matrix[0, 1] == int(d * 10)
    assert inst.problem.stops[0].service_time == 900  # 90 x 10
    assert inst.bks is not None and inst.bks > 0
    found = vrp.find_instances([DATA / "gehring_homberger_1000"])  # type: ignore[attr-defined]
    assert len(found) == 60 and all(p.suffix == ".vrp" for p in found)
