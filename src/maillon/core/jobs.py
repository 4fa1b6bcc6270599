"""Jobs: work for the worker tier, recorded in the transaction that asks for it.

:func:`submit` adds a :class:`~maillon.core.tables.Job` row in the caller's transaction; once
that transaction commits, the task engine is woken with the job's id (the waker installed by
:mod:`maillon.worker`), and nothing is woken if it rolls back. A worker :func:`claim`\\ s the
job with a conditional update, so two workers never run it at once, then records how it ended
(:func:`succeed`, :func:`fail` with a retry after an exponential backoff). A job whose engine
message was lost, or whose worker died while running it, is :func:`overdue` and woken again.

This module knows nothing of the engine: it is the durable record the console and the API
show (queued, running, done, failed with its error, progress) and the retry button's target.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import delete, event, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from maillon.core import clock
from maillon.core.db import Database
from maillon.core.errors import Conflict, NotFound
from maillon.core.tables import Job

#: How long a claimed job belongs to its worker before another may take it over; a job that
#: reports progress extends it. ``MAILLON_JOB_LEASE_SECONDS`` (at least 5) sets it.
LEASE = timedelta(seconds=max(5, int(os.environ.get("MAILLON_JOB_LEASE_SECONDS", "600"))))
#: A queued job not started this long after it was due is woken again (its message was lost).
GRACE = timedelta(minutes=2)
#: The first retry waits this long, each next one twice as long, up to ``MAX_BACKOFF``.
FIRST_BACKOFF = timedelta(seconds=10)
MAX_BACKOFF = timedelta(hours=1)

_WAKE = "maillon.jobs.wake"
log = logging.getLogger("maillon.jobs")
_running: ContextVar[int | None] = ContextVar("maillon_job", default=None)
Waker = Callable[[list[tuple[int, datetime]]], None]
_wakers: list[Waker] = []


class JobStatus(StrEnum):
    """Where a job stands."""

    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


def wake_with(waker: Waker | None) -> None:
    """Have ``waker([(job_id, run_after), ...])`` called after each commit that submitted
    jobs (``None``: nobody is woken; the jobs wait for :func:`overdue`)."""
    _wakers[:] = [waker] if waker else []


@event.listens_for(Session, "after_commit")
def _wake_after_commit(session: Session) -> None:
    woken = session.info.pop(_WAKE, None)
    if woken and _wakers:
        try:
            _wakers[0](woken)
        except Exception:  # the change is committed: the rescue wakes its jobs later
            log.exception("could not wake the worker tier after a commit")


@event.listens_for(Session, "after_soft_rollback")
def _forget_after_rollback(session: Session, previous_transaction: Any) -> None:
    if previous_transaction.parent is None:  # the outermost transaction rolled back
        session.info.pop(_WAKE, None)


def submit(
    session: Session,
    name: str,
    args: dict[str, Any] | None = None,
    *,
    key: str | None = None,
    requested_by: str = "system",
    run_after: datetime | None = None,
    max_attempts: int = 5,
) -> Job | None:
    """Record the job ``name(args)`` in the caller's transaction; the engine is woken once it
    commits. With ``key``, a job already recorded under it wins and ``None`` is returned."""
    now = clock.now()
    job = Job(
        name=name,
        args=args or {},
        key=key,
        status=JobStatus.QUEUED.value,
        attempts=0,
        max_attempts=max_attempts,
        requested_by=requested_by,
        created_at=now,
        run_after=run_after or now,
    )
    if key is not None:
        if session.scalar(select(Job.id).where(Job.key == key)) is not None:
            return None
        try:
            with session.begin_nested():
                session.add(job)
        except IntegrityError:  # another scheduler recorded the same slot meanwhile
            return None
    else:
        session.add(job)
        session.flush()
    session.info.setdefault(_WAKE, []).append((job.id, job.run_after))
    return job


def claim(db: Database, job_id: int, *, lease: timedelta | None = None) -> Job | None:
    """Take job ``job_id`` to run it for ``lease`` (default :data:`LEASE`), or return ``None``
    when it is not due, already running under a live lease, or over. Counts the attempt."""
    now = clock.now()
    lease = lease or LEASE
    with db.transaction() as session:
        taken = session.execute(
            update(Job)
            .where(
                Job.id == job_id,
                or_(
                    (Job.status == JobStatus.QUEUED.value) & (Job.run_after <= now),
                    (Job.status == JobStatus.RUNNING.value) & (Job.lease_until < now),
                ),
            )
            .values(
                status=JobStatus.RUNNING.value,
                attempts=Job.attempts + 1,
                started_at=now,
                lease_until=now + lease,
                progress=None,
                progress_note=None,
            )
        ).rowcount
        return session.get(Job, job_id) if taken else None


def report(db: Database, job_id: int, fraction: float, note: str = "") -> None:
    """Record a running job's progress (0 to 1) and extend its lease."""
    with db.transaction() as session:
        session.execute(
            update(Job)
            .where(Job.id == job_id, Job.status == JobStatus.RUNNING.value)
            .values(
                progress=max(0.0, min(1.0, fraction)),
                progress_note=note[:200],
                lease_until=clock.now() + LEASE,
            )
        )


def succeed(db: Database, job_id: int, result: dict[str, Any] | None = None) -> None:
    """Record that the job ended well."""
    with db.transaction() as session:
        session.execute(
            update(Job)
            .where(Job.id == job_id, Job.status == JobStatus.RUNNING.value)
            .values(
                status=JobStatus.SUCCEEDED.value,
                finished_at=clock.now(),
                lease_until=None,
                progress=1.0,
                result=result,
                error=None,
            )
        )


def backoff(attempts: int) -> timedelta:
    """The wait before the retry that follows ``attempts`` failed attempts."""
    wait: timedelta = FIRST_BACKOFF * 2 ** max(attempts - 1, 0)
    return min(wait, MAX_BACKOFF)


def fail(db: Database, job_id: int, error: str, *, final: bool = False) -> datetime | None:
    """Record a failed attempt: the job is queued again after :func:`backoff` while attempts
    remain (the time is returned), else (or when ``final``) it has failed (``None``)."""
    now = clock.now()
    with db.transaction() as session:
        job = session.get(Job, job_id)
        if job is None or job.status != JobStatus.RUNNING.value:
            return None
        job.error = error[:2000]
        job.lease_until = None
        if job.attempts < job.max_attempts and not final:
            job.status = JobStatus.QUEUED.value
            job.run_after = now + backoff(job.attempts)
            return job.run_after
        job.status = JobStatus.FAILED.value
        job.finished_at = now
        return None


def retry(session: Session, job_id: int, *, actor: str) -> Job:
    """Queue a failed job again (the console's retry button), with a fresh set of attempts."""
    job = session.get(Job, job_id, with_for_update=True)
    if job is None:
        raise NotFound("job", job_id, field="job")
    if job.status != JobStatus.FAILED.value:
        raise Conflict(f"job {job_id} is {job.status}, only a failed job is retried")
    job.status = JobStatus.QUEUED.value
    job.max_attempts = job.attempts + max(job.max_attempts, 1)
    job.run_after = clock.now()
    job.finished_at = None
    job.requested_by = actor
    session.info.setdefault(_WAKE, []).append((job.id, job.run_after))
    return job


def overdue(session: Session, *, now: datetime | None = None) -> list[tuple[int, datetime]]:
    """Jobs to wake again: queued and due for longer than :data:`GRACE`, or running past
    their lease (their worker died)."""
    now = now or clock.now()
    rows = session.execute(
        select(Job.id, Job.run_after).where(
            or_(
                (Job.status == JobStatus.QUEUED.value) & (Job.run_after < now - GRACE),
                (Job.status == JobStatus.RUNNING.value) & (Job.lease_until < now),
            )
        )
    ).all()
    return [(job_id, run_after) for job_id, run_after in rows]


def prune(session: Session, *, before: datetime) -> int:
    """Delete the jobs that succeeded before ``before``; return how many."""
    old = session.scalars(
        select(Job.id).where(Job.status == JobStatus.SUCCEEDED.value, Job.finished_at < before)
    ).all()
    for chunk in range(0, len(old), 500):
        session.execute(delete(Job).where(Job.id.in_(old[chunk : chunk + 500])))
    return len(old)


def get_job(session: Session, job_id: int) -> Job:
    """Return job ``job_id`` or raise NotFound."""
    job = session.get(Job, job_id)
    if job is None:
        raise NotFound("job", job_id, field="job")
    return job


def list_jobs(
    session: Session,
    *,
    status: JobStatus | None = None,
    name: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[Sequence[Job], int]:
    """Return one page of jobs, newest first, and how many match."""
    query = select(Job)
    if status is not None:
        query = query.where(Job.status == status.value)
    if name:
        query = query.where(Job.name == name)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(Job.id.desc()).limit(limit).offset(offset)).all()
    return rows, total


def counts(session: Session) -> dict[str, int]:
    """How many jobs stand in each status."""
    rows = session.execute(select(Job.status, func.count()).group_by(Job.status)).all()
    found = {status: n for status, n in rows}
    return {s.value: found.get(s.value, 0) for s in JobStatus}


def active(session: Session, name: str, *, limit: int = 20) -> Sequence[Job]:
    """The jobs ``name`` queued or running, newest first (what a page says is on its way)."""
    return session.scalars(
        select(Job)
        .where(
            Job.name == name,
            Job.status.in_((JobStatus.QUEUED.value, JobStatus.RUNNING.value)),
        )
        .order_by(Job.id.desc())
        .limit(limit)
    ).all()


@contextmanager
def running_as(job_id: int) -> Iterator[None]:
    """Within it, :func:`current` is ``job_id`` (the engine runs a handler in it)."""
    token = _running.set(job_id)
    try:
        yield
    finally:
        _running.reset(token)


def current() -> int | None:
    """The id of the job this code runs for (None outside a job): a handler that makes a
    row keeps it there, so running the job again finds the row instead of making another."""
    return _running.get()
