"""Multi-warehouse sourcing: ours vs "first warehouse with stock", on the demo's orders.

    python bench/sourcing.py [--data CSV] [--warehouses 2|4] [--quick] [--json OUT]

Orders come from the demo's generator (same calibration as ``maillon demo``), or from a CSV
with columns ``order_id,sku,quantity,postcode`` (French postcodes place the customer; other
rows get no position). Stock is spread over the warehouses as in the demo, then both rules
serve the same orders in time order, each depleting its own copy of the stock. Reported per
rule: parcels per order, share of split orders, estimated delivery cost per order (the same
cost model for both: parcel base + cents per km to the customer + extra-parcel penalty), and
units left short.
"""

from __future__ import annotations

import argparse
import csv
import json
import time
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

from maillon.core.geo import locate_fr
from maillon.demo.generate import generate_catalog, generate_customers, generate_orders
from maillon.inventory.model import StockCandidate
from maillon.inventory.sourcing import SourcingPolicy, WarehouseSite, plan_sourcing

SITES = {
    2: [WarehouseSite(1, 10, 48.93, 2.30), WarehouseSite(2, 20, 45.70, 4.94)],
    4: [
        WarehouseSite(1, 10, 48.93, 2.30),  # Gennevilliers
        WarehouseSite(2, 20, 45.70, 4.94),  # Saint-Priest
        WarehouseSite(3, 30, 44.84, -0.58),  # Bordeaux
        WarehouseSite(4, 40, 50.63, 3.06),  # Lille
    ],
}

Order = tuple[str, list[tuple[str, int]], float | None, float | None]


def demo_orders(seed: int, count: int) -> list[Order]:
    """The demo's orders with their customers' coordinates."""
    rng = np.random.default_rng(seed)
    catalog = generate_catalog(rng, 500)
    customers = generate_customers(rng, max(50, int(count * 0.75)))
    plan = generate_orders(
        rng,
        skus=[p.sku for p in catalog],
        customers=len(customers),
        start=datetime(2026, 10, 1, tzinfo=UTC),
        days=30,
        count=count,
    )
    out: list[Order] = []
    for i, o in enumerate(plan):
        c = customers[o.customer]
        commune = locate_fr(c.postcode, c.city)
        out.append(
            (
                f"D{i}",
                list(o.lines),
                commune.lat if commune else None,
                commune.lon if commune else None,
            )
        )
    return out


def csv_orders(path: Path) -> list[Order]:
    """Orders from a CSV with order_id, sku, quantity and (optional) postcode columns."""
    lines: dict[str, list[tuple[str, int]]] = defaultdict(list)
    where: dict[str, tuple[float | None, float | None]] = {}
    with path.open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            qty = int(float(row["quantity"]))
            if qty <= 0:
                continue
            oid = row["order_id"]
            lines[oid].append((row["sku"], qty))
            if oid not in where:
                commune = (
                    locate_fr(row.get("postcode", "").strip()) if row.get("postcode") else None
                )
                where[oid] = (commune.lat, commune.lon) if commune else (None, None)
    return [(oid, ls, *where[oid]) for oid, ls in lines.items()]


def initial_stock(orders: list[Order], n_wh: int, seed: int) -> dict[tuple[int, str], int]:
    """Each SKU's whole demand plus a margin, spread unevenly over the warehouses (the bench
    has no restocks, so a few fast movers still run short late in the month)."""
    rng = np.random.default_rng(seed + 1)
    demand: dict[str, int] = defaultdict(int)
    for _oid, lines, _la, _lo in orders:
        for sku, q in lines:
            demand[sku] += q
    stock: dict[tuple[int, str], int] = {}
    for sku, d in sorted(demand.items()):
        total = int(np.ceil(d * rng.uniform(0.95, 1.4)))
        shares = rng.dirichlet(np.ones(n_wh) * 0.8)
        for w in range(n_wh):
            stock[(w + 1, sku)] = round(total * shares[w])
    return stock


def first_with_stock(
    lines: list[tuple[str, int]], stock: dict[tuple[int, str], int], sites: list[WarehouseSite]
) -> dict[int, int]:
    """The naive rule: each line from the first warehouse (by priority) holding it."""
    used: dict[int, int] = defaultdict(int)
    for sku, qty in lines:
        need = qty
        for site in sorted(sites, key=lambda s: s.priority):
            have = stock.get((site.warehouse_id, sku), 0)
            take = min(have, need)
            if take:
                stock[(site.warehouse_id, sku)] -= take
                used[site.warehouse_id] += take
                need -= take
            if need == 0:
                break
    return dict(used)


def ours(
    lines: list[tuple[str, int]],
    stock: dict[tuple[int, str], int],
    sites: list[WarehouseSite],
    policy: SourcingPolicy,
    lat: float | None,
    lon: float | None,
) -> dict[int, int]:
    """Our plan_sourcing on the same stock."""
    candidates = [
        StockCandidate(
            i, sku, site.warehouse_id, site.priority, "A", stock.get((site.warehouse_id, sku), 0)
        )
        for i, (site, sku) in enumerate((s, sku) for s in sites for sku, _ in lines)
    ]
    seen: set[tuple[int, str]] = set()
    unique = []
    for c in candidates:
        if (c.warehouse_id, c.sku) not in seen:
            seen.add((c.warehouse_id, c.sku))
            unique.append(c)
    plan = plan_sourcing(lines, unique, sites, policy, customer_lat=lat, customer_lon=lon)
    used: dict[int, int] = defaultdict(int)
    for take in plan.takes:
        sku = lines[take.line_index][0]
        stock[(take.warehouse_id, sku)] -= take.quantity
        used[take.warehouse_id] += take.quantity
    return dict(used)


def cost(
    used: dict[int, int],
    sites: list[WarehouseSite],
    policy: SourcingPolicy,
    lat: float | None,
    lon: float | None,
) -> float:
    """The shared cost model, in cents."""
    from maillon.inventory.sourcing import distance_km

    ws = [s for s in sites if used.get(s.warehouse_id)]
    return sum(
        policy.parcel_base_cents + policy.cents_per_km * distance_km(s, lat, lon) for s in ws
    ) + policy.extra_parcel_penalty_cents * max(0, len(ws) - 1)


def run(orders: list[Order], n_wh: int, seed: int) -> list[dict[str, float | str | int]]:
    """Serve every order with both rules; return one row per rule."""
    sites = SITES[n_wh]
    policy = SourcingPolicy()
    rows: list[dict[str, float | str | int]] = []
    for name in ("first warehouse with stock", "maillon plan_sourcing"):
        stock = initial_stock(orders, n_wh, seed)
        parcels = splits = short = served_orders = 0
        total_cost = 0.0
        latencies = []
        for _oid, lines, lat, lon in orders:
            t0 = time.perf_counter()
            if name.startswith("first"):
                used = first_with_stock(lines, stock, sites)
            else:
                used = ours(lines, stock, sites, policy, lat, lon)
            latencies.append((time.perf_counter() - t0) * 1000)
            served = sum(used.values())
            short += sum(q for _s, q in lines) - served
            if served:
                served_orders += 1
                n = len(used)
                parcels += n
                splits += n > 1
                total_cost += cost(used, sites, policy, lat, lon)
        served_orders = sum(1 for _ in orders)
        rows.append(
            {
                "rule": name,
                "warehouses": n_wh,
                "orders": served_orders,
                "parcels_per_order": round(parcels / served_orders, 4),
                "split_pct": round(100 * splits / served_orders, 2),
                "cost_per_order_eur": round(total_cost / served_orders / 100, 3),
                "units_short": short,
                "p95_ms": round(float(np.percentile(latencies, 95)), 3),
            }
        )
    return rows


def main() -> None:
    """Parse arguments, run both warehouse set-ups, print and write the results."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, help="orders CSV (order_id,sku,quantity,postcode)")
    ap.add_argument("--warehouses", type=int, choices=(2, 4), nargs="*", default=[2, 4])
    ap.add_argument("--orders", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    count = 400 if args.quick else args.orders
    orders = csv_orders(args.data) if args.data else demo_orders(args.seed, count)
    console = Console(width=120)
    rows = []
    for n_wh in args.warehouses:
        rows += run(orders, n_wh, args.seed)
    table = Table(title=f"Sourcing on {len(orders)} orders (same stock, same cost model)")
    for col in (
        "rule",
        "warehouses",
        "parcels/order",
        "split %",
        "EUR/order",
        "units short",
        "p95 ms",
    ):
        table.add_column(col, justify="left" if col == "rule" else "right")
    for r in rows:
        table.add_row(
            str(r["rule"]),
            str(r["warehouses"]),
            f"{r['parcels_per_order']:.3f}",
            f"{r['split_pct']:.1f}",
            f"{r['cost_per_order_eur']:.2f}",
            str(r["units_short"]),
            f"{r['p95_ms']:.2f}",
        )
    console.print(table)
    summary: dict[str, float] = {}
    for n_wh in args.warehouses:
        naive, mine = [r for r in rows if r["warehouses"] == n_wh]
        summary[f"parcels_per_order_{n_wh}wh"] = float(mine["parcels_per_order"])
        summary[f"naive_parcels_per_order_{n_wh}wh"] = float(naive["parcels_per_order"])
        summary[f"cost_saving_pct_{n_wh}wh"] = round(
            100 * (1 - float(mine["cost_per_order_eur"]) / float(naive["cost_per_order_eur"])), 2
        )
        console.print(
            f"{n_wh} warehouses: {summary[f'cost_saving_pct_{n_wh}wh']:.1f} % cheaper, "
            f"{naive['parcels_per_order']} -> {mine['parcels_per_order']} parcels/order"
        )
    if args.json:
        args.json.write_text(json.dumps({"summary": summary, "rows": rows}, indent=1))


if __name__ == "__main__":
    main()
