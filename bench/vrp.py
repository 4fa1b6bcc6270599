"""Benchmark of maillon.delivery.routing on public VRP instances, against OR-Tools.

Reads every instance under ``--instances`` with the ``vrplib`` package (Solomon
``.txt`` files, VRPLIB ``.vrp`` files: CVRPLIB X, Gehring & Homberger, explicit
edge weights, time windows, service times), converts it to OUR
:class:`~maillon.delivery.routing.RoutingProblem` and solves it with OUR
:func:`~maillon.delivery.routing.solve`: the point is to show that our
modelling on top of PyVRP loses no quality. OR-Tools routing (guided local
search) solves the same integer instance with the same time limit and fleet,
in the same run, as the reference.

Rounding follows the CVRPLIB convention per set: instances with time windows
(Solomon, Gehring & Homberger) truncate Euclidean distances to one decimal
(x10, truncated to integers; times and service durations x10 too), instances
without (X) round them to the nearest integer; explicit edge weights are used as
given. Costs are divided back before they are compared with the best known
solution (``Cost`` line of the ``.sol`` file beside the instance, or in a
sibling ``Solutions`` folder). Fleet: the instance's ``VEHICLES`` if given,
else ceil(demand / capacity) x 1.1 + 2 vehicles (X instances have no fleet
limit; their best known solutions use k or k + 1 routes).

Usage::

    python bench/vrp.py --instances DIR [DIR ...] --time-limit S [--quick] [--spread N]
        [--limit N] [--json OUT]

Data: ``/work/shared/datasets/vrp/solomon`` (``.txt`` + ``.sol``),
``/work/shared/datasets/vrp/cvrplib_X`` (``Instances/*.vrp``, ``Solutions/*.sol``) and
``/work/shared/datasets/vrp/gehring_homberger_1000`` (``.vrp`` with ``.sol`` beside).
"""

from __future__ import annotations

import argparse
import json
import math
import re
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import vrplib
from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from maillon.delivery.routing import (  # noqa: E402
    Depot,
    RoutingProblem,
    RoutingResult,
    Stop,
    Vehicle,
    solve,
)

QUICK_INSTANCES = 6
QUICK_TIME_LIMIT = 8.0


@dataclass(frozen=True)
class Instance:
    """One benchmark instance, already in integers, with its best known cost."""

    name: str
    problem: RoutingProblem
    scale: int  # integer cost / scale = cost in the instance's own units
    bks: float | None
    has_tw: bool


def natural_key(path: Path) -> list[Any]:
    """Return a sort key that orders R101 < R102 and X-n101 < X-n1001."""
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", path.name)]


def find_instances(dirs: list[Path]) -> list[Path]:
    """Return the instance files (*.txt Solomon, *.vrp VRPLIB) under ``dirs``."""
    found: list[Path] = []
    for d in dirs:
        if d.is_file():
            found.append(d)
            continue
        for path in d.rglob("*"):
            if path.suffix == ".vrp" or (
                path.suffix == ".txt" and re.match(r"^[A-Za-z]+[0-9_]+$", path.stem)
            ):
                found.append(path)
    return sorted(set(found), key=natural_key)


def solution_path(path: Path) -> Path | None:
    """Return the .sol file of an instance: beside it or in a sibling Solutions folder."""
    for candidate in (
        path.with_suffix(".sol"),
        path.parent.parent / "Solutions" / f"{path.stem}.sol",
    ):
        if candidate.exists():
            return candidate
    return None


def _trunc1(dist: npt.NDArray[np.float64]) -> npt.NDArray[np.int64]:
    return np.trunc(dist * 10).astype(np.int64)


def load(path: Path) -> Instance:
    """Read one instance with vrplib and convert it to our RoutingProblem."""
    solomon = path.suffix == ".txt"
    raw = vrplib.read_instance(path, instance_format="solomon" if solomon else "vrplib")
    dim = len(raw["demand"])
    has_tw = "time_window" in raw
    explicit = str(raw.get("edge_weight_type", "")).upper() == "EXPLICIT"
    weights = np.asarray(raw["edge_weight"], dtype=np.float64)
    if explicit:
        scale = 1
        dist = np.rint(weights).astype(np.int64)
    elif has_tw:
        scale = 10
        dist = _trunc1(weights)
    else:
        scale = 1
        dist = np.rint(weights).astype(np.int64)
    np.fill_diagonal(dist, 0)

    depots = np.atleast_1d(raw.get("depot", np.array([0])))
    if len(depots) != 1:
        raise ValueError(f"{path.name}: {len(depots)} depots, only one supported.")
    depot_idx = int(depots[0])
    demand = np.asarray(raw["demand"], dtype=np.int64)
    service = np.broadcast_to(np.asarray(raw.get("service_time", 0)), (dim,))
    service_i = np.rint(np.asarray(service, dtype=np.float64) * scale).astype(np.int64)
    if has_tw:
        tw = np.rint(np.asarray(raw["time_window"], dtype=np.float64) * scale).astype(np.int64)
    else:
        tw = None

    capacity = int(np.atleast_1d(raw["capacity"])[0])
    if "vehicles" in raw:
        fleet = int(raw["vehicles"])
    else:
        fleet = math.ceil(int(demand.sum()) / capacity * 1.1) + 2

    depot = Depot(
        location=depot_idx,
        shift_start=int(tw[depot_idx, 0]) if tw is not None else 0,
        shift_end=int(tw[depot_idx, 1]) if tw is not None else None,
    )
    vehicles = tuple(
        Vehicle(
            id=f"v{k + 1}",
            capacity_parcels=capacity,
            shift_start=depot.shift_start,
            shift_end=depot.shift_end,
        )
        for k in range(fleet)
    )
    stops = tuple(
        Stop(
            id=str(i),
            location=i,
            parcels=int(demand[i]),
            tw_start=int(tw[i, 0]) if tw is not None else 0,
            tw_end=int(tw[i, 1]) if tw is not None else None,
            service_time=int(service_i[i]),
        )
        for i in range(dim)
        if i != depot_idx
    )
    coords = raw.get("node_coord")
    problem = RoutingProblem(
        depot=depot,
        vehicles=vehicles,
        stops=stops,
        distance_matrix=dist,
        duration_matrix=dist,
        coordinates=None if coords is None else np.asarray(coords, dtype=np.float64),
    )
    sol = solution_path(path)
    bks = float(vrplib.read_solution(sol)["cost"]) if sol is not None else None
    return Instance(path.stem, problem, scale, bks, has_tw)


@dataclass(frozen=True)
class Outcome:
    """One solver's answer on one instance, in the instance's own cost units."""

    cost: float | None
    vehicles: int
    feasible: bool
    seconds: float


def run_ours(inst: Instance, time_limit: float, seed: int) -> Outcome:
    """Solve with maillon.delivery.routing.solve."""
    result: RoutingResult = solve(inst.problem, seed=seed, time_limit=time_limit)
    return Outcome(
        cost=result.total_distance / inst.scale if result.feasible else None,
        vehicles=result.num_vehicles,
        feasible=result.feasible,
        seconds=result.runtime,
    )


def run_ortools(inst: Instance, time_limit: float) -> Outcome:
    """Solve the same integer instance with OR-Tools routing (GLS)."""
    from ortools.constraint_solver import pywrapcp, routing_enums_pb2

    started = time.perf_counter()
    p = inst.problem
    nodes = [p.depot.location] + [s.location for s in p.stops]
    dist = p.distance_matrix[np.ix_(nodes, nodes)].tolist()
    dur = p.duration_matrix[np.ix_(nodes, nodes)].tolist()
    service = [0] + [s.service_time for s in p.stops]
    demand = [0] + [s.parcels for s in p.stops]
    fleet = len(p.vehicles)

    manager = pywrapcp.RoutingIndexManager(len(nodes), fleet, 0)
    model = pywrapcp.RoutingModel(manager)

    def distance_cb(i: int, j: int) -> int:
        return int(dist[manager.IndexToNode(i)][manager.IndexToNode(j)])

    def time_cb(i: int, j: int) -> int:
        a, b = manager.IndexToNode(i), manager.IndexToNode(j)
        return int(service[a] + dur[a][b])

    def demand_cb(i: int) -> int:
        return int(demand[manager.IndexToNode(i)])

    arc = model.RegisterTransitCallback(distance_cb)
    model.SetArcCostEvaluatorOfAllVehicles(arc)
    dem = model.RegisterUnaryTransitCallback(demand_cb)
    caps = [v.capacity_parcels or sum(demand) for v in p.vehicles]
    model.AddDimensionWithVehicleCapacity(dem, 0, caps, True, "load")
    if inst.has_tw:
        horizon = int(p.depot.shift_end or 10**9)
        tcb = model.RegisterTransitCallback(time_cb)
        model.AddDimension(tcb, horizon, horizon, False, "time")
        tdim = model.GetDimensionOrDie("time")
        for k, s in enumerate(p.stops, start=1):
            late = horizon if s.tw_end is None else s.tw_end
            tdim.CumulVar(manager.NodeToIndex(k)).SetRange(s.tw_start, late)
        for v in range(fleet):
            tdim.CumulVar(model.Start(v)).SetRange(p.depot.shift_start, horizon)
            tdim.CumulVar(model.End(v)).SetRange(p.depot.shift_start, horizon)

    params = pywrapcp.DefaultRoutingSearchParameters()
    strategy = routing_enums_pb2.FirstSolutionStrategy
    # Insertion builds feasible starts under tight time windows; arcs are better without.
    params.first_solution_strategy = (
        strategy.PARALLEL_CHEAPEST_INSERTION if inst.has_tw else strategy.PATH_CHEAPEST_ARC
    )
    params.local_search_metaheuristic = (
        routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    )
    left = max(1.0, time_limit - (time.perf_counter() - started))
    params.time_limit.FromMilliseconds(int(left * 1000))
    solution = model.SolveWithParameters(params)
    seconds = time.perf_counter() - started
    if solution is None:
        return Outcome(None, 0, False, seconds)
    used = sum(
        1 for v in range(fleet) if not model.IsEnd(solution.Value(model.NextVar(model.Start(v))))
    )
    return Outcome(solution.ObjectiveValue() / inst.scale, used, True, seconds)


def spread(paths: list[Path], count: int) -> list[Path]:
    """Return ``count`` paths evenly spaced over ``paths`` (first and last included)."""
    if count <= 0:
        raise ValueError("--spread must be positive")
    if count >= len(paths):
        return list(paths)
    if count == 1:
        return [paths[0]]
    picks = sorted({round(k * (len(paths) - 1) / (count - 1)) for k in range(count)})
    return [paths[i] for i in picks]


def gap(cost: float | None, bks: float | None) -> float | None:
    """Return the gap in % to the best known cost, or None if either is unknown."""
    if cost is None or bks is None or bks <= 0:
        return None
    return 100.0 * (cost - bks) / bks


def _fmt(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; return the process exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instances", type=Path, nargs="+", required=True)
    parser.add_argument("--time-limit", type=float, default=10.0, help="seconds per solve")
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"{QUICK_INSTANCES} spread instances, at most {QUICK_TIME_LIMIT:g} s each",
    )
    parser.add_argument("--limit", type=int, default=None, help="first N instances only")
    parser.add_argument(
        "--spread",
        type=int,
        default=None,
        help="N instances evenly spread over the sorted list (sizes for X, classes for G-H)",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-ortools", action="store_true")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)

    console = Console(width=160)
    paths = find_instances(args.instances)
    if not paths:
        console.print(f"[red]no instance found under {args.instances}[/red]")
        return 2
    time_limit = float(args.time_limit)
    if args.quick:
        step = max(1, len(paths) // QUICK_INSTANCES)
        paths = paths[::step][:QUICK_INSTANCES]
        time_limit = min(time_limit, QUICK_TIME_LIMIT)
    if args.spread is not None:
        paths = spread(paths, args.spread)
    if args.limit is not None:
        paths = paths[: args.limit]

    rows: list[dict[str, Any]] = []
    table = Table(title=f"VRP benchmark: maillon.delivery.routing vs OR-Tools, {time_limit:g} s")
    for col in (
        "instance",
        "n",
        "BKS",
        "ours",
        "gap %",
        "veh",
        "feas",
        "s",
        "OR-Tools",
        "gap %",
        "veh",
        "feas",
        "s",
    ):
        table.add_column(col, justify="left" if col == "instance" else "right")

    for path in paths:
        inst = load(path)
        ours = run_ours(inst, time_limit, args.seed)
        ref = None if args.no_ortools else run_ortools(inst, time_limit)
        row: dict[str, Any] = {
            "instance": inst.name,
            "clients": len(inst.problem.stops),
            "bks": inst.bks,
            "cost": ours.cost,
            "gap_pct": gap(ours.cost, inst.bks),
            "vehicles": ours.vehicles,
            "feasible": ours.feasible,
            "seconds": round(ours.seconds, 2),
            "ortools_cost": None if ref is None else ref.cost,
            "ortools_gap_pct": None if ref is None else gap(ref.cost, inst.bks),
            "ortools_vehicles": None if ref is None else ref.vehicles,
            "ortools_feasible": None if ref is None else ref.feasible,
            "ortools_seconds": None if ref is None else round(ref.seconds, 2),
        }
        rows.append(row)
        table.add_row(
            inst.name,
            str(row["clients"]),
            _fmt(inst.bks),
            _fmt(ours.cost),
            _fmt(row["gap_pct"], 2),
            str(ours.vehicles),
            "yes" if ours.feasible else "NO",
            f"{ours.seconds:.1f}",
            _fmt(None if ref is None else ref.cost),
            _fmt(row["ortools_gap_pct"], 2),
            "-" if ref is None else str(ref.vehicles),
            "-" if ref is None else ("yes" if ref.feasible else "NO"),
            "-" if ref is None else f"{ref.seconds:.1f}",
        )
        console.print(
            f"{inst.name}: ours {_fmt(ours.cost)} ({_fmt(row['gap_pct'], 2)} %), "
            f"OR-Tools {_fmt(row['ortools_cost'])} ({_fmt(row['ortools_gap_pct'], 2)} %)",
            highlight=False,
        )

    ours_gaps = [r["gap_pct"] for r in rows if r["gap_pct"] is not None]
    ref_gaps = [r["ortools_gap_pct"] for r in rows if r["ortools_gap_pct"] is not None]
    summary = {
        "instances": len(rows),
        "time_limit": time_limit,
        "seed": args.seed,
        "mean_gap_pct": round(statistics.fmean(ours_gaps), 3) if ours_gaps else None,
        "ortools_mean_gap_pct": round(statistics.fmean(ref_gaps), 3) if ref_gaps else None,
        "feasible": sum(1 for r in rows if r["feasible"]),
        "ortools_feasible": sum(1 for r in rows if r["ortools_feasible"]),
        "gap_note": "mean over feasible instances with a known best cost",
    }
    console.print(table)
    console.print(
        f"mean gap: ours {_fmt(summary['mean_gap_pct'], 2)} % "
        f"({summary['feasible']}/{len(rows)} feasible), "
        f"OR-Tools {_fmt(summary['ortools_mean_gap_pct'], 2)} % "
        f"({summary['ortools_feasible']}/{len(rows)} feasible)",
        highlight=False,
    )
    if args.json is not None:
        args.json.write_text(json.dumps({"summary": summary, "rows": rows}, indent=2))
        console.print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
