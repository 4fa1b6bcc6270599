"""The worker tier: jobs recorded in the caller's transaction, run by Huey's real consumer on
the test's own database (an SQLite file beside it, or PostgreSQL tables), claimed once,
retried with backoff, rescued when their message was lost or their worker died, and
scheduled once per slot whoever schedules them."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update

from maillon.core import clock, jobs
from maillon.core.db import Database
from maillon.core.errors import Conflict
from maillon.core.jobs import JobStatus
from maillon.core.tables import Job
from maillon.worker.engine import Embedded, Engine, slot_of
from maillon.worker.tasks import Scheduled


class Recorder:
    """Handlers that record their calls; ``fail_first`` failures before succeeding."""

    def __init__(self, fail_first: int = 0) -> None:
        self.calls: list[dict[str, Any]] = []
        self.fail_first = fail_first
        self.lock = threading.Lock()

    def __call__(self, db: Database, args: dict[str, Any], progress: Callable[..., None]) -> Any:
        with self.lock:
            self.calls.append(args)
            n = len(self.calls)
        progress(0.5, "half way")
        if n <= self.fail_first:
            raise RuntimeError(f"attempt {n} fails")
        return {"calls": n}


@pytest.fixture
def engine(db: Database) -> Iterator[Engine]:
    made = Engine(db, handlers={}, schedule=())
    yield made
    jobs.wake_with(None)


def _submit(db: Database, name: str, args: dict[str, Any] | None = None) -> int:
    with db.transaction() as session:
        job = jobs.submit(session, name, args)
        assert job is not None
        return job.id


def _job(db: Database, job_id: int) -> Job:
    with db.reader() as session:
        return jobs.get_job(session, job_id)


def _wait_for(check: Callable[[], bool], seconds: float = 60) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return check()


def test_a_job_is_woken_after_commit_and_never_after_a_rollback(
    db: Database, engine: Engine
) -> None:
    woken: list[int] = []
    jobs.wake_with(lambda due: woken.extend(job_id for job_id, _ in due))

    def failing_use_case() -> None:
        with db.transaction() as session:
            jobs.submit(session, "t.ok")
            assert woken == []  # not before the commit
            raise RuntimeError("the use case fails")

    with pytest.raises(RuntimeError):
        failing_use_case()
    with db.reader() as session:
        assert session.scalar(select(func.count()).select_from(Job)) == 0
    job_id = _submit(db, "t.ok", {"n": 1})
    assert woken == [job_id]


def test_the_real_consumer_runs_a_job_and_records_its_result(db: Database, engine: Engine) -> None:
    recorder = Recorder()
    engine.handlers["t.ok"] = recorder
    engine.install()
    consumer = Embedded(engine, workers=2).start()
    try:
        job_id = _submit(db, "t.ok", {"n": 7})
        assert _wait_for(lambda: _job(db, job_id).status == JobStatus.SUCCEEDED)
    finally:
        consumer.stop()
    job = _job(db, job_id)
    assert recorder.calls == [{"n": 7}]
    assert job.result == {"calls": 1} and job.attempts == 1 and job.progress == 1.0
    assert job.started_at is not None and job.finished_at is not None


def test_a_failure_is_retried_after_a_growing_backoff_then_the_job_fails(
    db: Database, engine: Engine
) -> None:
    recorder = Recorder(fail_first=99)
    engine.handlers["t.flaky"] = recorder
    start = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    with clock.frozen_at(start), db.transaction() as session:
        job = jobs.submit(session, "t.flaky", max_attempts=3)
        assert job is not None
        job_id = job.id
    waits = []
    at = start
    for _ in range(3):
        with clock.frozen_at(at):
            engine.run(job_id)
        job = _job(db, job_id)
        if job.status == JobStatus.FAILED:
            break
        assert job.status == JobStatus.QUEUED and "attempt" in (job.error or "")
        waits.append(clock.as_utc(job.run_after) - at)
        with clock.frozen_at(at):
            engine.run(job_id)  # not due yet: nothing runs
        at = clock.as_utc(job.run_after)
    assert len(recorder.calls) == 3
    assert waits == [jobs.backoff(1), jobs.backoff(2)] and waits[1] == 2 * waits[0]
    job = _job(db, job_id)
    assert job.status == JobStatus.FAILED and job.attempts == 3
    assert job.error == "RuntimeError: attempt 3 fails"


def test_a_failed_job_can_be_retried_by_hand_and_then_succeeds(
    db: Database, engine: Engine
) -> None:
    engine.handlers["t.once"] = Recorder(fail_first=1)
    with db.transaction() as session:
        job = jobs.submit(session, "t.once", max_attempts=1)
        assert job is not None
        job_id = job.id
    engine.run(job_id)
    assert _job(db, job_id).status == JobStatus.FAILED
    queued = _submit(db, "t.queued")
    with pytest.raises(Conflict), db.transaction() as session:
        jobs.retry(session, queued, actor="ops")  # only a failed job is retried
    woken: list[int] = []
    jobs.wake_with(lambda due: woken.extend(i for i, _ in due))
    with db.transaction() as session:
        jobs.retry(session, job_id, actor="ops")
    assert woken == [job_id]
    engine.run(job_id)
    job = _job(db, job_id)
    assert job.status == JobStatus.SUCCEEDED and job.attempts == 2 and job.requested_by == "ops"


def _queued_in_huey(engine: Engine) -> list[int]:
    """The job ids waiting in Huey's own queue (its SQLite file or PostgreSQL table)."""
    return [task.args[0] for task in engine.huey.pending()]


def test_two_workers_never_hold_the_same_job(db: Database) -> None:
    job_id = _submit(db, "t.ok")
    assert jobs.claim(db, job_id) is not None
    assert jobs.claim(db, job_id) is None  # running under a live lease


def test_the_job_of_a_dead_worker_is_rescued_and_run_again(db: Database, engine: Engine) -> None:
    recorder = Recorder()
    engine.handlers["t.ok"] = recorder
    job_id = _submit(db, "t.ok")
    assert jobs.claim(db, job_id) is not None  # a worker took it, then died
    assert engine.rescue() == 0  # its lease still runs
    with db.transaction() as session:
        session.execute(
            update(Job).where(Job.id == job_id).values(lease_until=clock.now() - timedelta(1))
        )
    assert engine.rescue() == 1
    assert _queued_in_huey(engine) == [job_id]
    engine.run(job_id)
    job = _job(db, job_id)
    assert job.status == JobStatus.SUCCEEDED and job.attempts == 2 and len(recorder.calls) == 1


def test_a_job_whose_message_was_lost_is_woken_by_the_rescue(db: Database, engine: Engine) -> None:
    job_id = _submit(db, "t.ok")  # no engine woken: the message is lost
    assert engine.rescue() == 0  # queued only just now: its message may be on its way
    assert _queued_in_huey(engine) == []
    with clock.frozen_at(clock.now() + jobs.GRACE + timedelta(seconds=1)):
        assert engine.rescue() == 1
    assert _queued_in_huey(engine) == [job_id]


def test_a_scheduled_slot_is_recorded_once_however_many_workers_schedule_it(
    db: Database,
) -> None:
    entry = Scheduled("t.tick", 5)
    first, second = Engine(db, handlers={}, schedule=()), Engine(db, handlers={}, schedule=())
    at = datetime(2026, 3, 2, 9, 7, 30, tzinfo=UTC)
    assert first.schedule(entry, now=at) is not None
    assert second.schedule(entry, now=at + timedelta(minutes=2)) is None  # same 09:05 slot
    assert first.schedule(entry, now=at + timedelta(minutes=3)) is not None  # 09:10
    with db.reader() as session:
        keys = session.scalars(select(Job.key).order_by(Job.id)).all()
    assert keys == ["t.tick@2026-03-02T09:05", "t.tick@2026-03-02T09:10"]
    jobs.wake_with(None)


def test_a_job_nobody_knows_fails_at_once(db: Database, engine: Engine) -> None:
    job_id = _submit(db, "t.unknown")
    engine.run(job_id)
    job = _job(db, job_id)
    assert job.status == JobStatus.FAILED and "no handler" in (job.error or "")


def test_slots_follow_the_utc_clock() -> None:
    at = datetime(2026, 3, 2, 23, 59, tzinfo=UTC)
    assert slot_of(at, 1) == "2026-03-02T23:59"
    assert slot_of(at, 15) == "2026-03-02T23:45"
    assert slot_of(at, 60) == "2026-03-02T23:00"


def test_an_engine_that_cannot_be_woken_does_not_fail_a_committed_change(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    from maillon.core import outbox

    def unreachable(*_: object) -> None:
        raise ConnectionError("the queue's database is gone")

    jobs.wake_with(unreachable)
    outbox.nudge_with(unreachable)
    with db.transaction() as session:  # commits, whatever happens to the wake-up after
        job = jobs.submit(session, "t.ok")
        outbox.enqueue_message(
            session, topic="t.mail", recipient="a@example.fr", subject="s", body="b"
        )
        assert job is not None
        job_id = job.id
    assert _job(db, job_id).status == JobStatus.QUEUED  # the rescue will wake it
    assert "could not wake the worker tier" in caplog.text
    assert "could not nudge the outbox" in caplog.text
