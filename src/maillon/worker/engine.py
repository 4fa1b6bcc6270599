"""Huey on Maillon's own database: the engine that runs the jobs of :mod:`maillon.core.jobs`.

Why Huey: it keeps its queue in the database Maillon already has, an SQLite file for the
embedded default and tables with ``LISTEN/NOTIFY`` and ``SKIP LOCKED`` in PostgreSQL for
several machines, so neither needs a broker; it brings the consumer (threads or processes),
delayed runs and periodic tasks. Huey takes a message off its queue when a worker starts it,
so a worker killed mid-run would lose it: the job's row (written in the caller's transaction)
is therefore what counts. A worker claims the row before running it (never twice at once), a
failure is retried with exponential backoff (:func:`maillon.core.jobs.fail`), and every
minute the rescue wakes the jobs whose message was lost or whose worker died.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import weakref
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
from huey import Huey, MemoryHuey, PostgresHuey, SqliteHuey, crontab
from huey.consumer import Consumer
from sqlalchemy.engine import make_url

from maillon.core import clock, jobs, outbox
from maillon.core.db import Database
from maillon.worker.tasks import HANDLERS, SCHEDULE, Handler, Scheduled

log = logging.getLogger("maillon.worker")
QUEUE = "maillon"
#: Messages recorded within this many seconds of each other leave together.
NUDGE_S = 0.5
#: Succeeded jobs are kept this long for the console, then pruned by the rescue.
KEEP_SUCCEEDED_DAYS = 2


class Connections:
    """Opens Huey's PostgreSQL connections and keeps them, so that :meth:`close` ends every
    one of them: the shared one and each worker thread's ``LISTEN`` one, which Huey leaves
    to the garbage collector."""

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self._opened: list[psycopg.Connection[Any]] = []
        self._lock = threading.Lock()

    def __call__(self) -> psycopg.Connection[Any]:
        conn = psycopg.connect(self.dsn)
        with self._lock:
            self._opened = [c for c in self._opened if not c.closed]
            self._opened.append(conn)
        return conn

    def close(self) -> None:
        """Close every connection opened so far."""
        with self._lock:
            opened, self._opened = self._opened, []
        for conn in opened:
            conn.close()


def build_huey(database: Database, connections: Connections | None = None) -> Huey:
    """Return the Huey instance on ``database``: an SQLite file beside an SQLite database
    (``<name>.jobs``), tables prefixed ``maillon_huey`` in the same PostgreSQL (its
    connections opened by ``connections``), memory for an in-memory SQLite database."""
    url = make_url(database.url)
    if database.is_sqlite:
        if not url.database or url.database == ":memory:":
            return MemoryHuey(QUEUE, utc=True)
        return SqliteHuey(QUEUE, filename=f"{url.database}.jobs", utc=True)
    dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
    return PostgresHuey(
        QUEUE, connection=connections or Connections(dsn), table_prefix="maillon_huey", utc=True
    )


def slot_of(now: datetime, minutes: int) -> str:
    """The slot of the UTC clock that ``now`` falls in, for a job every ``minutes``."""
    at = now.astimezone(UTC)
    minute = (at.hour * 60 + at.minute) // minutes * minutes
    return f"{at:%Y-%m-%d}T{minute // 60:02d}:{minute % 60:02d}"


def crontab_of(entry: Scheduled) -> dict[str, str]:
    """Huey's crontab fields for ``entry``: every ``minutes`` minutes, or once a day at
    ``hour`` o'clock UTC (its slot is then the day)."""
    if entry.hour is not None:
        return {"minute": "0", "hour": str(entry.hour)}
    if entry.minutes >= 60:
        return {"minute": "0", "hour": f"*/{entry.minutes // 60}"}
    return {"minute": f"*/{entry.minutes}"}


class Engine:
    """The jobs' engine for one database: wakes, runs and schedules them through Huey."""

    def __init__(
        self,
        database: Database,
        huey: Huey | None = None,
        handlers: dict[str, Handler] | None = None,
        schedule: Iterable[Scheduled] = SCHEDULE,
    ) -> None:
        self.db = database
        connections = None
        if huey is None and not database.is_sqlite:
            dsn = make_url(database.url).set(drivername="postgresql")
            connections = Connections(dsn.render_as_string(hide_password=False))
        self.huey = huey or build_huey(database, connections)
        # Huey's connections end at close(), or with the engine: never left to the collector
        self._connections = connections
        if connections is not None:
            weakref.finalize(self, connections.close)
        self.handlers = dict(HANDLERS if handlers is None else handlers)
        self._run_job = self.huey.task(name="maillon.run_job")(self.run)
        self._deliver = self.huey.task(name="maillon.deliver_outbox")(self.deliver_outbox)
        self._nudge_lock = threading.Lock()
        self._next_nudge = 0.0
        for entry in schedule:
            self.huey.periodic_task(
                crontab(**crontab_of(entry)), name=f"maillon.schedule.{entry.name}"
            )(self._scheduler_of(entry))
        self.huey.periodic_task(crontab(minute="*"), name="maillon.rescue")(self.rescue)

    def close(self) -> None:
        """Close Huey's connections (the engine opens new ones if used again)."""
        if self._connections is not None:
            self._connections.close()

    def install(self) -> Engine:
        """Wake this engine after each commit that records jobs or messages (in this
        process)."""
        jobs.wake_with(self.wake)
        outbox.nudge_with(self.nudge)
        return self

    def nudge(self) -> None:
        """Have the outbox sent in about :data:`NUDGE_S` seconds: one Huey message per
        window, however many transactions recorded messages in it (the delivery sends every
        message waiting when it runs)."""
        now = time.monotonic()
        with self._nudge_lock:
            if now < self._next_nudge:
                return
            self._next_nudge = now + NUDGE_S
        self._deliver.schedule(delay=NUDGE_S)

    def deliver_outbox(self) -> None:
        """Send the waiting messages now (a nudge); a failure waits for the schedule."""
        handler = self.handlers.get("outbox.deliver")
        if handler is None:
            return
        try:
            handler(self.db, {}, lambda fraction, note="": None)
        except Exception:  # the scheduled delivery, a minute later at most, tries again
            log.exception("outbox delivery after a nudge failed")

    def wake(self, due: Iterable[tuple[int, datetime]]) -> None:
        """Hand each ``(job_id, run_after)`` to Huey, delayed until it is due."""
        now = clock.now()
        for job_id, run_after in due:
            delay = (run_after - now).total_seconds()
            if delay > 0:
                self._run_job.schedule(args=(job_id,), delay=delay)
            else:
                self._run_job(job_id)

    def run(self, job_id: int) -> None:
        """Run job ``job_id`` if it can be claimed, and record how it ended."""
        job = jobs.claim(self.db, job_id)
        if job is None:
            return
        handler = self.handlers.get(job.name)
        if handler is None:
            jobs.fail(self.db, job_id, f"no handler for the job {job.name!r}", final=True)
            return

        def progress(fraction: float, note: str = "") -> None:
            jobs.report(self.db, job_id, fraction, note)

        try:
            with jobs.running_as(job_id):
                result = handler(self.db, dict(job.args), progress)
        except Exception as exc:  # recorded on the job, retried after a backoff
            log.exception("job %s (%s) failed", job_id, job.name)
            again = jobs.fail(self.db, job_id, f"{type(exc).__name__}: {exc}")
            if again is not None:
                self.wake([(job_id, again)])
            return
        jobs.succeed(self.db, job_id, result)

    def _scheduler_of(self, entry: Scheduled) -> Any:
        def schedule() -> None:
            self.schedule(entry)

        schedule.__name__ = f"schedule_{entry.name.replace('.', '_')}"
        return schedule

    def schedule(self, entry: Scheduled, now: datetime | None = None) -> int | None:
        """Record ``entry``'s job for the current slot (once, whoever asks); return its id."""
        key = f"{entry.name}@{slot_of(now or clock.now(), entry.minutes)}"
        with self.db.transaction() as session:
            job = jobs.submit(session, entry.name, key=key, max_attempts=1)
            return job.id if job else None

    def rescue(self) -> int:
        """Wake the overdue jobs again and prune old successes; return how many were woken."""
        now = clock.now()
        with self.db.reader() as session:
            due = jobs.overdue(session, now=now)
        self.wake((job_id, now) for job_id, _ in due)
        with self.db.transaction() as session:
            jobs.prune(session, before=now - timedelta(days=KEEP_SUCCEEDED_DAYS))
        return len(due)


class _EmbeddedConsumer(Consumer):  # type: ignore[misc]
    """Huey's consumer without the signal handlers of a main process (it runs in a thread
    of ``maillon serve``)."""

    def _set_signal_handlers(self) -> None:
        pass


class Embedded:
    """The consumer running inside this process: ``start`` it, ``stop`` it at shutdown."""

    def __init__(self, engine: Engine, *, workers: int = 2, periodic: bool = True) -> None:
        self.engine = engine
        self.consumer = _EmbeddedConsumer(
            engine.huey, workers=workers, periodic=periodic, max_delay=1.0, worker_type="thread"
        )

    def start(self) -> Embedded:
        """Start the scheduler and the worker threads."""
        self.consumer.start()
        return self

    def stop(self) -> None:
        """Let the running jobs finish, then stop and close the engine's connections."""
        self.consumer.stop(graceful=True)
        self.engine.close()


def run_workers(engine: Engine, *, processes: int, periodic: bool = True) -> None:
    """Run Huey's consumer in this (main) process with ``processes`` worker processes until
    it is stopped (SIGINT: finish the running jobs, SIGTERM: stop now)."""
    database = engine.db
    os.register_at_fork(after_in_child=lambda: database.engine.dispose(close=False))
    consumer = engine.huey.create_consumer(
        workers=processes, periodic=periodic, worker_type="process", max_delay=1.0
    )
    consumer.run()


def data_file(database: Database) -> Path | None:
    """The SQLite file of Huey's queue beside ``database`` (``None`` on PostgreSQL)."""
    url = make_url(database.url)
    return Path(f"{url.database}.jobs") if database.is_sqlite and url.database else None
