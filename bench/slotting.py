"""Benchmark of maillon.warehouse.slotting on the real baskets of UCI Online Retail.

Data: ``online_retail/online_retail_2010-12_2011-12.csv.gz`` (a UK gift wholesaler,
2010-12..2011-12).  Invoices are orders and StockCodes SKUs; cancelled invoices (``C...``),
non-positive quantities and non-product codes (postage, fees, discounts, gift vouchers: codes
that are not five digits plus an optional letter suffix) are dropped.

Warehouse: ``Layout.uniform`` with ``--aisles`` aisles of 1 m bays on both sides, three levels
per bay (the middle one is the golden zone), just long enough to hold every SKU of the file
(with ~5 % spare slots); the depot is at the front of the leftmost aisle.

Protocol (out of sample): SKU velocities (order lines, units) are counted on the invoices
before ``--split`` (default 2011-09-01); the orders from that date on are routed, one picker
tour per order, with ``routing.solve`` (exact Ratliff-Rosenthal by default), for

* the reference: a random slotting (every SKU in a random slot, seeded);
* ABC class-based, turnover, COI slotting from that random start (full re-slot), and COI
  with ``max_moves`` = 10 %, 25 % and 100 % of the SKUs (a budget keeps only the blocks of
  moves with a positive expected saving, so 100 % can differ from the full re-slot);
* two variants: turnover with the ``within_aisle`` slot cost, and COI with units per period
  as space (every unit assumed of equal cube: the file has no dimensions, so plain COI falls
  back to one slot per SKU and ranks exactly as turnover).

SKUs first sold after the split have no velocity and are slotted last.  The JSON summary keys
are ``metres_per_order_random``, ``metres_per_order_slotted`` (COI, full re-slot),
``savings_pct`` (% fewer metres) and ``moves`` (SKU relocations of that re-slot).

Usage::

    python bench/slotting.py [--data PATH] [--quick] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
import time
from pathlib import Path
from typing import Any

import pandas as pd
from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from maillon.warehouse import slotting  # noqa: E402
from maillon.warehouse.layout import Layout, PickLocation, Side  # noqa: E402
from maillon.warehouse.slotting import Sku, Slot, SlottingProblem  # noqa: E402

DEFAULT_DATA = (
    ROOT.parent / "shared" / "datasets" / "online_retail" / "online_retail_2010-12_2011-12.csv.gz"
)
LEVELS = 3
PRODUCT_CODE = r"\d{5}[A-Z]{0,2}"


def load_lines(path: Path) -> pd.DataFrame:
    """Return the product order lines of the file: invoice, SKU, quantity, date."""
    frame = pd.read_csv(
        path,
        usecols=["InvoiceNo", "StockCode", "Quantity", "InvoiceDate"],
        dtype={"InvoiceNo": str, "StockCode": str},
    )
    frame["StockCode"] = frame["StockCode"].str.strip().str.upper()
    keep = (
        ~frame["InvoiceNo"].str.startswith("C")
        & frame["StockCode"].str.fullmatch(PRODUCT_CODE)
        & (frame["Quantity"] > 0)
    )
    frame = frame[keep].copy()
    frame["date"] = pd.to_datetime(frame["InvoiceDate"])
    return frame


def build_layout(n_skus: int, n_aisles: int) -> tuple[Layout, list[Slot]]:
    """Return a layout just large enough for ``n_skus`` (5 % spare) and its slots."""
    per_metre = n_aisles * 2 * LEVELS
    bays = max(1, math.ceil(n_skus * 1.05 / per_metre))
    layout = Layout.uniform(n_aisles, float(bays), 3.0)
    slots = [
        Slot(
            id=f"{aisle:02d}-{bay:03d}-{side}-{level}",
            location=PickLocation(aisle, bay + 0.5, Side(side)),
            ergonomic_class=0 if level == 1 else 1,
        )
        for aisle in range(n_aisles)
        for bay in range(bays)
        for side in range(2)
        for level in range(LEVELS)
    ]
    return layout, slots


def orders_of(frame: pd.DataFrame) -> list[tuple[str, ...]]:
    """Return each invoice's distinct SKUs, invoices in date order."""
    ordered = frame.sort_values(["date", "InvoiceNo"])
    grouped = ordered.groupby("InvoiceNo", sort=False)["StockCode"]
    return [tuple(dict.fromkeys(codes)) for _, codes in grouped]


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; return the process exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--quick", action="store_true", help="route 1,500 test orders only")
    parser.add_argument("--split", default="2011-09-01", help="first day of the test period")
    parser.add_argument("--aisles", type=int, default=16)
    parser.add_argument("--routing", default="exact", help="routing.solve method")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, default=None, help="write results here")
    args = parser.parse_args(argv)
    console = Console(width=140)
    started = time.perf_counter()

    frame = load_lines(args.data)
    split = pd.Timestamp(args.split)
    train, test = frame[frame["date"] < split], frame[frame["date"] >= split]
    codes = sorted(frame["StockCode"].unique())
    picks = train.groupby("StockCode")["InvoiceNo"].nunique().to_dict()
    units = train.groupby("StockCode")["Quantity"].sum().to_dict()
    test_orders = orders_of(test)
    if args.quick:
        step = max(1, len(test_orders) // 1500)
        test_orders = test_orders[::step][:1500]
    layout, slots = build_layout(len(codes), args.aisles)
    rng = random.Random(args.seed)
    shuffled = rng.sample(range(len(slots)), len(codes))
    start = {code: slots[k].id for code, k in zip(codes, shuffled, strict=True)}
    console.print(
        f"{len(codes)} SKUs ({sum(1 for c in codes if c in picks)} sold before {args.split}), "
        f"{frame['InvoiceNo'].nunique()} invoices; {len(test_orders)} test orders routed "
        f"({args.routing}); layout {args.aisles} aisles x {layout.aisle_length:g} m, "
        f"{len(slots)} slots",
        highlight=False,
    )

    def problem(*, travel: str = "round_trip", cube: float = 0.0) -> SlottingProblem:
        skus = tuple(
            Sku(
                id=code,
                picks=float(picks.get(code, 0)),
                units=float(units.get(code, 0)),
                unit_cube=cube,
                current=start[code],
            )
            for code in codes
        )
        return SlottingProblem(
            layout, tuple(slots), skus, travel=travel, routing_method=args.routing
        )

    base = problem()
    reference = slotting.route_metres(base, start, orders=test_orders)
    n = len(codes)
    variants: list[tuple[str, SlottingProblem, str, int | None]] = [
        ("ABC (80/15/5)", base, "abc", None),
        ("turnover", base, "turnover", None),
        ("COI", base, "coi", None),
        ("COI, max_moves 10 %", base, "coi", n // 10),
        ("COI, max_moves 25 %", base, "coi", n // 4),
        ("COI, max_moves 100 %", base, "coi", n),
        ("turnover, within_aisle cost", problem(travel="within_aisle"), "turnover", None),
        ("COI, units as space", problem(cube=1.0), "coi", None),
    ]
    rows: list[dict[str, Any]] = [
        {
            "slotting": "random (reference)",
            "method": None,
            "max_moves": None,
            "metres_per_order": reference.per_order,
            "savings_pct": 0.0,
            "relocations": 0,
            "expected_saving_per_period": 0.0,
            "seconds": 0.0,
        }
    ]
    for name, prob, method, max_moves in variants:
        tick = time.perf_counter()
        result = slotting.solve(prob, method=method, max_moves=max_moves, seed=args.seed)
        solve_seconds = time.perf_counter() - tick
        measured = slotting.route_metres(prob, result.final, orders=test_orders)
        rows.append(
            {
                "slotting": name,
                "method": method,
                "travel": prob.travel,
                "max_moves": max_moves,
                "metres_per_order": measured.per_order,
                "savings_pct": 100 * (1 - measured.metres / reference.metres),
                "relocations": result.relocations,
                "steps": len(result.moves),
                "expected_saving_per_period": result.expected_saving,
                "seconds": solve_seconds,
            }
        )
        console.print(f"{name}: solved in {solve_seconds:.2f} s", highlight=False)

    table = Table(
        title=f"Slotting on Online Retail, out of sample (velocities before {args.split}, "
        f"{len(test_orders)} later orders routed {args.routing})"
    )
    for header in ("slotting", "metres / order", "saved vs random", "SKU relocations",
                   "est. m saved / train period", "solve s"):  # fmt: skip
        table.add_column(header, justify="left" if header == "slotting" else "right")
    for row in rows:
        table.add_row(
            row["slotting"],
            f"{row['metres_per_order']:.1f}",
            f"{row['savings_pct']:.1f} %",
            str(row["relocations"]),
            f"{row['expected_saving_per_period']:,.0f}",
            f"{row['seconds']:.2f}",
        )
    console.print(table)
    coi = next(r for r in rows if r["slotting"] == "COI")
    summary = {
        "metres_per_order_random": reference.per_order,
        "metres_per_order_slotted": coi["metres_per_order"],
        "savings_pct": coi["savings_pct"],
        "moves": coi["relocations"],
        "metres_per_order_abc": rows[1]["metres_per_order"],
        "savings_pct_abc": rows[1]["savings_pct"],
        "savings_pct_by_variant": {r["slotting"]: r["savings_pct"] for r in rows},
        "skus": n,
        "test_orders": reference.orders,
        "routing": args.routing,
        "split": args.split,
        "quick": args.quick,
        "seconds": time.perf_counter() - started,
    }
    console.print(
        f"COI slotting walks {summary['savings_pct']:.1f} % fewer metres per order than random "
        f"storage ({summary['metres_per_order_slotted']:.1f} vs "
        f"{summary['metres_per_order_random']:.1f} m; literature: roughly 10-40 %), "
        f"{summary['moves']} relocations; {summary['seconds']:.0f} s",
        highlight=False,
    )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"summary": summary, "rows": rows}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
