"""Admin routes: API keys, the outbox, and the worker tier's jobs (operators see and retry
them too)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, status

from maillon.api.schemas import JobCounts, JobRead, KeyCreate, KeyRead, MessageRead, NewKeyRead
from maillon.core import auth, jobs, outbox
from maillon.core.auth import Principal, Role
from maillon.core.http import DbDep, IdPath, Page, PageDep, allow
from maillon.core.jobs import JobStatus
from maillon.core.tables import ApiKey, Job

router = APIRouter(tags=["admin"])
Admin = Annotated[Principal, Depends(allow())]
Operator = Annotated[Principal, Depends(allow(Role.OPERATOR))]


def _key_read(k: ApiKey) -> KeyRead:
    return KeyRead(
        id=k.id,
        name=k.name,
        prefix=k.prefix,
        role=k.role,
        created_at=k.created_at,
        revoked=k.revoked_at is not None,
    )


@router.post("/api/v1/keys", status_code=status.HTTP_201_CREATED, response_model=NewKeyRead)
def create_key(body: KeyCreate, db: DbDep, _: Admin) -> NewKeyRead:
    """Create an API key; the secret is in the answer and nowhere else."""
    with db.transaction() as session:
        row, raw = auth.create_key(session=session, role=body.role, name=body.name)
        return NewKeyRead(**_key_read(row).model_dump(), key=raw)


@router.get("/api/v1/keys", response_model=list[KeyRead])
def list_keys(db: DbDep, _: Admin) -> list[KeyRead]:
    """List keys (prefixes only)."""
    with db.reader() as session:
        return [_key_read(k) for k in auth.list_keys(session=session)]


@router.delete("/api/v1/keys/{key_id}", response_model=KeyRead)
def revoke_key(key_id: IdPath, db: DbDep, _: Admin) -> KeyRead:
    """Revoke a key: it stops working at once on this worker, within seconds on the others."""
    with db.transaction() as session:
        return _key_read(auth.revoke_key(session=session, key_id=key_id))


@router.get("/api/v1/outbox", response_model=list[MessageRead])
def list_outbox(db: DbDep, page: PageDep, _: Admin) -> list[MessageRead]:
    """Messages and events recorded by the outbox, newest first."""
    with db.reader() as session:
        return [
            MessageRead(
                id=m.id,
                topic=m.topic,
                channel=m.channel,
                recipient=m.recipient,
                subject=m.subject,
                created_at=m.created_at,
                delivered_at=m.delivered_at,
            )
            for m in outbox.list_messages(session=session, limit=page.limit, offset=page.offset)
        ]


def job_read(job: Job) -> JobRead:
    """The answer about ``job``."""
    return JobRead(
        id=job.id,
        name=job.name,
        args=job.args,
        status=JobStatus(job.status),
        attempts=job.attempts,
        max_attempts=job.max_attempts,
        error=job.error,
        progress=job.progress,
        progress_note=job.progress_note,
        result=job.result,
        requested_by=job.requested_by,
        created_at=job.created_at,
        run_after=job.run_after,
        started_at=job.started_at,
        finished_at=job.finished_at,
        url=f"/api/v1/jobs/{job.id}",
    )


@router.get("/api/v1/jobs", response_model=Page[JobRead])
def list_jobs(
    db: DbDep,
    page: PageDep,
    _: Operator,
    status: JobStatus | None = None,
    name: Annotated[str | None, Query(max_length=80)] = None,
) -> Page[JobRead]:
    """The worker tier's jobs, newest first: queued, running, done or failed with the error."""
    with db.reader() as session:
        rows, total = jobs.list_jobs(
            session, status=status, name=name, limit=page.limit, offset=page.offset
        )
        return Page(
            items=[job_read(j) for j in rows], total=total, limit=page.limit, offset=page.offset
        )


@router.get("/api/v1/jobs/counts", response_model=JobCounts)
def job_counts(db: DbDep, _: Operator) -> JobCounts:
    """How many jobs are queued, running, done and failed."""
    with db.reader() as session:
        return JobCounts(**jobs.counts(session))


@router.get("/api/v1/jobs/{job_id}", response_model=JobRead)
def get_job(job_id: IdPath, db: DbDep, _: Operator) -> JobRead:
    """One job, with its progress while it runs and its result or error once over."""
    with db.reader() as session:
        return job_read(jobs.get_job(session, job_id))


@router.post("/api/v1/jobs/{job_id}/retry", response_model=JobRead)
def retry_job(job_id: IdPath, db: DbDep, who: Operator) -> JobRead:
    """Queue a failed job again (409 if it has not failed)."""
    with db.transaction() as session:
        return job_read(jobs.retry(session, job_id, actor=who.actor))
