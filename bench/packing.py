"""Benchmark of maillon.warehouse.packing and .cartons against public references.

1. Container loading on Bischoff & Ratcliff (1995) instances BR1-BR7 (100 each),
   in the packing-visualizer JSON format (a folder of ``set_N/K.json`` files or
   ``.tar.xz`` archives of them).  Reports mean volume utilisation and seconds
   per instance for our engine (support rule and per-box orientation rules
   kept) and for the ``py3dbp`` package (``bigger_first=True``) run on the same
   instances in the same run.  py3dbp ignores the orientation rules and lets
   boxes float; the table counts how often it does.
2. Carton choice on random orders drawn from the Olist product dimensions:
   fill of the chosen cartons against a volume lower bound (the smallest
   catalogue carton whose volume holds the order and into which each item fits).

Usage::

    python bench/packing.py [--data PATH] [--quick] [--json OUT]
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import random
import re
import statistics
import sys
import tarfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from maillon.warehouse.cartons import (  # noqa: E402
    Carton,
    ShippingTariff,
    WeightBands,
    choose_cartons,
)
from maillon.warehouse.packing import (  # noqa: E402
    Container,
    Item,
    PackingProblem,
    rotate,
    solve,
)

DEFAULT_DATA = Path("/work/shared/datasets/packing/bischoff_ratcliff")
OLIST = Path("/work/shared/datasets/olist_partial/olist_products_dataset.csv")
PY3DBP_NOTE = (
    "py3dbp (bigger_first=True) ignores orientation rules and support: "
    "its boxes may float and lie on forbidden faces (counted in the table)."
)

# ----------------------------------------------------------------------------- data


def _set_key(name: str) -> int:
    m = re.search(r"(\d+)", name)
    return int(m.group(1)) if m else -1


def iter_instances(
    data: Path, sets: list[int], per_set: int | None
) -> Iterator[tuple[str, str, Any]]:
    """Yield (set label, instance name, parsed JSON) from a folder, archive or file."""
    wanted = {f"set_{s}" for s in sets}

    def pick(names: list[str]) -> list[str]:
        by_set: dict[str, list[str]] = {}
        for n in names:
            parts = Path(n).parts
            if len(parts) < 2 or not n.endswith(".json"):
                continue
            by_set.setdefault(parts[-2], []).append(n)
        out: list[str] = []
        for set_name in sorted(by_set, key=_set_key):
            if set_name.startswith("set_") and set_name not in wanted:
                continue
            files = sorted(by_set[set_name], key=lambda n: _set_key(Path(n).stem))
            out.extend(files[:per_set] if per_set else files)
        return out

    def label(name: str) -> str:
        set_name = Path(name).parts[-2]
        return f"BR{_set_key(set_name)}" if set_name.startswith("set_") else set_name

    if data.is_file() and data.suffix == ".json":
        yield data.parent.name, data.stem, json.loads(data.read_text())
        return
    archives = [data] if data.is_file() else sorted(data.glob("*.tar*"))
    json_files = [] if data.is_file() else sorted(str(p) for p in data.rglob("*.json"))
    if json_files:
        for name in pick(json_files):
            yield label(name), Path(name).stem, json.loads(Path(name).read_text())
        return
    for archive in archives:
        with tarfile.open(archive) as tar:
            members = {m.name: m for m in tar.getmembers() if m.isfile()}
            for name in pick(list(members)):
                fh = tar.extractfile(members[name])
                assert fh is not None
                yield label(name), Path(name).stem, json.load(fh)


def to_problem(data: Any) -> PackingProblem:
    """Build a PackingProblem from one packing-visualizer JSON instance."""
    size = data["large_object"]["measurement"]
    items = []
    for k, it in enumerate(data["small_items"]):
        m = it["measurement"]
        rule = it.get("constraint", {}).get("orientation")
        allowed = (
            frozenset(name for name, ok in rule.items() if ok)
            if rule
            else frozenset({"xyz", "yxz", "xzy", "zxy", "yzx", "zyx"})
        )
        items.append(
            Item(f"t{k}", m["x"], m["y"], m["z"], quantity=it["quantity"], orientations=allowed)
        )
    return PackingProblem(items, [Container("container", size["x"], size["y"], size["z"])])


# ----------------------------------------------------------------------------- peers


def run_py3dbp(problem: PackingProblem) -> dict[str, float]:
    """Run py3dbp (bigger_first=True) and measure fill, floating and rule breaks."""
    from py3dbp import Bin, Packer
    from py3dbp import Item as PItem

    c = problem.containers[0]
    packer = Packer()
    # py3dbp axes: width = our x, height = vertical (our z), depth = our y
    packer.add_bin(Bin("c", c.length, c.height, c.width, 10**12))
    owner: dict[str, int] = {}
    k = 0
    for i, item in enumerate(problem.items):
        for _ in range(item.quantity):
            owner[f"u{k}"] = i
            packer.add_item(PItem(f"u{k}", item.length, item.height, item.width, 1))
            k += 1
    start = time.perf_counter()
    packer.pack(bigger_first=True, number_of_decimals=0)
    seconds = time.perf_counter() - start
    placed = packer.bins[0].items
    boxes = []
    broken = 0
    for pi in placed:
        w, h, d = (int(v) for v in pi.get_dimension())
        x, y, z = (int(v) for v in pi.position)
        boxes.append((x, z, y, x + w, z + d, y + h))  # to our (x, y, z) axes, z up
        item = problem.items[owner[pi.name]]
        if h not in {rotate(item.dims, o)[2] for o in item.orientations}:
            broken += 1
    floating = 0
    for a in boxes:
        if a[2] == 0:
            continue
        area = (a[3] - a[0]) * (a[4] - a[1])
        support = 0
        for b in boxes:
            if b[5] == a[2]:
                ww = min(a[3], b[3]) - max(a[0], b[0])
                dd = min(a[4], b[4]) - max(a[1], b[1])
                if ww > 0 and dd > 0:
                    support += ww * dd
        if support < area:
            floating += 1
    volume = sum((b[3] - b[0]) * (b[4] - b[1]) * (b[5] - b[2]) for b in boxes)
    n = max(1, len(boxes))
    return {
        "fill_pct": 100.0 * volume / c.volume,
        "seconds": seconds,
        "floating_pct": 100.0 * floating / n,
        "orientation_broken_pct": 100.0 * broken / n,
    }


def have_py3dbp() -> bool:
    try:
        import py3dbp  # noqa: F401
    except ImportError:
        return False
    return True


# ----------------------------------------------------------------------------- cartons

CATALOGUE = (
    Carton("XS", 160, 110, 60, max_weight=5_000, cost=0.30, wall=3, tare=40),
    Carton("S", 250, 180, 100, max_weight=10_000, cost=0.45, wall=3, tare=90),
    Carton("M", 300, 250, 150, max_weight=15_000, cost=0.70, wall=4, tare=160),
    Carton("L", 400, 300, 200, max_weight=20_000, cost=1.00, wall=4, tare=260),
    Carton("XL", 500, 400, 300, max_weight=30_000, cost=1.50, wall=5, tare=420),
    Carton("XXL", 600, 400, 400, max_weight=30_000, cost=2.00, wall=5, tare=600),
    Carton("Jumbo", 800, 600, 500, max_weight=40_000, cost=3.00, wall=6, tare=1_100),
    Carton("Max", 1050, 600, 600, max_weight=50_000, cost=4.50, wall=6, tare=1_600),
)
TARIFF = ShippingTariff(
    WeightBands(
        [
            (500, 5.0),
            (1_000, 6.0),
            (2_000, 7.5),
            (5_000, 10.0),
            (10_000, 14.0),
            (20_000, 20.0),
            (30_000, 27.0),
            (50_000, 40.0),
            (100_000, 70.0),
        ]
    ),
    divisor=5000,
)


def load_olist(path: Path) -> list[Item]:
    """Read Olist products with complete dimensions as Items (cm → mm)."""
    products: list[Item] = []
    with path.open(newline="") as fh:
        for row in csv.DictReader(fh):
            try:
                weight = int(float(row["product_weight_g"]))
                dims = [
                    round(float(row[k]) * 10)
                    for k in ("product_length_cm", "product_width_cm", "product_height_cm")
                ]
            except (ValueError, KeyError):
                continue
            if min(dims) <= 0:
                continue
            products.append(
                Item(row["product_id"][:8], dims[0], dims[1], dims[2], weight=max(0, weight))
            )
    return products


def carton_bench(orders: int, seed: int, time_limit: float) -> dict[str, float]:
    """Choose cartons for random Olist orders; compare to volume lower bounds."""
    products = load_olist(OLIST)
    rng = random.Random(seed)
    fills: list[float] = []
    bound_fills: list[float] = []
    costs: list[float] = []
    cost_bounds: list[float] = []
    at_bound = 0
    parcels = 0
    incomplete = 0
    seconds = 0.0
    for _ in range(orders):
        lines = rng.sample(products, rng.choice([1, 1, 2, 2, 3, 4]))
        items = [
            Item(
                p.name, p.length, p.width, p.height, weight=p.weight, quantity=rng.choice([1, 1, 2])
            )
            for p in lines
        ]
        volume = sum(it.volume * it.quantity for it in items)
        weight = sum(it.weight * it.quantity for it in items)
        start = time.perf_counter()
        plan = choose_cartons(items, CATALOGUE, TARIFF, seed=seed, time_limit=time_limit)
        seconds += time.perf_counter() - start
        if not plan.is_complete:
            incomplete += 1
            continue
        feasible = [
            c
            for c in CATALOGUE
            if c.volume >= volume
            and c.max_weight >= weight
            and all(
                any(
                    dx <= c.length and dy <= c.width and dz <= c.height
                    for _, (dx, dy, dz) in it.rotations()
                )
                for it in items
            )
        ]
        parcels += len(plan.parcels)
        used = sum(p.carton.volume for p in plan.parcels)
        if not feasible:
            continue  # no single-carton bound for this order
        bound = min(c.volume for c in feasible)
        fills.append(100.0 * volume / used)
        bound_fills.append(100.0 * volume / bound)
        at_bound += int(len(plan.parcels) == 1 and plan.parcels[0].carton.volume == bound)
        costs.append(plan.total_cost)
        cost_bounds.append(min(c.cost + TARIFF.cost(c, weight) for c in feasible))
    n = max(1, len(fills))
    return {
        "orders": orders,
        "orders_with_bound": len(fills),
        "incomplete_orders": incomplete,
        "parcels_per_order": parcels / max(1, orders - incomplete),
        "mean_fill_pct": statistics.fmean(fills) if fills else 0.0,
        "bound_fill_pct": statistics.fmean(bound_fills) if bound_fills else 0.0,
        "at_bound_pct": 100.0 * at_bound / n,
        "mean_cost": statistics.fmean(costs) if costs else 0.0,
        "cost_lower_bound": statistics.fmean(cost_bounds) if cost_bounds else 0.0,
        "seconds_per_order": seconds / max(1, orders),
    }


# ----------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; return the process exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--quick", action="store_true", help="first 5 instances of each set")
    parser.add_argument("--json", type=Path, default=None, help="write results here")
    parser.add_argument("--sets", default="1-7", help="BR sets, e.g. 1-7 or 1,3")
    parser.add_argument("--per-set", type=int, default=None)
    parser.add_argument("--time-limit", type=float, default=1.0, help="seconds per instance")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--orders", type=int, default=None, help="Olist orders (0: skip)")
    parser.add_argument("--no-peer", action="store_true", help="skip py3dbp")
    args = parser.parse_args(argv)

    sets: list[int] = []
    for part in args.sets.split(","):
        lo, _, hi = part.partition("-")
        sets.extend(range(int(lo), int(hi or lo) + 1))
    per_set = args.per_set or (5 if args.quick else None)
    orders = args.orders if args.orders is not None else (50 if args.quick else 300)
    peer = not args.no_peer and have_py3dbp()
    console = Console(width=132)

    rows: list[dict[str, Any]] = []
    by_set: dict[str, list[dict[str, Any]]] = {}
    bench_start = time.perf_counter()
    for label, name, data in iter_instances(args.data, sets, per_set):
        problem = to_problem(data)
        result = solve(problem, seed=args.seed, time_limit=args.time_limit)
        row: dict[str, Any] = {
            "set": label,
            "instance": name,
            "boxes": problem.num_units,
            "fill_pct": result.containers[0].fill_pct if result.containers else 0.0,
            "seconds": result.runtime,
        }
        if peer:
            p = run_py3dbp(problem)
            row.update({f"py3dbp_{k}": v for k, v in p.items()})
        rows.append(row)
        by_set.setdefault(label, []).append(row)
        console.log(
            f"{label} #{name}: ours {row['fill_pct']:.2f} %"
            + (f", py3dbp {row['py3dbp_fill_pct']:.2f} %" if peer else "")
        )

    table = Table(title=f"3D container loading ({'--quick' if args.quick else 'full'})")
    for col in ("set", "n", "ours fill %", "ours s/inst"):
        table.add_column(col, justify="right")
    if peer:
        for col in ("py3dbp fill %", "py3dbp s/inst", "py3dbp floating %", "py3dbp bad orient. %"):
            table.add_column(col, justify="right")

    def mean(rs: list[dict[str, Any]], key: str) -> float:
        return statistics.fmean(r[key] for r in rs) if rs else math.nan

    for label, rs in [*by_set.items(), ("all", rows)]:
        cells = [label, str(len(rs)), f"{mean(rs, 'fill_pct'):.2f}", f"{mean(rs, 'seconds'):.3f}"]
        if peer:
            cells += [
                f"{mean(rs, 'py3dbp_fill_pct'):.2f}",
                f"{mean(rs, 'py3dbp_seconds'):.3f}",
                f"{mean(rs, 'py3dbp_floating_pct'):.1f}",
                f"{mean(rs, 'py3dbp_orientation_broken_pct'):.1f}",
            ]
        table.add_row(*cells, end_section=label == list(by_set)[-1])
    console.print(table)
    if peer:
        console.print(PY3DBP_NOTE)

    summary: dict[str, Any] = {
        "mean_fill_pct": mean(rows, "fill_pct"),
        "py3dbp_mean_fill_pct": mean(rows, "py3dbp_fill_pct") if peer else None,
        "seconds_per_instance": mean(rows, "seconds"),
        "py3dbp_seconds_per_instance": mean(rows, "py3dbp_seconds") if peer else None,
        "py3dbp_floating_pct": mean(rows, "py3dbp_floating_pct") if peer else None,
        "py3dbp_orientation_broken_pct": (
            mean(rows, "py3dbp_orientation_broken_pct") if peer else None
        ),
        "instances": len(rows),
        "sets": sorted(by_set),
        "per_set_fill_pct": {k: mean(v, "fill_pct") for k, v in by_set.items()},
        "time_limit": args.time_limit,
        "support_ratio": 1.0,
        "quick": args.quick,
        "note": PY3DBP_NOTE,
    }

    if orders > 0 and OLIST.exists():
        cb = carton_bench(orders, args.seed, time_limit=0.2)
        summary["cartons"] = cb
        ct = Table(title=f"Carton choice on {orders} random Olist orders")
        ct.add_column("metric")
        ct.add_column("value", justify="right")
        for key, value in cb.items():
            ct.add_row(key, f"{value:.3f}" if isinstance(value, float) else str(value))
        console.print(ct)
        rows.append({"set": "olist-cartons", **cb})
    summary["bench_seconds"] = time.perf_counter() - bench_start

    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"summary": summary, "rows": rows}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
