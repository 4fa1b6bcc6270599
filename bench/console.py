"""Console pages on a large database: server time of each page with 100,000 orders.

Loads a synthetic, consistent history (the generator of ``bench/kpi.py``: orders, lines,
allocations, events, shipments, pick lists, stock, returns, tickets) into a fresh SQLite file
(or a PostgreSQL database with ``--pg-url``), gives one warehouse a layout, signs in as an
operator and requests every console page through the real ASGI app (in process, no network),
several times each; reports p50 and max server time per page. The first request of a page
(cold caches) is reported apart. The pages only read the KPI facts: they are built once
beforehand, as the worker's ``analytics.refresh`` job does, and that build is timed apart
(``kpi_refresh_ms``). Target: every page under 300 ms.

Usage::

    python bench/console.py [--orders N] [--quick] [--repeat R] [--pg-url URL] [--json OUT]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
from fastapi.testclient import TestClient
from rich.console import Console
from rich.table import Table
from sqlalchemy import text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from kpi import History, load  # noqa: E402
from maillon.acquisition import service as acquisition  # noqa: E402
from maillon.analytics.service import refresh_order_facts  # noqa: E402
from maillon.app import create_app, tune_for_serving  # noqa: E402
from maillon.core.db import Database  # noqa: E402
from maillon.core.migrate import upgrade  # noqa: E402
from maillon.core.users import create_user  # noqa: E402
from maillon.warehouse import service as warehouse  # noqa: E402

console = Console(width=None if sys.stdout.isatty() else 140)
TARGET_MS = 300.0
NOW = datetime.now(UTC)
YEAR_AGO = NOW - timedelta(days=365)  # the history ends now: nothing in it happens later
WEEK_AGO = (NOW - timedelta(days=7)).date().isoformat()
LAYOUT = {"aisles": 63, "aisle_length": 40, "aisle_spacing": 3, "levels": 1, "prefix": "A"}


def pages(number: str) -> list[tuple[str, str]]:
    """The console pages to time: (name, path)."""
    return [
        ("dashboard", "/dashboard"),
        ("orders", "/orders"),
        ("orders, filtered", "/orders?status=backordered"),
        ("orders, search", "/orders?q=c12345"),
        ("order detail", f"/orders/{number}"),
        ("stock", "/stock"),
        ("stock, one SKU", "/stock?sku=SKU-00042"),
        ("warehouse", "/warehouse?code=PAR1"),
        ("planning", "/planning?warehouse=PAR1"),
        ("KPIs (30 days)", "/kpi"),
        ("KPIs by carrier (1 year)", "/kpi?days=365&by=carrier"),
        ("tracking page", "/track?number=XX&postcode=75002"),
        ("picking", "/picking?warehouse=PAR1"),
        ("packing", "/packing"),
        ("packing, an order", f"/packing?order={number}"),
        ("returns queue", "/returns"),
        ("return detail", "/returns/1"),
        ("shipping", "/shipping"),
        ("shipping, exceptions", "/shipping?status=exception"),
        ("carrier scorecards (30 days)", "/shipping/scorecards?days=30"),
        (
            "rate comparison",
            "/shipping/rates?country=FR&postcode=69002&weight_g=1200&length_mm=300"
            "&width_mm=200&height_mm=100&policy=best_value",
        ),
        ("delivery", "/delivery"),
        ("care inbox", "/care"),
        ("care, breaching soon", "/care?sla=warning"),
        ("ticket", "/care/1"),
        ("fraud review queue", "/fraud"),
        ("acquisition", "/acquisition"),
        ("funnel (30 days)", "/acquisition/funnel"),
        ("funnel by device (7 days)", "/acquisition/funnel?by=device&from=" + WEEK_AGO),
    ]


@contextlib.contextmanager
def database(n: int, pg_url: str | None, seed: int) -> Iterator[Database]:
    """A migrated database holding ``n`` generated orders."""
    with tempfile.TemporaryDirectory(prefix="maillon-console-") as tmp:
        if pg_url:
            name = f"maillon_console_{os.getpid()}"
            admin = make_url(pg_url).set(drivername="postgresql", database="postgres")
            with psycopg.connect(admin.render_as_string(hide_password=False), autocommit=True) as c:
                c.execute(f'DROP DATABASE IF EXISTS "{name}"')
                c.execute(f'CREATE DATABASE "{name}"')
            url = make_url(pg_url).set(database=name)
            db = Database(url.render_as_string(hide_password=False))
            upgrade(db)
            load(
                History(n, seed, start=YEAR_AGO, now=NOW),
                sqlite_path=None,
                pg_url=url.set(drivername="postgresql").render_as_string(hide_password=False),
            )
        else:
            path = Path(tmp) / "console.db"
            db = Database(f"sqlite:///{path}")
            upgrade(db)
            db.dispose()
            load(History(n, seed, start=YEAR_AGO, now=NOW), sqlite_path=path, pg_url=None)
        try:
            yield db
        finally:
            db.dispose()
            if pg_url:
                with psycopg.connect(
                    admin.render_as_string(hide_password=False), autocommit=True
                ) as c:
                    c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, help="orders to generate (default 100,000)")
    parser.add_argument("--quick", action="store_true", help="20,000 orders, 3 repeats")
    parser.add_argument("--repeat", type=int, help="requests per page after the first (5)")
    parser.add_argument("--pg-url", help="a PostgreSQL server to create the database on")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    n = args.orders or (20_000 if args.quick else 100_000)
    repeat = args.repeat or (3 if args.quick else 5)
    rows: list[dict[str, Any]] = []
    console.print(f"loading {n:,} orders ...")
    with database(n, args.pg_url, args.seed) as db:
        with db.transaction() as s:
            # the events were bulk-loaded around the service: sum their sessions up once
            acquisition.rebuild_sessions(session=s)
            warehouse.set_layout(session=s, warehouse_code="PAR1", data=LAYOUT, actor="bench")
            create_user(session=s, username="bench", password="bench password 1", role="admin")
            # one supplier sells everything: the planning page designs a policy per SKU
            s.execute(
                text(
                    "INSERT INTO suppliers (code, name, email, lead_time_days, lead_time_sd_days,"
                    " order_cost_cents, active) VALUES ('ACME', 'Acme', '', 5, 1, 1000, :t)"
                ),
                {"t": True},
            )
            s.execute(
                text(
                    "INSERT INTO supplier_items (supplier_id, product_id, unit_price_cents, moq,"
                    " pack_size, preferred) SELECT 1, id, price_cents / 2, 0, 1, :f FROM products"
                ),
                {"f": False},
            )
        t0 = time.perf_counter()
        with db.transaction() as s:  # the worker's job: the pages only read the facts
            refresh_order_facts(session=s)
        refresh_ms = (time.perf_counter() - t0) * 1000
        app = create_app(db)
        tune_for_serving(app)  # as `maillon serve` does
        with TestClient(app) as client:
            r = client.post(
                "/login",
                data={"username": "bench", "password": "bench password 1"},
                follow_redirects=False,
            )
            assert r.status_code == 303, r.text
            for name, path in pages(f"M{n // 2:07d}"):
                times = []
                status = 0
                for _ in range(repeat + 1):
                    t0 = time.perf_counter()
                    resp = client.get(path)
                    times.append((time.perf_counter() - t0) * 1000)
                    status = resp.status_code
                warm = times[1:]
                rows.append(
                    {
                        "page": name,
                        "path": path,
                        "status": status,
                        "first_ms": round(times[0], 1),
                        "p50_ms": round(statistics.median(warm), 1),
                        "max_ms": round(max(warm), 1),
                    }
                )
    summary = {
        "orders": n,
        "database": "postgresql" if args.pg_url else "sqlite",
        "max_page_ms": max(r["max_ms"] for r in rows),
        "max_first_ms": max(r["first_ms"] for r in rows),
        "pages_over_target": sum(1 for r in rows if r["max_ms"] >= TARGET_MS),
        "kpi_refresh_ms": round(refresh_ms, 1),
    }
    report(summary, rows, args.json)


def report(summary: dict[str, Any], rows: list[dict[str, Any]], out: Path | None) -> None:
    table = Table(title=f"console pages, {summary['orders']:,} orders on {summary['database']}")
    for col in ("page", "status", "first (ms)", "p50 (ms)", "max (ms)", "< 300 ms"):
        table.add_column(col, justify="left" if col == "page" else "right")
    for r in rows:
        ok = "[green]ok[/green]" if r["max_ms"] < TARGET_MS else "[red]MISSED[/red]"
        table.add_row(
            r["page"],
            str(r["status"]),
            f"{r['first_ms']:.0f}",
            f"{r['p50_ms']:.0f}",
            f"{r['max_ms']:.0f}",
            ok,
        )
    console.print(table)
    console.print("summary: " + ", ".join(f"{k} {v}" for k, v in summary.items()))
    if out is not None:
        out.write_text(json.dumps({"summary": summary, "rows": rows}, indent=2, default=str))
        console.print(f"wrote {out}")


if __name__ == "__main__":
    main()
