"""Benchmark of maillon.warehouse.waves (wave selection) on the Mercado Libre SBPO 2025 sets.

Every instance file under ``--instances`` (``instance_*.txt``, in sub-folders ``a``, ``b``, ...
or directly) is read with ``waves.read_instance`` and solved twice in the same run:

* ``greedy``: our baseline (aisle-ranking prefixes and the marginal-gain aisle greedy);
* ``dinkelbach``: the full method (greedy, aisle local search, then Dinkelbach's parametric
  search with CP-SAT), with ``--time-limit`` seconds.

Every wave is re-checked by ``waves.evaluate`` (bounds, stock, at least one aisle).  The
objective is reported as a % of the best known value from ``--best`` (the challenge's
``best_objectives.csv``: ``dataset,instance,best_objective``; the dataset is the instance's
folder name).  The JSON summary key ``mean_pct_of_best`` averages the full method over the
instances run (an infeasible answer counts 0 %).

Protocol (``docs/evaluation.md``): the instances of each set are split once, by their place
in the sorted file list: odd places (1st, 3rd, ...) form the *tune* part, even places the
*report* part (:func:`part_of`).  Any setting of the wave solver is to be chosen on the tune
part only (``--part tune``) and its figure reported on the report part (``--part report``);
the summary always gives the mean % of best known per part (``mean_pct_of_best_tune``,
``mean_pct_of_best_report``) beside the greedy baseline's on the same instances.

Usage::

    python bench/wave.py --instances DIR --best CSV --time-limit S [--part tune|report|all]
        [--quick] [--json OUT]
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from maillon.warehouse import waves  # noqa: E402

DATA = ROOT.parent / "shared" / "datasets" / "warehouse" / "mercadolibre_wave_picking"
QUICK = ("a/instance_0001.txt", "a/instance_0005.txt", "a/instance_0009.txt",
         "a/instance_0014.txt", "b/instance_0002.txt", "b/instance_0007.txt")  # fmt: skip


def read_best(path: Path) -> dict[tuple[str, str], float]:
    """Return ``{(dataset, instance file name): best objective}`` from the CSV."""
    with path.open() as handle:
        return {
            (row["dataset"], row["instance"]): float(row["best_objective"])
            for row in csv.DictReader(handle)
        }


def find_instances(root: Path) -> list[tuple[str, Path]]:
    """Return ``(dataset, path)`` for every ``instance_*.txt`` under ``root``, sorted."""
    found = sorted(root.rglob("instance_*.txt"))
    return [(path.parent.name, path) for path in found]


PARTS = ("tune", "report")


def part_of(instances: list[tuple[str, Path]]) -> dict[Path, str]:
    """Return each instance's part: in every dataset, sorted by file name, odd places
    (1st, 3rd, ...) tune and even places report."""
    out: dict[Path, str] = {}
    for dataset in sorted({d for d, _ in instances}):
        paths = sorted(p for d, p in instances if d == dataset)
        for k, path in enumerate(paths):
            out[path] = PARTS[k % 2]
    return out


def part_means(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Mean % of best known (ours and greedy) and instance count per part."""
    out: dict[str, Any] = {}
    for part in PARTS:
        scored = [r for r in rows if r["part"] == part and r["pct_of_best"] is not None]
        out[f"mean_pct_of_best_{part}"] = (
            statistics.fmean(r["pct_of_best"] for r in scored) if scored else None
        )
        out[f"greedy_mean_pct_of_best_{part}"] = (
            statistics.fmean(r["greedy_pct_of_best"] for r in scored) if scored else None
        )
        out[f"instances_{part}"] = len(scored)
    return out


def run_one(
    dataset: str, path: Path, best: float | None, args: argparse.Namespace
) -> dict[str, Any]:
    """Solve one instance with the greedy and the full method; return its JSON row."""
    started = time.perf_counter()
    problem = waves.read_instance(path)
    read_s = time.perf_counter() - started
    greedy = waves.solve(problem, method="greedy", seed=args.seed, time_limit=args.time_limit)
    full = waves.solve(
        problem,
        method="dinkelbach",
        seed=args.seed,
        time_limit=args.time_limit,
        workers=args.workers,
    )
    check = waves.evaluate(problem, full.orders, full.aisles)

    def pct(value: float, feasible: bool) -> float | None:
        if best is None or best <= 0:
            return None
        return 100 * value / best if feasible else 0.0

    return {
        "dataset": dataset,
        "instance": path.name,
        "orders": len(problem.orders),
        "items": problem.n_items,
        "aisles": len(problem.aisles),
        "lb": problem.lb,
        "ub": problem.ub,
        "best_known": best,
        "objective": full.objective,
        "feasible": full.feasible and check.feasible,
        "proven_optimal": full.is_optimal,
        "pct_of_best": pct(full.objective, full.feasible and check.feasible),
        "wave_aisles": len(full.aisles),
        "wave_units": full.units,
        "iterations": full.iterations,
        "seconds": full.runtime,
        "read_seconds": read_s,
        "greedy_objective": greedy.objective,
        "greedy_feasible": greedy.feasible,
        "greedy_pct_of_best": pct(greedy.objective, greedy.feasible),
        "greedy_seconds": greedy.runtime,
    }


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; return the process exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--instances", type=Path, default=DATA / "instances")
    parser.add_argument(
        "--best", type=Path, default=DATA / "best_solutions" / "best_objectives.csv"
    )
    parser.add_argument("--time-limit", type=float, default=60.0, help="seconds per instance")
    parser.add_argument("--quick", action="store_true", help="6 instances, 10 s limit")
    parser.add_argument("--only", default=None, help="comma-separated dataset/instance filters")
    parser.add_argument("--workers", type=int, default=2, help="CP-SAT threads")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, default=None, help="write results here")
    parser.add_argument(
        "--part", choices=("all", *PARTS), default="all",
        help="tune: choose settings here; report: the figure nobody tuned on",
    )  # fmt: skip
    args = parser.parse_args(argv)
    console = Console(width=150)
    started = time.perf_counter()
    best = read_best(args.best) if args.best.exists() else {}
    instances = find_instances(args.instances)
    parts = part_of(instances)
    if args.part != "all":
        instances = [(d, p) for d, p in instances if parts[p] == args.part]
    if args.quick:
        instances = [(d, p) for d, p in instances if f"{d}/{p.name}" in QUICK]
        args.time_limit = min(args.time_limit, 10.0)
    if args.only:
        wanted = [w.strip() for w in args.only.split(",") if w.strip()]
        instances = [(d, p) for d, p in instances if any(w in f"{d}/{p.name}" for w in wanted)]
    rows: list[dict[str, Any]] = []
    for dataset, path in instances:
        row = {"part": parts[path], **run_one(dataset, path, best.get((dataset, path.name)), args)}
        rows.append(row)
        console.print(
            f"{dataset}/{path.name}: {row['objective']:.3f} "
            f"({_fmt(row['pct_of_best'])} of best), greedy {_fmt(row['greedy_pct_of_best'])}, "
            f"{row['seconds']:.1f} s",
            highlight=False,
        )

    table = Table(
        title=f"Wave selection, objective as % of the best known "
        f"({len(rows)} instances, {args.time_limit:g} s limit, {args.workers} CP-SAT threads)"
    )
    for column in ("instance", "part", "orders", "aisles", "best known", "ours", "% of best",
                   "feasible", "proven", "time s", "greedy %", "greedy s"):  # fmt: skip
        table.add_column(column, justify="left" if column == "instance" else "right")
    for row in rows:
        table.add_row(
            f"{row['dataset']}/{row['instance']}",
            row["part"],
            str(row["orders"]),
            str(row["aisles"]),
            "-" if row["best_known"] is None else f"{row['best_known']:.3f}",
            f"{row['objective']:.3f}",
            _fmt(row["pct_of_best"]),
            "yes" if row["feasible"] else "NO",
            "yes" if row["proven_optimal"] else "",
            f"{row['seconds']:.1f}",
            _fmt(row["greedy_pct_of_best"]),
            f"{row['greedy_seconds']:.2f}",
        )
    console.print(table)

    scored = [r for r in rows if r["pct_of_best"] is not None]
    mean = statistics.fmean(r["pct_of_best"] for r in scored) if scored else None
    greedy_mean = statistics.fmean(r["greedy_pct_of_best"] for r in scored) if scored else None
    summary = {
        "mean_pct_of_best": mean,
        "greedy_mean_pct_of_best": greedy_mean,
        "min_pct_of_best": min((r["pct_of_best"] for r in scored), default=None),
        **part_means(rows),
        "part": args.part,
        "instances": len(rows),
        "feasible": sum(r["feasible"] for r in rows),
        "matched_or_beat_best": sum(r["pct_of_best"] >= 100 - 1e-6 for r in scored),
        "proven_optimal": sum(r["proven_optimal"] for r in rows),
        "time_limit": args.time_limit,
        "workers": args.workers,
        "quick": args.quick,
        "seconds": time.perf_counter() - started,
    }
    console.print(
        f"mean {_fmt(mean)} of best known (greedy {_fmt(greedy_mean)}); "
        f"{summary['matched_or_beat_best']} matched or beat it; "
        f"{summary['feasible']}/{len(rows)} feasible; {summary['seconds']:.0f} s",
        highlight=False,
    )
    console.print(
        "per part (tune: settings may be chosen here; report: the figure to quote): "
        + "; ".join(
            f"{p} {_fmt(summary[f'mean_pct_of_best_{p}'])} over {summary[f'instances_{p}']} "
            f"(greedy {_fmt(summary[f'greedy_mean_pct_of_best_{p}'])})"
            for p in PARTS
        ),
        highlight=False,
    )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"summary": summary, "rows": rows}, indent=2))
    return 0


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f} %"


if __name__ == "__main__":
    raise SystemExit(main())
