"""Benchmark of maillon.warehouse.batching (order batching) on the OBP instance collection.

Instances (Albareda-Sambola et al. W1-W4, Henn W5A/W5B; legacy text formats, in a folder
and/or ``.tar.*`` archives) are read with the readers of ``bench/picking.py``; this file adds
the cart capacity they need:

* Albareda: the capacity is the worker capacity of the layout file (line 12) and applies to
  the weight of the items (the ``peso`` column of the order file), so it is ``max_volume``;
* Henn: the capacity is the picker capacity in the order file's name
  (``<setting>[s|l]-<orders>-<capacity>-<k>.txt``), in articles, so it is ``max_units``.

For each instance, the total walking distance (metres, in the data's units) is measured for

* single-order picking, routed exactly (Ratliff-Rosenthal) and with S-shape / largest gap;
* seed batching and Clarke-Wright savings batching, each followed by the local search, with
  exact routes; savings batching also with S-shape and largest-gap routes (batches formed and
  routed with that heuristic).

The JSON summary key ``savings_pct`` is the % fewer metres of savings batching (exact routes)
than single-order picking (exact routes), over all orders run; the target is >= 25 %.  Not
every file is run: ``--per-group`` instance files per dataset group (default 4; ``--quick``:
1 file per group, at most 60 orders), sampled evenly through each group's sorted list.

Usage::

    python bench/batching.py [--data PATH] [--quick] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from maillon.warehouse import batching  # noqa: E402
from maillon.warehouse.batching import BatchingProblem, BatchOrder  # noqa: E402
from maillon.warehouse.layout import Layout, PickLocation, Side  # noqa: E402
from picking import (  # noqa: E402
    DEFAULT_DATA,
    albareda_aisle_order,
    albareda_layout,
    group_of,
    henn_layout,
    henn_orders,
    read_texts,
)

TARGET_PCT = 25.0
ROUTINGS = ("exact", "sshape", "largest_gap")


@dataclass
class Case:
    """One batching instance read from the collection."""

    group: str
    name: str
    layout: Layout
    orders: list[BatchOrder]
    max_units: int | None
    max_volume: float | None


def albareda_case(group: str, name: str, layout_text: str, order_text: str) -> Case:
    """Return an Albareda instance with item weights and the worker capacity."""
    layout = albareda_layout(layout_text)
    remap = {a: k for k, a in enumerate(albareda_aisle_order(layout_text))}
    capacity = float(layout_text.splitlines()[11].split()[0])
    rows = [ln.split() for ln in order_text.splitlines()[3:] if ln.strip()]
    orders: list[BatchOrder] = []
    k = 0
    while k < len(rows):
        count = int(rows[k][1])
        lines = rows[k + 1 : k + 1 + count]
        k += 1 + count
        picks = tuple(
            PickLocation(
                aisle=remap[int(r[0])],
                position=min(float(r[2]), layout.aisle_length),
                side=Side(int(r[1])),
                ref=r[4] if len(r) > 4 else "",
            )
            for r in lines
        )
        weight = sum(float(r[3]) for r in lines)
        orders.append(BatchOrder(picks=picks, volume=weight, ref=str(len(orders))))
    return Case(group, name, layout, orders, None, capacity)


def load_cases(root: Path) -> list[Case]:
    """Return every instance under ``root`` with its capacity, in a stable order."""
    texts = read_texts(root)
    by_folder: dict[str, dict[str, str]] = defaultdict(dict)
    for path, text in texts.items():
        folder, _, name = path.rpartition("/")
        by_folder[folder][name] = text
    cases: list[Case] = []
    for folder in sorted(by_folder):
        files = by_folder[folder]
        group = group_of(folder + "/x")
        for name in sorted(files):
            match = re.fullmatch(r"wsrp_input_layout_(\d+_\d+)\.txt", name)
            pedido = f"wsrp_input_pedido_{match.group(1)}.txt" if match else ""
            if match and pedido in files:
                cases.append(
                    albareda_case(group, f"{folder}/{match.group(1)}", files[name], files[pedido])
                )
            match = re.fullmatch(r"sett(\d+)\.txt", name)
            if match:
                layout = henn_layout(files[name])
                cells = re.search(r"no_cells_*:\s*([\d.]+)", files[name])
                cell = layout.aisle_length / (float(cells.group(1)) if cells else 1.0)
                for other in sorted(files):
                    found = re.fullmatch(rf"{match.group(1)}[sl]-\d+-(\d+)-\d+\.txt", other)
                    if found:
                        orders = [
                            BatchOrder(picks=o, ref=str(k))
                            for k, o in enumerate(henn_orders(files[other], cell))
                            if o
                        ]
                        cases.append(
                            Case(group, f"{folder}/{other}", layout, orders, int(found[1]), None)
                        )
    return cases


def sample(cases: list[Case], per_group: int) -> list[Case]:
    """Return ``per_group`` cases per group, spread evenly over each group's list."""
    groups: dict[str, list[Case]] = defaultdict(list)
    for case in cases:
        groups[case.group].append(case)
    chosen: list[Case] = []
    for group in sorted(groups):
        members = groups[group]
        count = min(per_group, len(members))
        step = len(members) / count
        chosen += [members[int(k * step)] for k in range(count)]
    return chosen


def run_case(case: Case, args: argparse.Namespace, max_orders: int | None) -> dict[str, Any]:
    """Batch one instance every way; return its JSON row (distances in metres)."""
    orders = tuple(case.orders[:max_orders] if max_orders else case.orders)

    def problem(routing_method: str) -> BatchingProblem:
        return BatchingProblem(
            case.layout,
            orders,
            max_units=case.max_units,
            max_volume=case.max_volume,
            routing_method=routing_method,
        )

    row: dict[str, Any] = {
        "group": case.group,
        "instance": short(case.name),
        "orders": len(orders),
        "capacity": case.max_units if case.max_units is not None else case.max_volume,
        "capacity_kind": "units" if case.max_units is not None else "weight",
    }
    started = time.perf_counter()
    for routing_method in ROUTINGS:
        prob = problem(routing_method)
        single = batching.solve(prob, method="single")
        row[f"single_{routing_method}"] = single.distance
        saved = batching.solve(prob, method="savings", seed=args.seed, time_limit=args.time_limit)
        row[f"savings_{routing_method}"] = saved.distance
        row[f"savings_batches_{routing_method}"] = saved.n_batches
        if routing_method == "exact":
            seeded = batching.solve(prob, method="seed", seed=args.seed, time_limit=args.time_limit)
            row["seed_exact"] = seeded.distance
            row["seed_batches_exact"] = seeded.n_batches
            plain = batching.solve(prob, method="savings", improve=False)
            row["savings_no_search_exact"] = plain.distance
    row["seconds"] = time.perf_counter() - started
    return row


def short(name: str) -> str:
    """Return an instance name without its archive and ``legacy`` prefix."""
    return name.rpartition("legacy/")[2] or name


def pct_fewer(batched: float, single: float) -> float:
    """Return how many % fewer metres ``batched`` walks than ``single``."""
    return 100 * (1 - batched / single) if single else 0.0


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; return the process exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--quick", action="store_true", help="1 file per group, <= 60 orders")
    parser.add_argument("--per-group", type=int, default=4, help="instance files per group")
    parser.add_argument("--time-limit", type=float, default=3.0, help="local search, seconds")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, default=None, help="write results here")
    args = parser.parse_args(argv)
    console = Console(width=160)
    started = time.perf_counter()
    cases = sample(load_cases(args.data), 1 if args.quick else args.per_group)
    max_orders = 60 if args.quick else None
    rows: list[dict[str, Any]] = []
    for case in cases:
        row = run_case(case, args, max_orders)
        rows.append(row)
        console.print(
            f"{short(case.name)}: {row['orders']} orders, savings "
            f"{pct_fewer(row['savings_exact'], row['single_exact']):.1f} % fewer metres, "
            f"{row['seconds']:.1f} s",
            highlight=False,
        )

    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        groups[row["group"]].append(row)
    groups_all = {**groups, "all": rows}
    keys = [f"single_{m}" for m in ROUTINGS] + [f"savings_{m}" for m in ROUTINGS]
    keys += ["seed_exact", "savings_no_search_exact"]
    table = Table(
        title="Order batching on OBP instances: metres per order "
        f"({'--quick' if args.quick else f'{args.per_group} files per group'}, "
        f"local search {args.time_limit:g} s)"
    )
    headers = ["group", "files", "orders", "single exact", "single S-shape", "single l-gap",
               "savings exact", "savings S-shape", "savings l-gap", "seed exact",
               "savings no LS", "savings vs single", "savings vs seed"]  # fmt: skip
    for header in headers:
        table.add_column(header, justify="left" if header == "group" else "right")
    summary_rows: dict[str, dict[str, float]] = {}
    for name, members in groups_all.items():
        n_orders = sum(r["orders"] for r in members)
        totals = {k: sum(r[k] for r in members) for k in keys}
        per_order = {k: totals[k] / n_orders for k in keys}
        vs_single = pct_fewer(totals["savings_exact"], totals["single_exact"])
        vs_seed = pct_fewer(totals["savings_exact"], totals["seed_exact"])
        summary_rows[name] = {
            **{f"{k}_per_order": v for k, v in per_order.items()},
            "savings_pct": vs_single,
            "seed_pct": pct_fewer(totals["seed_exact"], totals["single_exact"]),
            "savings_vs_seed_pct": vs_seed,
            "savings_pct_sshape": pct_fewer(totals["savings_sshape"], totals["single_sshape"]),
            "savings_pct_largest_gap": pct_fewer(
                totals["savings_largest_gap"], totals["single_largest_gap"]
            ),
            "orders": n_orders,
            "files": len(members),
        }
        table.add_row(
            name,
            str(len(members)),
            str(n_orders),
            *(f"{per_order[k]:.1f}" for k in keys),
            f"{vs_single:.1f} %",
            f"{vs_seed:+.1f} %",
        )
    console.print(table)
    overall = summary_rows.get("all", {})
    summary = {
        "savings_pct": overall.get("savings_pct"),
        "seed_pct": overall.get("seed_pct"),
        "savings_vs_seed_pct": overall.get("savings_vs_seed_pct"),
        "savings_pct_sshape": overall.get("savings_pct_sshape"),
        "savings_pct_largest_gap": overall.get("savings_pct_largest_gap"),
        "target_pct": TARGET_PCT,
        "files": len(rows),
        "orders": overall.get("orders"),
        "quick": args.quick,
        "seconds": time.perf_counter() - started,
        "groups": summary_rows,
    }
    met = (summary["savings_pct"] or 0.0) >= TARGET_PCT
    console.print(
        f"savings batching walks {summary['savings_pct'] or 0:.1f} % fewer metres than "
        f"single-order picking (exact routes; target >= {TARGET_PCT:g} %: "
        f"{'met' if met else 'MISSED'}); seed batching {summary['seed_pct'] or 0:.1f} %; "
        f"{summary['seconds']:.0f} s",
        highlight=False,
    )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"summary": summary, "rows": rows}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
