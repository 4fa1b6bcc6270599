"""Orders under load and faults: throughput, latency, SQL per order and integrity.

Runs the real API server (``uvicorn --factory maillon.app:app_from_env --workers 2``, each
worker running up to ``MAILLON_REQUEST_THREADS`` requests at once, default 3) on a
fresh PostgreSQL database seeded with a limited stock (about 60 % of what the clients will
order, so stock runs out during the run), then N client threads post 3-line orders with
``?allocate=true`` and an ``Idempotency-Key`` for S seconds, retrying connection errors and
5xx answers with the same key. It reports acknowledged orders per second, p50/p95 latency,
SQL statements per order (``pg_stat_statements``); then a paced phase restocks the catalogue
and offers ``--rate`` orders per second (open loop, 150 by default) of 3-line orders, and reports
p50/p95 latency counted from each order's due time (the clock of each phase starts once
every client is connected), the latency target's setting (a closed loop
of N clients only measures queueing: latency = N / throughput). In the same run, PostgreSQL's own
``pgbench`` (TPC-B-like) as the physical reference. Then it checks integrity in the database:
nothing oversold, ledger sums equal balances, no acknowledged order lost, none duplicated.

``--kill`` SIGKILLs the server's process group (master and workers) midway, restarts it and
lets the clients retry through the outage before the same checks. Without ``--db-url`` the
bench starts its own throwaway cluster with ``scripts/pg_test_server.sh`` on port 54500 and
restarts it with ``pg_stat_statements`` preloaded. Everything talks to 127.0.0.1 only, every
loop is bounded, and every process started here is stopped in a ``finally`` block.

Usage::

    python bench/orders_load.py [--db-url URL] [--clients N] [--seconds S] [--kill]
                                [--rate R] [--quick] [--json OUT]
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import math
import os
import random
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psycopg
from rich.console import Console
from rich.table import Table
from sqlalchemy.engine import URL, make_url

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = ROOT / ".venv" / "bin"
PYTHON = str(VENV_BIN / "python") if (VENV_BIN / "python").exists() else sys.executable
PG_SCRIPT = ROOT / "scripts" / "pg_test_server.sh"
POSTCODES_CSV = ROOT / "src" / "maillon" / "data" / "laposte_hexasmal.csv"
OWN_PG_PORT = 54500

TARGET_ORDERS_PER_S = 150.0
TARGET_P95_MS = 50.0
TARGET_SQL_PER_ORDER = 20.0
PGBENCH_SQL_PER_TXN = 7  # BEGIN, UPDATE, SELECT, UPDATE, UPDATE, INSERT, END

WAREHOUSE = "LYO"
CATALOGUE = 50
WARM_SKUS = 10
LINES_PER_ORDER = 3
MEAN_UNITS_PER_LINE = 1.5  # quantity 1-2
STOCK_SHARE = 0.6  # stock seeded / units the clients are expected to order

REQUEST_TIMEOUT_S = 15.0
RETRY_BUDGET_S = 60.0  # per logical order, through an outage
MAX_ATTEMPTS = 80
HEALTH_TIMEOUT_S = 120.0

console = Console(width=None if sys.stdout.isatty() else 150)


def note(text: str) -> None:
    console.print(f"[dim]{time.strftime('%H:%M:%S')}[/dim] {text}")


# --------------------------------------------------------------------------- PostgreSQL


def as_owner(cmd: list[str]) -> list[str]:
    """Run PostgreSQL's server binaries as ``postgres`` when we are root (like the script)."""
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


def pg_bindir() -> Path | None:
    dirs = sorted(
        Path("/usr/lib/postgresql").glob("*/bin"),
        key=lambda p: [int(x) for x in re.findall(r"\d+", p.parent.name)] or [0],
    )
    return dirs[-1] if dirs else None


@dataclass
class PgServer:
    """A PostgreSQL server on 127.0.0.1: its admin URL, and whether this bench owns it."""

    url: URL
    owned: bool = False
    data_dir: Path | None = None

    def connect(self, dbname: str | None = None, **kwargs: Any) -> psycopg.Connection[Any]:
        u = self.url
        return psycopg.connect(
            host=u.host or "127.0.0.1",
            port=u.port or 5432,
            user=u.username,
            password=u.password,
            dbname=dbname or u.database or "postgres",
            autocommit=True,
            connect_timeout=10,
            **kwargs,
        )

    def db_url(self, dbname: str) -> str:
        return self.url.set(drivername="postgresql+psycopg", database=dbname).render_as_string(
            hide_password=False
        )


def own_cluster_env() -> dict[str, str]:
    port = OWN_PG_PORT
    return {**os.environ, "PG_TEST_PORT": str(port), "PG_TEST_DIR": f"/tmp/maillon-pgtest-{port}"}


def start_own_cluster() -> PgServer:
    """``scripts/pg_test_server.sh start`` on port 54500, then restart with pg_stat_statements."""
    port = OWN_PG_PORT
    env = own_cluster_env()
    data_root = Path(env["PG_TEST_DIR"])
    note(f"starting a throwaway PostgreSQL cluster on 127.0.0.1:{port}")
    done = subprocess.run(
        ["bash", str(PG_SCRIPT), "start"],
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    server = PgServer(make_url("postgresql+psycopg://postgres@127.0.0.1/postgres"), owned=True)
    server.data_dir = data_root / "data"
    if done.returncode != 0:
        raise RuntimeError(f"pg_test_server.sh start failed:\n{done.stderr[-2000:]}")
    server.url = make_url(done.stdout.strip().splitlines()[-1])
    bindir = pg_bindir()
    if bindir is None or not (bindir.parent / "lib" / "pg_stat_statements.so").exists():
        note("[yellow]pg_stat_statements is not installed; SQL/order will be n/a")
        return server
    try:
        with server.connect() as conn:
            conn.execute("ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'")
        # pg_ctl restart reuses the options of the first start (postmaster.opts)
        subprocess.run(
            as_owner(
                [
                    str(bindir / "pg_ctl"),
                    "-D",
                    str(server.data_dir),
                    "-l",
                    str(data_root / "server.log"),
                    "-w",
                    "-t",
                    "60",
                    "-m",
                    "fast",
                    "restart",
                ]
            ),
            capture_output=True,
            timeout=120,
            check=True,
        )
    except (subprocess.SubprocessError, psycopg.Error) as exc:
        note(f"[yellow]could not preload pg_stat_statements ({exc}); SQL/order will be n/a")
    return server


def stop_own_cluster() -> None:
    subprocess.run(
        ["bash", str(PG_SCRIPT), "stop"],
        env=own_cluster_env(),
        capture_output=True,
        timeout=60,
        check=False,
    )


def enable_statements(server: PgServer, dbname: str) -> bool:
    """Create pg_stat_statements in the bench database; False when the server lacks it."""
    try:
        with server.connect(dbname) as conn:
            conn.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
            conn.execute("SELECT count(*) FROM pg_stat_statements").fetchone()
        return True
    except psycopg.Error:
        return False


def reset_statements(server: PgServer, dbname: str) -> None:
    with server.connect(dbname) as conn:
        conn.execute("SELECT pg_stat_statements_reset()")


def latency_slices(acks: list[Ack], width_s: float = 5.0) -> list[dict[str, Any]]:
    """Latency per ``width_s`` slice of a phase (by acknowledgement time): a stall shows as
    one slow slice, steady queueing as every slice slow."""
    if not acks:
        return []
    t0 = min(a.acked_at for a in acks)
    groups: dict[int, list[float]] = {}
    for a in acks:
        groups.setdefault(int((a.acked_at - t0) // width_s), []).append(a.latency_ms)
    return [
        {
            "from_s": k * width_s,
            "orders": len(v),
            "p50_ms": round(percentile(v, 0.5), 1),
            "p95_ms": round(percentile(v, 0.95), 1),
            "max_ms": round(max(v), 1),
        }
        for k, v in sorted(groups.items())
    ]


def backordered_units(server: PgServer, dbname: str) -> dict[str, int]:
    """Units still missing per SKU on backordered orders (a receipt serves them first)."""
    with server.connect(dbname) as conn:
        rows = conn.execute(
            # one aggregate of the allocations, joined (a subquery per line scanned them all
            # for each line: 25 s after a full run)
            "SELECT l.sku, sum(l.quantity - coalesce(a.q, 0)) FROM order_lines l"
            " JOIN orders o ON o.id = l.order_id"
            " LEFT JOIN (SELECT order_line_id, sum(quantity) q FROM allocations GROUP BY 1) a"
            " ON a.order_line_id = l.id WHERE o.status = 'backordered' GROUP BY l.sku"
        ).fetchall()
    return {str(sku): max(0, int(units)) for sku, units in rows}


def read_statements(server: PgServer, dbname: str) -> tuple[int, int, list[tuple[int, str]]]:
    """Return (all calls, calls without BEGIN/COMMIT/ROLLBACK, the top statements)."""
    with server.connect(dbname) as conn:
        where = (
            "dbid = (SELECT oid FROM pg_database WHERE datname = %s) "
            "AND query NOT ILIKE '%%pg_stat_statements%%'"
        )
        row = conn.execute(
            "SELECT coalesce(sum(calls), 0), coalesce(sum(calls) FILTER (WHERE upper(query)"
            f" NOT IN ('BEGIN', 'COMMIT', 'ROLLBACK')), 0) FROM pg_stat_statements WHERE {where}",
            (dbname,),
        ).fetchone()
        top = conn.execute(
            f"SELECT calls, query FROM pg_stat_statements WHERE {where} "
            "ORDER BY calls DESC LIMIT 12",
            (dbname,),
        ).fetchall()
    assert row is not None
    return int(row[0]), int(row[1]), [(int(c), " ".join(str(q).split())) for c, q in top]


# --------------------------------------------------------------------------- the server


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


SHIM = '''"""Temporary stand-in for maillon.app.app_from_env (written by bench/orders_load.py)."""
from maillon.app import create_app
from maillon.bootstrap import assemble
from maillon.core.db import Database
from maillon.core.settings import load_settings


def app_from_env():
    assemble()
    return create_app(Database(load_settings().database_url))
'''


def resolve_factory(tmp: Path) -> tuple[str, str | None]:
    """Return the uvicorn factory to run and, if a shim was needed, the folder holding it."""
    probe = subprocess.run(
        [PYTHON, "-c", "import maillon.app as a; raise SystemExit(not hasattr(a, 'app_from_env'))"],
        capture_output=True,
        timeout=120,
        check=False,
    )
    if probe.returncode == 0:
        return "maillon.app:app_from_env", None
    shim_dir = tmp / "shim"
    shim_dir.mkdir(exist_ok=True)
    (shim_dir / "maillon_bench_shim.py").write_text(SHIM)
    note("[yellow]maillon.app.app_from_env is missing: using a temporary shim outside the repo")
    return "maillon_bench_shim:app_from_env", str(shim_dir)


class Server:
    """``uvicorn --factory ... --workers W`` in its own process group."""

    def __init__(
        self, db_url: str, port: int, workers: int, log: Path, factory: str, path: str | None
    ) -> None:
        self.db_url, self.port, self.workers, self.log = db_url, port, workers, log
        self.factory, self.extra_path = factory, path
        self.proc: subprocess.Popen[bytes] | None = None
        self.base = f"http://127.0.0.1:{port}"

    def start(self) -> None:
        env = {**os.environ, "MAILLON_DATABASE_URL": self.db_url}
        if self.extra_path:
            env["PYTHONPATH"] = os.pathsep.join(
                p for p in (self.extra_path, env.get("PYTHONPATH", "")) if p
            )
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [
                    PYTHON,
                    "-m",
                    "uvicorn",
                    "--factory",
                    self.factory,
                    "--workers",
                    str(self.workers),
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                    "--log-level",
                    "warning",
                    "--no-access-log",
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=str(ROOT),
                start_new_session=True,  # its own process group: master and workers
            )

    def wait_healthy(self, timeout: float = HEALTH_TIMEOUT_S) -> float:
        t0 = time.monotonic()
        while time.monotonic() - t0 < timeout:
            if self.proc is not None and self.proc.poll() is not None:
                break
            try:
                if httpx.get(f"{self.base}/api/health", timeout=2).status_code == 200:
                    return time.monotonic() - t0
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        tail = self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""
        raise RuntimeError(f"the server did not become healthy:\n{tail}")

    def _signal_group(self, sig: int) -> None:
        if self.proc is None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, sig)

    def kill(self) -> bool:
        """SIGKILL the whole process group (workers too); return whether none of it is left."""
        if self.proc is None:
            return True
        self._signal_group(signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=30)
        for _ in range(100):  # workers are reaped by init once their master is gone
            try:
                os.killpg(self.proc.pid, 0)
            except ProcessLookupError:
                return True
            time.sleep(0.05)
        return False

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self._signal_group(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=20)
        self._signal_group(signal.SIGKILL)  # stragglers of the group, if any
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=10)
        self.proc = None


# --------------------------------------------------------------------------- seeding


def maillon_command() -> list[str]:
    exe = VENV_BIN / "maillon"
    return [str(exe)] if exe.exists() else [PYTHON, "-m", "maillon.cli.main"]


def maillon_cli(*args: str, db_url: str) -> str:
    done = subprocess.run(
        [*maillon_command(), *args, "--db", db_url],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, "COLUMNS": "200"},
    )
    if done.returncode != 0:
        raise RuntimeError(f"maillon {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def french_addresses(rng: random.Random, n: int = 400) -> list[tuple[str, str]]:
    """Sample real (postcode, town) pairs from La Poste's file; Lyon if it cannot be read."""
    try:
        with POSTCODES_CSV.open(encoding="utf-8", errors="replace") as f:
            rows = [
                (r["Code_postal"].strip(), r["Nom_commune"].strip())
                for r in csv.DictReader(f, delimiter=";")
                if r.get("Code_postal") and r.get("Nom_commune")
            ]
        return rng.sample(rows, min(n, len(rows))) or [("69002", "Lyon")]
    except (OSError, KeyError, csv.Error):
        return [("69002", "Lyon")]


def post_ok(http: httpx.Client, path: str, body: dict[str, Any]) -> None:
    r = http.post(path, json=body)
    if r.status_code not in (200, 201):
        raise RuntimeError(f"POST {path} {body}: {r.status_code} {r.text[:500]}")


def seed_products(http: httpx.Client, skus: list[str], rng: random.Random) -> None:
    for sku in skus:
        post_ok(
            http,
            "/api/v1/products",
            {
                "sku": sku,
                "name": f"Article {sku}",
                "length_mm": rng.randint(80, 400),
                "width_mm": rng.randint(60, 300),
                "height_mm": rng.randint(20, 200),
                "weight_g": rng.randint(100, 3000),
                "price_cents": rng.randint(500, 9000),
            },
        )


def receive(http: httpx.Client, sku: str, quantity: int, location: str) -> None:
    if quantity > 0:
        post_ok(
            http,
            "/api/v1/inventory/receipts",
            {
                "warehouse": WAREHOUSE,
                "location": location,
                "sku": sku,
                "quantity": quantity,
                "reference": "bench",
            },
        )


# --------------------------------------------------------------------------- clients


@dataclass
class Ack:
    key: str
    number: str
    status: str
    latency_ms: float
    acked_at: float
    attempts: int
    phase: str
    body: dict[str, Any] = field(repr=False, default_factory=dict)


@dataclass
class ClientStats:
    acks: list[Ack] = field(default_factory=list)
    keys_sent: list[str] = field(default_factory=list)
    attempts: int = 0
    retries: int = 0
    transport_errors: int = 0
    server_errors: int = 0
    replays: int = 0
    gave_up: int = 0
    rejected: Counter[int] = field(default_factory=Counter)
    samples: list[str] = field(default_factory=list)

    def merge(self, other: ClientStats) -> None:
        self.acks += other.acks
        self.keys_sent += other.keys_sent
        self.attempts += other.attempts
        self.retries += other.retries
        self.transport_errors += other.transport_errors
        self.server_errors += other.server_errors
        self.replays += other.replays
        self.gave_up += other.gave_up
        self.rejected.update(other.rejected)
        self.samples += other.samples[: max(0, 5 - len(self.samples))]


@dataclass(frozen=True)
class Workload:
    base: str
    api_key: str
    skus: list[str]
    weights: list[float]
    addresses: list[tuple[str, str]]
    inline: bool  # ?allocate=true, else a second call to /allocate
    run_id: str
    phase: str


def pick_skus(rng: random.Random, skus: list[str], weights: list[float]) -> list[str]:
    chosen: list[str] = []
    for _ in range(50):
        if len(chosen) == min(LINES_PER_ORDER, len(skus)):
            break
        sku = rng.choices(skus, weights)[0]
        if sku not in chosen:
            chosen.append(sku)
    return chosen


def order_body(rng: random.Random, w: Workload, client: int, seq: int) -> dict[str, Any]:
    postcode, town = rng.choice(w.addresses)
    who = seq % 25  # returning customers, each client thread its own (no cross-thread race)
    name = f"Client {client}-{who}"
    return {
        "customer": {
            "email": f"bench.c{client}.{who}@example.fr",
            "name": name,
            "phone": "+33612345678",
        },
        "shipping_address": {
            "name": name,
            "line1": f"{1 + seq % 120} rue de la République",
            "postcode": postcode,
            "city": town,
            "country": "FR",
        },
        "lines": [
            {"sku": sku, "quantity": rng.randint(1, 2)} for sku in pick_skus(rng, w.skus, w.weights)
        ],
    }


def _backoff(rng: random.Random, attempt: int) -> float:
    return min(1.0, 0.05 * 2.0 ** min(attempt, 6)) * (0.5 + rng.random())


def send(
    http: httpx.Client,
    path: str,
    body: dict[str, Any],
    headers: dict[str, str],
    stats: ClientStats,
    rng: random.Random,
    hard_stop: threading.Event,
) -> tuple[httpx.Response | None, float, int]:
    """POST with bounded retries on connection errors and 5xx; return (answer, ms, attempts)."""
    started = time.monotonic()
    for attempt in range(1, MAX_ATTEMPTS + 1):
        stats.attempts += 1
        t0 = time.perf_counter()
        try:
            r = http.post(path, json=body, headers=headers)
        except httpx.TransportError:
            stats.transport_errors += 1
        else:
            ms = (time.perf_counter() - t0) * 1000
            if r.status_code < 500 and r.status_code != 429:
                return r, ms, attempt
            stats.server_errors += 1
            if len(stats.samples) < 5:
                stats.samples.append(f"{r.status_code} {r.text[:200]}")
        if hard_stop.is_set() or time.monotonic() - started > RETRY_BUDGET_S:
            break
        stats.retries += 1
        time.sleep(_backoff(rng, attempt))
    stats.gave_up += 1
    return None, 0.0, MAX_ATTEMPTS


def client_loop(
    cid: int,
    w: Workload,
    timing: dict[str, float],
    ready: threading.Barrier,
    hard_stop: threading.Event,
    stats: ClientStats,
    seed: int,
    period: float | None = None,
) -> None:
    """Post orders until ``timing["stop_at"]``: back to back, or with ``period`` the k-th
    order of client ``cid`` is due at ``start + 0.05 + cid * period / clients + k * period``
    and its latency counts from that due time (so a server that falls behind shows it: no
    coordinated omission). The clock starts once every client has its connection open."""
    rng = random.Random(seed)
    path = "/api/v1/orders?allocate=true" if w.inline else "/api/v1/orders"
    auth = {"Authorization": f"Bearer {w.api_key}"}
    with httpx.Client(base_url=w.base, headers=auth, timeout=REQUEST_TIMEOUT_S) as http:
        # Creating 16 clients (an SSL context each) and their connections costs the bench
        # process ~0.3 s of CPU: done before the clock starts, it no longer delays the first
        # orders due (it showed as a p95 of 130-500 ms in the paced phase's first 5 s).
        with contextlib.suppress(httpx.HTTPError):
            http.get("/api/health")
        try:
            ready.wait(timeout=120)
        except threading.BrokenBarrierError:
            return
        stop_at = timing["stop_at"]
        pace = None
        if period is not None:
            pace = (timing["start"] + 0.05 + cid * period / ready.parties, period)
        seq = 0
        while time.monotonic() < stop_at and not hard_stop.is_set():
            due = None
            if pace is not None:
                due = pace[0] + seq * pace[1]
                if due >= stop_at:
                    break
                time.sleep(max(0.0, due - time.monotonic()))
            seq += 1
            key = f"{w.run_id}-{w.phase}-{cid}-{seq}"
            stats.keys_sent.append(key)
            body = order_body(rng, w, cid, seq)
            r, ms, attempts = send(
                http, path, body, {"Idempotency-Key": key}, stats, rng, hard_stop
            )
            if r is None:
                continue
            if r.status_code not in (200, 201):
                stats.rejected[r.status_code] += 1
                if len(stats.samples) < 5:
                    stats.samples.append(f"{r.status_code} {r.text[:200]}")
                continue
            if r.status_code == 200:
                stats.replays += 1
            if due is not None:
                ms = (time.monotonic() - due) * 1000
            data = r.json()
            number, status = str(data["number"]), str(data["status"])
            if not w.inline:
                ra, ms2, _ = send(
                    http, f"/api/v1/orders/{number}/allocate", {}, {}, stats, rng, hard_stop
                )
                ms += ms2
                if ra is not None and ra.status_code == 200:
                    status = str(ra.json().get("status", status))
                elif ra is not None:
                    status = f"allocate:{ra.status_code}"
            stats.acks.append(
                Ack(key, number, status, ms, time.monotonic(), attempts, w.phase, body)
            )


def run_clients(
    w: Workload,
    clients: int,
    seconds: float,
    seed: int,
    during: Any = None,
    rate: float | None = None,
) -> tuple[ClientStats, float, float]:
    """Run the clients for ``seconds``; return merged stats, the start and the stop time.

    With ``rate``, orders are offered at that many per second in all, evenly spread over the
    clients (open loop); otherwise each client posts its next order when the last is answered.
    """
    hard_stop = threading.Event()
    per_client = [ClientStats() for _ in range(clients)]
    timing: dict[str, float] = {}
    started = threading.Event()

    def go() -> None:  # every client is connected: the clock starts now
        timing["start"] = time.monotonic()
        timing["stop_at"] = timing["start"] + seconds
        started.set()

    ready = threading.Barrier(clients, action=go)
    period = None if rate is None else clients / rate
    threads = [
        threading.Thread(
            target=client_loop,
            args=(i, w, timing, ready, hard_stop, per_client[i], seed * 1000 + i, period),
            daemon=True,
            name=f"client-{i}",
        )
        for i in range(clients)
    ]
    for t in threads:
        t.start()
    if not started.wait(timeout=150):
        ready.abort()
        raise RuntimeError("the clients could not connect to the server")
    start, stop_at = timing["start"], timing["stop_at"]
    try:
        if during is not None:
            during(start, stop_at)
        limit = stop_at + RETRY_BUDGET_S + 2 * REQUEST_TIMEOUT_S + 10
        for t in threads:
            t.join(timeout=max(0.1, limit - time.monotonic()))
    finally:
        hard_stop.set()
        for t in threads:
            t.join(timeout=REQUEST_TIMEOUT_S + 5)
    merged = ClientStats()
    for s in per_client:
        merged.merge(s)
    return merged, start, stop_at


def replay_probe(w: Workload, acks: list[Ack], rng: random.Random, n: int = 60) -> dict[str, int]:
    """Send acknowledged orders again with their key, as a client whose answer was lost would.

    Each must answer 200 with the same order number; a 201 would be a duplicate.
    """
    path = "/api/v1/orders?allocate=true" if w.inline else "/api/v1/orders"
    sample = rng.sample(acks, min(n, len(acks)))
    same = created = other = 0
    auth = {"Authorization": f"Bearer {w.api_key}"}
    with httpx.Client(base_url=w.base, headers=auth, timeout=REQUEST_TIMEOUT_S) as http:
        for a in sample:
            r = http.post(path, json=a.body, headers={"Idempotency-Key": a.key})
            if r.status_code == 200 and str(r.json().get("number")) == a.number:
                same += 1
            elif r.status_code == 201:
                created += 1
            else:
                other += 1
    return {"sent": len(sample), "same_order": same, "created_again": created, "other": other}


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, max(0, math.ceil(q * len(s)) - 1))]


# --------------------------------------------------------------------------- integrity


def check_integrity(
    server: PgServer, dbname: str, db_url: str, stats: ClientStats
) -> dict[str, Any]:
    with server.connect(dbname) as conn:

        def one(sql: str) -> int:
            row = conn.execute(sql).fetchone()
            return int(row[0] or 0) if row else 0

        bad_records = one(
            "SELECT count(*) FROM stock_levels "
            "WHERE reserved > on_hand OR on_hand < 0 OR reserved < 0"
        )
        beyond_received = one(
            "WITH rec AS (SELECT product_id, sum(delta_on_hand) AS units FROM stock_movements "
            "  WHERE kind = 'receipt' GROUP BY product_id), "
            "al AS (SELECT ol.product_id, sum(a.quantity) AS units FROM allocations a "
            "  JOIN order_lines ol ON ol.id = a.order_line_id "
            "  WHERE a.status IN ('reserved', 'shipped') GROUP BY ol.product_id) "
            "SELECT coalesce(sum(greatest(al.units - coalesce(rec.units, 0), 0)), 0) "
            "FROM al LEFT JOIN rec USING (product_id)"
        )
        lines_over = one(
            "SELECT count(*) FROM order_lines ol JOIN (SELECT order_line_id, sum(quantity) q "
            "  FROM allocations WHERE status IN ('reserved', 'shipped') GROUP BY 1) a "
            "ON a.order_line_id = ol.id WHERE a.q > ol.quantity"
        )
        reserved_mismatch = one(
            "SELECT count(*) FROM stock_levels s LEFT JOIN (SELECT stock_level_id, "
            "  sum(quantity) q FROM allocations WHERE status = 'reserved' GROUP BY 1) a "
            "ON a.stock_level_id = s.id WHERE s.reserved <> coalesce(a.q, 0)"
        )
        ledger_sql = one(
            "SELECT count(*) FROM stock_levels s LEFT JOIN (SELECT stock_level_id, "
            "  sum(delta_on_hand) oh, sum(delta_reserved) rs FROM stock_movements GROUP BY 1) m "
            "ON m.stock_level_id = s.id "
            "WHERE s.on_hand <> coalesce(m.oh, 0) OR s.reserved <> coalesce(m.rs, 0)"
        )
        allocated_short = one(
            "SELECT count(DISTINCT o.id) FROM orders o JOIN order_lines ol ON ol.order_id = o.id"
            " LEFT JOIN (SELECT order_line_id, sum(quantity) q FROM allocations"
            "   WHERE status IN ('reserved', 'shipped') GROUP BY 1) a ON a.order_line_id = ol.id"
            " WHERE o.status = 'allocated' AND ol.quantity > coalesce(a.q, 0)"
        )
        by_key: dict[str, tuple[int, int]] = {
            str(k): (int(n), int(i))
            for k, n, i in conn.execute(
                "SELECT external_id, count(*), min(id) FROM orders "
                "WHERE channel = 'api' AND external_id LIKE 'idem:%' GROUP BY external_id"
            ).fetchall()
        }
        unkeyed = one("SELECT count(*) FROM orders WHERE channel = 'api' AND external_id IS NULL")
        statuses = dict(
            conn.execute("SELECT status, count(*) FROM orders GROUP BY status").fetchall()
        )
        load_available = (
            "SELECT p.id, sum(s.on_hand - s.reserved) AS free FROM stock_levels s "
            "JOIN products p ON p.id = s.product_id WHERE p.sku LIKE 'LOAD-%' GROUP BY p.id"
        )
        available = one(f"SELECT coalesce(sum(free), 0) FROM ({load_available}) x")
        sold_out = one(f"SELECT count(*) FROM ({load_available}) x WHERE free = 0")
        received = one("SELECT coalesce(sum(delta_on_hand), 0) FROM stock_movements")

    check = subprocess.run(
        [*maillon_command(), "stock", "check", "--db", db_url],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    sent = set(stats.keys_sent)
    acked: dict[str, str] = {}
    ack_conflicts = 0
    for a in stats.acks:
        if a.key in acked and acked[a.key] != a.number:
            ack_conflicts += 1
        acked.setdefault(a.key, a.number)
    lost = 0
    for key, number in acked.items():
        row = by_key.get(f"idem:{key}")
        if row is None or f"M{row[1]:07d}" != number.upper():
            lost += 1
    dup_rows = sum(n - 1 for n, _ in by_key.values() if n > 1)
    in_db = sum(n for n, _ in by_key.values())
    unknown = sum(1 for k in by_key if k.removeprefix("idem:") not in sent)
    return {
        "oversold": bad_records + beyond_received,
        "oversold_records": bad_records,
        "units_beyond_received": beyond_received,
        "lines_over_allocated": lines_over,
        "reserved_vs_allocations_mismatch": reserved_mismatch,
        "allocated_but_short": allocated_short,
        "ledger_mismatches_sql": ledger_sql,
        "stock_check_exit": check.returncode,
        "stock_check_output": (check.stdout.strip().splitlines() or [""])[-1][:200],
        "lost": lost,
        "duplicated": dup_rows + ack_conflicts,
        "orders_in_db": in_db,
        "distinct_keys_sent": len(sent),
        "acknowledged": len(acked),
        "unacknowledged_in_db": in_db - len([k for k in acked if f"idem:{k}" in by_key]),
        "unknown_keys_in_db": unknown,
        "unkeyed_api_orders": unkeyed,
        "statuses": {str(k): int(v) for k, v in statuses.items()},
        "units_received": received,
        "load_units_available_at_end": available,
        "load_skus_sold_out": sold_out,
    }


# --------------------------------------------------------------------------- pgbench


def run_pgbench(server: PgServer, scale: int, seconds: int) -> tuple[float | None, str]:
    exe = shutil.which("pgbench") or str((pg_bindir() or Path("/nonexistent")) / "pgbench")
    if not Path(exe).exists():
        return None, "pgbench not found"
    dbname = f"maillon_pgbench_{os.getpid()}"
    u = server.url
    env = {**os.environ}
    if u.password:
        env["PGPASSWORD"] = u.password
    conn_args = ["-h", u.host or "127.0.0.1", "-p", str(u.port or 5432)]
    if u.username:
        conn_args += ["-U", u.username]
    with server.connect() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{dbname}"')
        conn.execute(f'CREATE DATABASE "{dbname}"')
    try:
        note(f"pgbench -i -s {scale}")
        subprocess.run(
            [exe, "-i", "-q", "-s", str(scale), *conn_args, dbname],
            env=env,
            capture_output=True,
            timeout=600,
            check=True,
        )
        note(f"pgbench -c 16 -j 2 -T {seconds}")
        done = subprocess.run(
            [exe, "-c", "16", "-j", "2", "-T", str(seconds), *conn_args, dbname],
            env=env,
            capture_output=True,
            text=True,
            timeout=seconds + 300,
            check=True,
        )
        m = re.search(r"tps = ([0-9.]+)", done.stdout)
        return (float(m.group(1)) if m else None), done.stdout.strip().splitlines()[-1]
    except subprocess.SubprocessError as exc:
        return None, f"pgbench failed: {exc}"
    finally:
        with server.connect() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')


# --------------------------------------------------------------------------- the run


@contextlib.contextmanager
def postgres(db_url: str | None) -> Iterator[PgServer]:
    if db_url is None:
        try:
            yield start_own_cluster()
        finally:
            note("stopping the throwaway cluster")
            stop_own_cluster()
        return
    url = make_url(db_url)
    if url.host not in (None, "", "127.0.0.1", "localhost", "::1"):
        raise SystemExit("this bench only talks to 127.0.0.1: use a local --db-url")
    yield PgServer(url)


def fmt(value: Any, digits: int = 1) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return "n/a" if math.isnan(value) else f"{value:,.{digits}f}"
    return str(value)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db-url", help="PostgreSQL server on 127.0.0.1 (default: start one)")
    parser.add_argument("--clients", type=int, help="concurrent clients (default 16, quick 8)")
    parser.add_argument("--seconds", type=float, help="load duration (default 60, quick 20)")
    parser.add_argument("--kill", action="store_true", help="SIGKILL the server midway")
    parser.add_argument("--quick", action="store_true", help="about 2 minutes in all")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--workers", type=int, default=2, help="uvicorn workers")
    parser.add_argument("--pgbench-seconds", type=int, help="default 30, quick 10")
    parser.add_argument("--pgbench-scale", type=int, default=10)
    parser.add_argument(
        "--allocate-mode",
        choices=("auto", "inline", "separate"),
        default="auto",
        help="inline: ?allocate=true; separate: POST .../allocate after the order",
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--rate",
        type=float,
        default=TARGET_ORDERS_PER_S,
        help="paced phase: orders offered per second, open loop, on ample stock (0: skip)",
    )
    parser.add_argument("--paced-seconds", type=float, help="default 30, quick 10")
    args = parser.parse_args()
    clients = max(1, args.clients or (8 if args.quick else 16))
    seconds = max(2.0, args.seconds or (20.0 if args.quick else 60.0))
    pgbench_seconds = args.pgbench_seconds or (10 if args.quick else 30)
    warm_seconds = 4.0 if args.quick else 8.0
    paced_seconds = args.paced_seconds or (10.0 if args.quick else 30.0)
    rng = random.Random(args.seed)
    run_id = secrets.token_hex(4)

    summary: dict[str, Any] = {}
    tmp = Path(tempfile.mkdtemp(prefix="maillon-load-"))
    app: Server | None = None
    dbname = f"maillon_load_{os.getpid()}_{run_id}"
    created_db = False
    try:
        with postgres(args.db_url) as pg:
            try:
                with pg.connect() as conn:
                    conn.execute(f'CREATE DATABASE "{dbname}"')
                created_db = True
                db_url = pg.db_url(dbname)
                has_statements = enable_statements(pg, dbname)
                note(f"database {dbname}; pg_stat_statements: {has_statements}")
                note("maillon db upgrade, warehouse and operator key (CLI)")
                maillon_cli("db", "upgrade", db_url=db_url)
                maillon_cli(
                    "stock",
                    "add-warehouse",
                    WAREHOUSE,
                    "Entrepôt Lyon Gerland",
                    "--postcode",
                    "69007",
                    "--city",
                    "Lyon",
                    db_url=db_url,
                )
                key_out = maillon_cli(
                    "keys", "create", "--role", "operator", "--name", "bench", db_url=db_url
                )
                api_key = key_out.strip().splitlines()[-1].strip()

                factory, shim_path = resolve_factory(tmp)
                app = Server(
                    db_url, free_port(), args.workers, tmp / "server.log", factory, shim_path
                )
                app.start()
                note(f"server {factory} x{args.workers} on {app.base}")
                app.wait_healthy()

                skus = [f"LOAD-{i:03d}" for i in range(CATALOGUE)]
                warm = [f"WARM-{i:02d}" for i in range(WARM_SKUS)]
                with httpx.Client(
                    base_url=app.base, headers={"Authorization": f"Bearer {api_key}"}, timeout=30
                ) as http:
                    seed_products(http, skus + warm, rng)
                    for sku in warm:
                        receive(http, sku, 100_000, "W-01")
                    spec = http.get("/openapi.json").json()
                params = spec["paths"]["/api/v1/orders"]["post"].get("parameters", [])
                supports_inline = any(p.get("name") == "allocate" for p in params)
                inline = (
                    supports_inline
                    if args.allocate_mode == "auto"
                    else args.allocate_mode == "inline"
                )
                mode = "allocate=true (one request)" if inline else "POST then /allocate"
                note(f"allocation: {mode} (server supports allocate=true: {supports_inline})")
                addresses = french_addresses(rng)
                weights = [1 / (i + 1) ** 0.7 for i in range(CATALOGUE)]

                # warm-up on its own SKUs (ample stock) also calibrates the stock to seed
                w_warm = Workload(
                    app.base, api_key, warm, [1.0] * WARM_SKUS, addresses, inline, run_id, "warm"
                )
                note(f"warm-up {warm_seconds:.0f} s with {clients} clients")
                warm_stats, warm_start, warm_stop = run_clients(
                    w_warm, clients, warm_seconds, args.seed
                )
                half = warm_start + warm_seconds / 2  # the second half: a warmed-up server
                warm_rate = sum(1 for a in warm_stats.acks if half <= a.acked_at <= warm_stop) / (
                    warm_seconds / 2
                )
                expected_units = (warm_rate * seconds * LINES_PER_ORDER * MEAN_UNITS_PER_LINE) * (
                    0.8 if args.kill else 1.0
                )
                total_stock = max(CATALOGUE, round(STOCK_SHARE * expected_units))
                share = sum(weights)
                seeded = 0
                with httpx.Client(
                    base_url=app.base, headers={"Authorization": f"Bearer {api_key}"}, timeout=30
                ) as http:
                    for sku, wgt in zip(skus, weights, strict=True):
                        units = max(1, round(total_stock * wgt / share * rng.uniform(0.6, 1.4)))
                        receive(http, sku, units // 2, "A-01")
                        receive(http, sku, units - units // 2, "B-01")
                        seeded += units
                note(
                    f"warm-up {warm_rate:.1f} orders/s; seeded {seeded} units for about "
                    f"{expected_units:.0f} ordered ({STOCK_SHARE:.0%})"
                )

                outage: dict[str, float] = {}

                def killer(start: float, stop_at: float) -> None:
                    assert app is not None
                    time.sleep(max(0.0, start + (stop_at - start) / 2 - time.monotonic()))
                    note("[red]SIGKILL the server process group[/red]")
                    t0 = time.monotonic()
                    outage["group_gone"] = float(app.kill())
                    app.start()
                    app.wait_healthy()
                    outage["seconds"] = time.monotonic() - t0
                    gone = bool(outage["group_gone"])
                    note(f"process group gone: {gone}; server back after {outage['seconds']:.1f} s")

                if has_statements:
                    reset_statements(pg, dbname)
                w_main = Workload(
                    app.base, api_key, skus, weights, addresses, inline, run_id, "main"
                )
                note(f"load {seconds:.0f} s with {clients} clients{' + kill' if args.kill else ''}")
                stats, _, stop_at = run_clients(
                    w_main, clients, seconds, args.seed + 1, killer if args.kill else None
                )
                calls = read_statements(pg, dbname) if has_statements else None
                paced: ClientStats | None = None
                if args.rate > 0:
                    # the latency target: a steady offered load of 3-line orders on the main
                    # catalogue (same popularity skew), restocked so that every order
                    # allocates (the receipts serve the waiting backorders first: they are
                    # added); latency counted from each order's due time
                    need = args.rate * paced_seconds * LINES_PER_ORDER * MEAN_UNITS_PER_LINE
                    waiting = backordered_units(pg, dbname)
                    with httpx.Client(
                        base_url=app.base,
                        headers={"Authorization": f"Bearer {api_key}"},
                        timeout=30,
                    ) as http:
                        for sku, wgt in zip(skus, weights, strict=True):
                            extra = waiting.get(sku, 0)
                            receive(
                                http, sku, max(10, round(3 * need * wgt / share)) + extra, "A-01"
                            )
                    w_paced = Workload(
                        app.base, api_key, skus, weights, addresses, inline, run_id, "paced"
                    )
                    note(f"paced {paced_seconds:.0f} s at {args.rate:.0f} orders/s offered")
                    paced, _, _ = run_clients(
                        w_paced, clients, paced_seconds, args.seed + 2, rate=args.rate
                    )

                in_window = [a for a in stats.acks if a.acked_at <= stop_at]
                rate = len(in_window) / seconds
                lat = [a.latency_ms for a in stats.acks]
                n_orders = len(stats.acks)
                sql_per_order = calls[0] / n_orders if calls and n_orders else None
                sql_no_tx = calls[1] / n_orders if calls and n_orders else None
                main_status = Counter(a.status for a in stats.acks)

                probe = replay_probe(w_main, stats.acks, rng)
                note(f"replay probe: {probe}")
                note("integrity checks")
                all_stats = ClientStats()
                all_stats.merge(warm_stats)
                all_stats.merge(stats)
                if paced is not None:
                    all_stats.merge(paced)
                integrity = check_integrity(pg, dbname, db_url, all_stats)
                app.stop()
                app = None
                tps, pgbench_line = run_pgbench(pg, args.pgbench_scale, pgbench_seconds)

                paced_lat = [a.latency_ms for a in paced.acks] if paced else []
                head_lat = paced_lat or lat
                summary = {
                    "orders_per_s": round(rate, 2),
                    "p50_ms": round(percentile(head_lat, 0.50), 2) if head_lat else None,
                    "p95_ms": round(percentile(head_lat, 0.95), 2) if head_lat else None,
                    "latency_measured_at": (
                        f"paced {args.rate:g} orders/s offered" if paced_lat else "saturation"
                    ),
                    "saturated_p50_ms": round(percentile(lat, 0.50), 2) if lat else None,
                    "saturated_p95_ms": round(percentile(lat, 0.95), 2) if lat else None,
                    "paced_offered_per_s": args.rate if paced else None,
                    "paced_achieved_per_s": (
                        round(len(paced.acks) / paced_seconds, 2) if paced else None
                    ),
                    "paced_statuses": dict(Counter(a.status for a in paced.acks)) if paced else {},
                    "paced_gave_up": paced.gave_up if paced else None,
                    "paced_slices": latency_slices(paced.acks) if paced else [],
                    "sql_per_order": round(sql_per_order, 2) if sql_per_order else "n/a",
                    "pgbench_tps": round(tps, 1) if tps else None,
                    "oversold": integrity["oversold"],
                    "lost": integrity["lost"],
                    "duplicated": integrity["duplicated"] + probe["created_again"],
                    "ratio_to_pgbench": round(rate / tps, 4) if tps else None,
                    "sql_per_order_without_begin_commit": (
                        round(sql_no_tx, 2) if sql_no_tx else "n/a"
                    ),
                    "sql_top": (
                        [
                            {"calls_per_order": round(c / n_orders, 2), "query": q[:160]}
                            for c, q in calls[2]
                        ]
                        if calls and n_orders
                        else []
                    ),
                    "allocation_mode": mode,
                    "server_factory": factory,
                    "clients": clients,
                    "seconds": seconds,
                    "workers": args.workers,
                    "kill": args.kill,
                    "outage_s": round(outage["seconds"], 2) if "seconds" in outage else None,
                    "killed_group_gone": bool(outage["group_gone"]) if outage else None,
                    "warmup_orders_per_s": round(warm_rate, 2),
                    "units_seeded_main": seeded,
                    "orders_acknowledged_main": n_orders,
                    "orders_acknowledged_in_window": len(in_window),
                    "main_statuses": dict(main_status),
                    "requests": stats.attempts,
                    "retries": stats.retries,
                    "transport_errors": stats.transport_errors,
                    "server_errors": stats.server_errors,
                    "replays_200": stats.replays,
                    "gave_up": stats.gave_up,
                    "rejected": {str(k): v for k, v in stats.rejected.items()},
                    "error_samples": stats.samples,
                    "pgbench": pgbench_line,
                    "replay_probe": probe,
                    **{f"check_{k}": v for k, v in integrity.items()},
                }
            finally:
                if app is not None:
                    app.stop()
                    app = None
                if created_db:
                    with contextlib.suppress(psycopg.Error), pg.connect() as conn:
                        conn.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
    finally:
        if app is not None:
            app.stop()
        shutil.rmtree(tmp, ignore_errors=True)

    report(summary, args.json)


def report(s: dict[str, Any], out: Path | None) -> None:
    def ok(flag: bool | None) -> str:
        return "" if flag is None else ("[green]ok[/green]" if flag else "[red]MISSED[/red]")

    def num(v: Any) -> float | None:
        return float(v) if isinstance(v, int | float) else None

    rate, p95, sql = s["orders_per_s"], num(s["p95_ms"]), num(s["sql_per_order"])
    tps = s["pgbench_tps"]
    rows = [
        (
            "orders/s (acknowledged, saturated)",
            fmt(rate),
            f"≥ {TARGET_ORDERS_PER_S:.0f}",
            f"{s['clients']} clients back to back; pgbench {fmt(tps)} TPS; "
            f"ours = {fmt(s['ratio_to_pgbench'], 3)} x",
            rate >= TARGET_ORDERS_PER_S,
        ),
        (
            "p50 / p95 latency saturated (ms)",
            f"{fmt(num(s['saturated_p50_ms']))} / {fmt(num(s['saturated_p95_ms']))}",
            "",
            "queueing: latency ≈ clients / throughput",
            None,
        ),
        (
            "paced load kept up (orders/s)",
            fmt(num(s["paced_achieved_per_s"])),
            fmt(num(s["paced_offered_per_s"]), 0),
            f"offered open loop, 3-line orders, catalogue restocked: {s['paced_statuses']}",
            None
            if s["paced_offered_per_s"] is None
            else num(s["paced_achieved_per_s"] or 0) >= 0.98 * s["paced_offered_per_s"],
        ),
        (
            "p50 latency (ms)",
            fmt(num(s["p50_ms"])),
            "",
            s["latency_measured_at"],
            None,
        ),
        (
            "p95 latency (ms)",
            fmt(p95),
            f"< {TARGET_P95_MS:.0f}",
            s["latency_measured_at"] + " (from each order's due time)",
            None if p95 is None else p95 < TARGET_P95_MS,
        ),
        (
            "SQL statements / order",
            fmt(sql),
            f"≤ {TARGET_SQL_PER_ORDER:.0f}",
            f"pgbench {PGBENCH_SQL_PER_TXN} / txn; w/o BEGIN+COMMIT "
            f"{fmt(num(s['sql_per_order_without_begin_commit']))}",
            None if sql is None else sql <= TARGET_SQL_PER_ORDER,
        ),
        (
            "oversold",
            str(s["oversold"]),
            "0",
            f"records {s['check_oversold_records']}, units beyond received "
            f"{s['check_units_beyond_received']}",
            s["oversold"] == 0,
        ),
        (
            "lost (acknowledged, not in DB)",
            str(s["lost"]),
            "0",
            f"{s['check_acknowledged']} acknowledged in all",
            s["lost"] == 0,
        ),
        (
            "duplicated (orders per key > 1)",
            str(s["duplicated"]),
            "0",
            f"{s['check_orders_in_db']} keyed orders / {s['check_distinct_keys_sent']} keys sent",
            s["duplicated"] == 0,
        ),
        (
            "replays of acknowledged orders",
            f"{s['replay_probe']['same_order']}/{s['replay_probe']['sent']} same order",
            "all",
            f"created again {s['replay_probe']['created_again']}, "
            f"other answers {s['replay_probe']['other']} (the key sent once more)",
            s["replay_probe"]["same_order"] == s["replay_probe"]["sent"],
        ),
        (
            "ledger = balances",
            f"stock check exit {s['check_stock_check_exit']}",
            "exit 0",
            f"SQL mismatches {s['check_ledger_mismatches_sql']}",
            s["check_stock_check_exit"] == 0 and s["check_ledger_mismatches_sql"] == 0,
        ),
        (
            "other invariants",
            f"{s['check_lines_over_allocated']}/{s['check_reserved_vs_allocations_mismatch']}"
            f"/{s['check_allocated_but_short']}",
            "0/0/0",
            "lines over-allocated / reserved ≠ allocations / 'allocated' but short",
            s["check_lines_over_allocated"] == 0
            and s["check_reserved_vs_allocations_mismatch"] == 0
            and s["check_allocated_but_short"] == 0,
        ),
        (
            "stock ran out",
            f"{s['main_statuses'].get('backordered', 0)} backordered",
            "> 0",
            f"{s['main_statuses'].get('allocated', 0)} allocated; "
            f"{s['check_load_skus_sold_out']}/{CATALOGUE} SKUs sold out, "
            f"{s['check_load_units_available_at_end']} units left",
            None,
        ),
        (
            "faults",
            f"{s['retries']} retries",
            "",
            f"outage {fmt(s['outage_s'])} s (killed group gone: {fmt(s['killed_group_gone'])}); "
            f"transport {s['transport_errors']}, 5xx "
            f"{s['server_errors']}, replays {s['replays_200']}, gave up {s['gave_up']}, "
            f"rejected {s['rejected'] or 0}",
            None,
        ),
    ]
    title = (
        f"Orders under load: {s['clients']} clients x {s['seconds']:.0f} s, "
        f"{s['workers']} workers, {s['allocation_mode']}{', SIGKILL midway' if s['kill'] else ''}"
    )
    table = Table("measure", "ours", "target", "reference / detail", "", title=title)
    for name, value, target, ref, flag in rows:
        table.add_row(name, value, target, ref, ok(flag))
    console.print(table)
    if s["sql_top"]:
        top = Table("calls / order", "statement", title="Most frequent SQL statements")
        for item in s["sql_top"][:10]:
            top.add_row(f"{item['calls_per_order']:.2f}", item["query"][:110])
        console.print(top)
    if s["error_samples"]:
        console.print("error samples:", *s["error_samples"], sep="\n  ")
    if out is not None:
        json_rows = [
            {"measure": n, "ours": v, "target": t, "reference": r, "ok": f}
            for n, v, t, r, f in rows
        ]
        out.write_text(
            json.dumps({"summary": s, "rows": json_rows}, indent=2, ensure_ascii=False) + "\n"
        )
        console.print(f"wrote {out}")


if __name__ == "__main__":
    main()
