"""Jobs in tests: run the queued ones now, in this process, through the real engine (claim,
handler, record), as a worker would."""

from __future__ import annotations

from huey import MemoryHuey
from sqlalchemy import select

from maillon.core.db import Database
from maillon.core.jobs import JobStatus
from maillon.core.tables import Job
from maillon.worker.engine import Engine


def run_queued(db: Database, name: str) -> list[int]:
    """Run every queued job ``name`` that is due, oldest first; return their ids."""
    with db.reader() as s:
        ids = list(
            s.scalars(
                select(Job.id)
                .where(Job.name == name, Job.status == JobStatus.QUEUED.value)
                .order_by(Job.id)
            )
        )
    engine = Engine(db, huey=MemoryHuey("tests", utc=True), schedule=())
    for job_id in ids:
        engine.run(job_id)
    return ids
