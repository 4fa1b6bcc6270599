"""The worker tier under load: jobs per second, queue latency, none lost, none run twice to
effect, across 1, 2 and 4 worker processes, and with one worker SIGKILLed mid-run; beside
it, in the same run, the cron-style ``outbox-deliver`` loop it replaces.

Each configuration gets a fresh PostgreSQL database (migrated), starts P worker processes
(``maillon.worker.engine.run_workers``, one worker each, as P machines would), records N jobs
``bench.touch`` from this process in transactions of 500 (each woken after its commit, as a
use case does), and waits until every job has succeeded. The handler writes its effect keyed
by the job (``INSERT ... ON CONFLICT DO NOTHING``, as real handlers claim their rows) and
logs each run, so the table shows both the runs a crash caused and the effects (never
twice). ``--kill`` SIGKILLs one worker process when a third of the jobs are done: its running
job is taken over once its lease lapses (``--lease`` seconds here) by the rescue.

The cron comparison delivers M outbox messages (a sender that only counts) two ways: the
loop ``deliver_pending`` every ``--cron-interval`` seconds, as ``maillon outbox-deliver`` run
from cron, and the worker tier (one ``outbox.deliver`` job per transaction of messages, two
worker processes); latency is ``delivered_at - created_at``.

Without ``--db-url`` the bench starts a throwaway cluster with ``scripts/pg_test_server.sh``
on port 54510. Every process started here is stopped in a ``finally`` block.

Usage::

    python bench/worker.py [--db-url URL] [--jobs N] [--processes 1,2,4] [--messages M]
                           [--cron-interval S] [--lease S] [--quick] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from maillon.core import jobs, outbox  # noqa: E402
from maillon.core.db import Database  # noqa: E402
from maillon.core.migrate import upgrade  # noqa: E402
from maillon.worker.engine import Engine, run_workers  # noqa: E402

PG_SCRIPT = ROOT / "scripts" / "pg_test_server.sh"
OWN_PG_PORT = 54510
BATCH = 500
console = Console()


class CountingSender:
    """Sends nothing, counts (the cron and worker paths pay the same for a send)."""

    def __init__(self) -> None:
        self.sent = 0

    def send(self, **_: Any) -> None:
        self.sent += 1

    def describe(self) -> str:
        return "counting"


def touch(db: Database, args: dict[str, Any], progress: Any) -> dict[str, Any]:
    """The bench job: log the run, write the effect once per job."""
    with db.transaction() as session:
        session.execute(text("INSERT INTO bench_runs (job) VALUES (:j)"), {"j": args["n"]})
        session.execute(
            text("INSERT INTO bench_effects (job) VALUES (:j) ON CONFLICT DO NOTHING"),
            {"j": args["n"]},
        )
    return {"n": args["n"]}


def deliver(db: Database, args: dict[str, Any], progress: Any) -> dict[str, Any]:
    return {"delivered": outbox.deliver_waiting(db, CountingSender())}


def worker_process(url: str, lease: float) -> None:
    """Entry of one worker process (``--run-worker``): one worker, the rescue scheduled."""
    jobs.LEASE = timedelta(seconds=lease)
    database = Database(url, pool_size=2)
    engine = Engine(
        database, handlers={"bench.touch": touch, "outbox.deliver": deliver}, schedule=()
    )
    engine.install()
    run_workers(engine, processes=1)


def cron_process(url: str, interval: float) -> None:
    """Entry of the cron-style loop (``--run-cron``): deliver, sleep, until told to stop."""
    database = Database(url, pool_size=2)
    while True:
        outbox.deliver_pending(database, CountingSender(), limit=100_000)
        time.sleep(interval)


def _spawn(*args: str) -> subprocess.Popen[bytes]:
    log = os.environ.get("MAILLON_BENCH_LOG")
    out = open(f"{log}.{uuid.uuid4().hex[:6]}", "wb") if log else subprocess.DEVNULL  # noqa: SIM115
    return subprocess.Popen(
        [sys.executable, __file__, *args], stdout=out, stderr=out, start_new_session=True
    )


def _stop(procs: list[subprocess.Popen[bytes]]) -> None:
    for proc in procs:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
    for proc in procs:
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def _fresh_database(server: str) -> str:
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    name = f"maillon_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = make_url(server).set(database=name).render_as_string(hide_password=False)
    database = Database(url)
    upgrade(database)
    with database.transaction() as session:
        session.execute(text("CREATE TABLE bench_effects (job integer PRIMARY KEY)"))
        session.execute(text("CREATE TABLE bench_runs (job integer NOT NULL)"))
    database.dispose()
    return url


def _drop_database(server: str, url: str) -> None:
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
    admin.dispose()


def _quantiles(database: Database, sql: str) -> tuple[float, float]:
    with database.reader() as session:
        row = session.execute(
            text(
                "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY s), "
                f"percentile_cont(0.95) WITHIN GROUP (ORDER BY s) FROM ({sql}) AS q"
            )
        ).one()
    return float(row[0] or 0) * 1000, float(row[1] or 0) * 1000


def run_jobs(server: str, n: int, processes: int, *, kill: bool, lease: float) -> dict[str, Any]:
    """One configuration of the jobs bench; returns its row."""
    url = _fresh_database(server)
    database = Database(url)
    workers = [_spawn("--run-worker", url, str(lease)) for _ in range(processes)]
    killed = False
    try:
        engine = Engine(database, handlers={}, schedule=()).install()
        start = time.monotonic()
        for first in range(0, n, BATCH):
            with database.transaction() as session:
                for i in range(first, min(first + BATCH, n)):
                    jobs.submit(session, "bench.touch", {"n": i})
        submitted = time.monotonic() - start
        # at least 20 jobs/s, plus a lease and two minutes of rescue when a worker is killed
        deadline = start + 60 + n / 20 + (lease + 120 if kill else 0)
        done = 0
        while time.monotonic() < deadline:
            with database.reader() as session:
                done = jobs.counts(session)[jobs.JobStatus.SUCCEEDED.value]
            if kill and not killed and done >= n // 3:
                os.killpg(workers[0].pid, signal.SIGKILL)
                killed = True
            if done >= n:
                break
            time.sleep(0.2)
        elapsed = time.monotonic() - start
        with database.reader() as session:
            counts = jobs.counts(session)
            effects = session.scalar(text("SELECT count(*) FROM bench_effects")) or 0
            rerun = (
                session.scalar(
                    text(
                        "SELECT count(*) FROM (SELECT job FROM bench_runs GROUP BY job "
                        "HAVING count(*) > 1) AS twice"
                    )
                )
                or 0
            )
        p50, p95 = _quantiles(
            database, "SELECT extract(epoch FROM started_at - created_at) AS s FROM jobs"
        )
        del engine
    finally:
        jobs.wake_with(None)
        outbox.nudge_with(None)
        _stop(workers)
        database.dispose()
        _drop_database(server, url)
    return {
        "scenario": f"jobs, {processes} process(es)" + (", one SIGKILLed" if kill else ""),
        "engine": "worker tier (Huey on PostgreSQL)",
        "processes": processes,
        "items": n,
        "submit_s": round(submitted, 2),
        "elapsed_s": round(elapsed, 2),
        "per_s": round(counts["succeeded"] / elapsed, 1) if elapsed else 0.0,
        "p50_latency_ms": round(p50, 1),
        "p95_latency_ms": round(p95, 1),
        "lost": n - counts["succeeded"],
        "failed": counts["failed"],
        "run_again_after_crash": rerun,
        "effects": effects,
        "killed": killed,
    }


def _record_messages(database: Database, m: int, per_transaction: int) -> None:
    for first in range(0, m, per_transaction):
        with database.transaction() as session:
            for i in range(first, min(first + per_transaction, m)):
                outbox.enqueue_message(
                    session,
                    topic="bench.message",
                    recipient=f"client{i}@example.fr",
                    subject=f"Commande {i}",
                    body="Merci pour votre commande.",
                )


def run_messages(server: str, m: int, *, cron: bool, interval: float) -> dict[str, Any]:
    """The outbox bench: the cron loop, or the worker tier with two processes."""
    url = _fresh_database(server)
    database = Database(url)
    procs = (
        [_spawn("--run-cron", url, str(interval))]
        if cron
        else [_spawn("--run-worker", url, "60") for _ in range(2)]
    )
    try:
        if not cron:
            Engine(database, handlers={}, schedule=()).install()
        # the loop has made its first pass (it starts with one): messages recorded now wait
        # for its next one, as messages recorded between two cron runs do
        time.sleep(5)
        start = time.monotonic()
        _record_messages(database, m, per_transaction=20)
        deadline = start + 120 + m / 20 + interval
        while time.monotonic() < deadline:
            with database.reader() as session:
                left = session.scalar(
                    text("SELECT count(*) FROM outbox WHERE delivered_at IS NULL")
                )
            if not left:
                break
            time.sleep(0.2)
        elapsed = time.monotonic() - start
        with database.reader() as session:
            delivered = session.scalar(
                text("SELECT count(*) FROM outbox WHERE delivered_at IS NOT NULL")
            )
        p50, p95 = _quantiles(
            database,
            "SELECT extract(epoch FROM delivered_at - created_at) AS s FROM outbox "
            "WHERE delivered_at IS NOT NULL",
        )
    finally:
        jobs.wake_with(None)
        outbox.nudge_with(None)
        _stop(procs)
        database.dispose()
        _drop_database(server, url)
    return {
        "scenario": "outbox messages",
        "engine": f"cron loop every {interval:g} s" if cron else "worker tier, 2 processes",
        "processes": 1 if cron else 2,
        "items": m,
        "submit_s": None,
        "elapsed_s": round(elapsed, 2),
        "per_s": round((delivered or 0) / elapsed, 1) if elapsed else 0.0,
        "p50_latency_ms": round(p50, 1),
        "p95_latency_ms": round(p95, 1),
        "lost": m - (delivered or 0),
        "failed": 0,
        "run_again_after_crash": 0,
        "effects": delivered or 0,
        "killed": False,
    }


def _server(args: argparse.Namespace) -> tuple[str, bool]:
    if args.db_url:
        return args.db_url, False
    env = {**os.environ, "PG_TEST_PORT": str(OWN_PG_PORT)}
    out = subprocess.run(
        ["bash", str(PG_SCRIPT), "start"], capture_output=True, text=True, env=env, check=True
    )
    return out.stdout.strip().splitlines()[-1], True


def report(rows: list[dict[str, Any]], out: Path | None) -> dict[str, Any]:
    """Print the table and write the JSON; return the summary."""
    table = Table(title="Worker tier: jobs and messages on PostgreSQL")
    columns = [
        ("scenario", "scenario"),
        ("engine", "engine"),
        ("items", "items"),
        ("per_s", "per s"),
        ("p50_latency_ms", "p50 ms"),
        ("p95_latency_ms", "p95 ms"),
        ("lost", "lost"),
        ("run_again_after_crash", "run again"),
        ("effects", "effects"),
    ]
    for _, title in columns:
        table.add_column(title)
    for row in rows:
        table.add_row(*(str(row[key]) for key, _ in columns))
    console.print(table)
    jobs_rows = [r for r in rows if r["scenario"].startswith("jobs")]
    cron = next((r for r in rows if r["engine"].startswith("cron")), None)
    tier = next((r for r in rows if r["engine"] == "worker tier, 2 processes"), None)
    summary = {
        "jobs": jobs_rows[0]["items"] if jobs_rows else 0,
        "best_jobs_per_s": max((r["per_s"] for r in jobs_rows), default=0.0),
        "lost": sum(r["lost"] for r in rows),
        "effects_twice": sum(max(r["effects"] - r["items"], 0) for r in rows),
        "runs_again_after_crash": sum(r["run_again_after_crash"] for r in rows),
        "messages_p95_ms_worker": tier["p95_latency_ms"] if tier else None,
        "messages_p95_ms_cron": cron["p95_latency_ms"] if cron else None,
    }
    console.print(summary)
    if out:
        out.write_text(json.dumps({"summary": summary, "rows": rows}, indent=2) + "\n")
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db-url", help="a PostgreSQL server (the bench makes its databases)")
    parser.add_argument("--jobs", type=int, default=100_000)
    parser.add_argument("--processes", default="1,2,4")
    parser.add_argument("--messages", type=int, default=5_000)
    parser.add_argument("--cron-interval", type=float, default=60.0)
    parser.add_argument("--lease", type=float, default=15.0, help="seconds, for --kill")
    parser.add_argument("--no-kill", action="store_true", help="skip the SIGKILL run")
    parser.add_argument("--only", choices=("jobs", "messages"), help="run one half only")
    parser.add_argument("--quick", action="store_true", help="5,000 jobs, 1,000 messages")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    if args.quick:
        args.jobs, args.messages = min(args.jobs, 5_000), min(args.messages, 1_000)
    server, own = _server(args)
    rows: list[dict[str, Any]] = []
    try:
        for processes in (int(p) for p in args.processes.split(",") if args.only != "messages"):
            console.print(f"jobs: {args.jobs} on {processes} process(es)...")
            rows.append(run_jobs(server, args.jobs, processes, kill=False, lease=args.lease))
        if not args.no_kill and args.only != "messages":
            console.print(f"jobs: {args.jobs} on 2 processes, one SIGKILLed...")
            rows.append(run_jobs(server, args.jobs, 2, kill=True, lease=args.lease))
        if args.only != "jobs":
            console.print(f"messages: {args.messages} through the cron loop...")
            rows.append(run_messages(server, args.messages, cron=True, interval=args.cron_interval))
            console.print(f"messages: {args.messages} through the worker tier...")
            rows.append(
                run_messages(server, args.messages, cron=False, interval=args.cron_interval)
            )
    finally:
        if own:
            env = {**os.environ, "PG_TEST_PORT": str(OWN_PG_PORT)}
            subprocess.run(["bash", str(PG_SCRIPT), "stop"], env=env, check=False)
    report(rows, args.json)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--run-worker":
        worker_process(sys.argv[2], float(sys.argv[3]))
    elif len(sys.argv) > 1 and sys.argv[1] == "--run-cron":
        cron_process(sys.argv[2], float(sys.argv[3]))
    else:
        main()
