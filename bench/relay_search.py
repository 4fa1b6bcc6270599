"""Benchmark of the checkout's relay search (maillon.delivery.queries.relay_points).

Data: the generated relay networks over mainland France (``maillon.delivery.relay_network``,
about 20,000 points of five networks), imported into a fresh database through the real import
(``maillon.delivery.service.relay_points.import_points``): a SQLite file, and PostgreSQL when
``--db`` or ``MAILLON_TEST_DATABASE_URL`` names a server (a throwaway database is created there
and dropped after).

Queries: ``--queries`` addresses drawn (seeded) among the mainland communes of La Poste's file,
each asking the 5 nearest points within 15 km of one of three carrier filters (any network,
Mondial Relay only, three networks), each in its own read session as a checkout request does;
p50 / p95 / p99 in ms (target: p95 < 50 ms).

Reference (same run, same database): a naive scan reading every active point of the carriers
and sorting by great-circle distance, on ``--reference-queries`` of the same queries; its
answers are compared with ours (``agreement_pct``: same points in the same order).

Usage::

    python bench/relay_search.py [--quick] [--queries N] [--db URL] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from sqlalchemy import create_engine, select, text, true

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from maillon.bootstrap import assemble  # noqa: E402
from maillon.core.db import Database  # noqa: E402
from maillon.core.migrate import upgrade  # noqa: E402
from maillon.core.settings import normalise_url  # noqa: E402
from maillon.delivery import relay_network  # noqa: E402
from maillon.delivery.queries.relay_points import nearest_points  # noqa: E402
from maillon.delivery.relay import distance_km  # noqa: E402
from maillon.delivery.service.relay_points import import_points  # noqa: E402
from maillon.delivery.tables import RelayPointRow  # noqa: E402

TARGET_P95_MS = 50.0
FILTERS: tuple[tuple[str, ...] | None, ...] = (
    None,
    ("mondial_relay",),
    ("colissimo", "chronopost", "relais_colis"),
)
console = Console()


def naive(db: Database, lat: float, lon: float, carriers: tuple[str, ...] | None) -> list[str]:
    """The reference: every active point of the carriers, sorted by distance."""
    with db.reader() as session:
        query = select(
            RelayPointRow.carrier, RelayPointRow.point_id, RelayPointRow.lat, RelayPointRow.lon
        ).where(RelayPointRow.active.is_(true()))
        if carriers is not None:
            query = query.where(RelayPointRow.carrier.in_(carriers))
        scored = []
        for carrier, pid, plat, plon in session.execute(query):
            d = round(distance_km(lat, lon, plat, plon), 3)
            if d <= 15:
                scored.append((d, carrier, pid))
    scored.sort()
    return [f"{c}:{p}" for _d, c, p in scored[:5]]


def ours(db: Database, lat: float, lon: float, carriers: tuple[str, ...] | None) -> list[str]:
    with db.reader() as session:
        near = nearest_points(session=session, lat=lat, lon=lon, carriers=carriers, limit=5)
    return [f"{n.point.network}:{n.point.id}" for n in near]


def stats(times: list[float]) -> dict[str, float]:
    ms = sorted(1e3 * t for t in times)
    if not ms:
        return {}

    def q(p: float) -> float:
        return ms[min(len(ms) - 1, round(p * (len(ms) - 1)))]

    return {"p50_ms": q(0.5), "p95_ms": q(0.95), "p99_ms": q(0.99),
            "mean_ms": statistics.fmean(ms)}  # fmt: skip


def run(db: Database, engine: str, queries: list[Any], n_ref: int) -> list[dict[str, Any]]:
    t0 = time.perf_counter()
    with db.transaction() as session:
        report = import_points(session=session, points=POINTS)
    import_s = time.perf_counter() - t0
    ours(db, *queries[0][:2], None)  # warm the statement cache
    times, answers = [], []
    for lat, lon, carriers in queries:
        t = time.perf_counter()
        answers.append(ours(db, lat, lon, carriers))
        times.append(time.perf_counter() - t)
    ref_times, agree = [], 0
    for (lat, lon, carriers), answer in zip(queries[:n_ref], answers, strict=False):
        t = time.perf_counter()
        expected = naive(db, lat, lon, carriers)
        ref_times.append(time.perf_counter() - t)
        agree += expected == answer
    return [
        {"name": f"nearest 5 within 15 km ({engine}, ours: indexed grid squares)",
         "engine": engine, "kind": "ours", "count": len(times), **stats(times),
         "import_s": import_s, "points": report.inserted},
        {"name": f"nearest 5 within 15 km ({engine}, naive scan reference)", "engine": engine,
         "kind": "reference", "count": len(ref_times), **stats(ref_times),
         "agreement_pct": 100 * agree / max(1, n_ref)},
    ]  # fmt: skip


def sqlite_db(folder: str) -> Database:
    db = Database(f"sqlite:///{folder}/relay_bench.db")
    upgrade(db)
    return db


def postgres_db(url: str) -> tuple[Database, Any, str]:
    admin = create_engine(normalise_url(url), isolation_level="AUTOCOMMIT")
    name = f"maillon_relay_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    db = Database(f"{normalise_url(url).rsplit('/', 1)[0]}/{name}")
    upgrade(db)
    return db, admin, name


POINTS: tuple[Any, ...] = ()


def main() -> int:
    global POINTS
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="200 queries, 30 reference")
    parser.add_argument("--queries", type=int, default=None)
    parser.add_argument("--reference-queries", type=int, default=None)
    parser.add_argument("--db", default=os.environ.get("MAILLON_TEST_DATABASE_URL"),
                        help="a PostgreSQL server URL (also benchmarked)")  # fmt: skip
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", type=Path, default=None, help="write results here")
    args = parser.parse_args()
    started = time.perf_counter()
    n = args.queries or (200 if args.quick else 2000)
    n_ref = min(n, args.reference_queries or (30 if args.quick else 200))
    assemble()
    POINTS = relay_network.generate()
    rng = random.Random(args.seed)
    places = [p for ps in relay_network.mainland_postcodes().values() for p in ps]
    queries = [(p.lat, p.lon, rng.choice(FILTERS)) for p in rng.choices(places, k=n)]
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as folder:
        db = sqlite_db(folder)
        rows += run(db, "sqlite", queries, n_ref)
        db.dispose()
    if args.db and not args.db.startswith("sqlite"):
        db, admin, name = postgres_db(args.db)
        try:
            rows += run(db, "postgresql", queries, n_ref)
        finally:
            db.dispose()
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
    table = Table(title=f"Relay search over {len(POINTS):,} generated points of mainland France"
                  f"{' (--quick)' if args.quick else ''}")  # fmt: skip
    for header in ("what", "n", "p50 ms", "p95 ms", "p99 ms", "mean ms", "same answer"):
        table.add_column(header, justify="left" if header == "what" else "right")
    for row in rows:
        agreement = row.get("agreement_pct")
        table.add_row(row["name"], f"{row['count']:,}",
                      *(f"{row.get(k, 0):.2f}" for k in ("p50_ms", "p95_ms", "p99_ms", "mean_ms")),
                      "-" if agreement is None else f"{agreement:.1f} %")  # fmt: skip
    console.print(table)
    mine = [r for r in rows if r["kind"] == "ours"]
    refs = [r for r in rows if r["kind"] == "reference"]
    summary = {
        "points": len(POINTS),
        "queries": n,
        "reference_queries": n_ref,
        **{f"{r['engine']}_p95_ms": r["p95_ms"] for r in mine},
        **{f"{r['engine']}_p50_ms": r["p50_ms"] for r in mine},
        **{f"{r['engine']}_reference_p95_ms": r["p95_ms"] for r in refs},
        **{f"{r['engine']}_agreement_pct": r["agreement_pct"] for r in refs},
        "target_p95_ms": TARGET_P95_MS,
        "met": all(r["p95_ms"] < TARGET_P95_MS for r in mine),
        "quick": args.quick,
        "seconds": time.perf_counter() - started,
    }
    console.print(
        "; ".join(f"{r['engine']} p95 {r['p95_ms']:.2f} ms" for r in mine)
        + f" (target < {TARGET_P95_MS:g} ms: {'met' if summary['met'] else 'MISSED'}); "
        + "; ".join(
            f"{r['engine']} naive p95 {r['p95_ms']:.1f} ms, same answer {r['agreement_pct']:.1f} %"
            for r in refs
        )
        + f"; {summary['seconds']:.0f} s",
        highlight=False,
    )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"summary": summary, "rows": rows}, indent=2))
    return 0 if summary["met"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
