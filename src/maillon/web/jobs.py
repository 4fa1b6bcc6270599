"""Console page of the worker tier: what is queued, running, done or failed (with the
error), progress of long jobs, and a retry button for failed ones. The page calls
:mod:`maillon.core.jobs`."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Annotated, Any

from fastapi import Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from maillon.core import jobs
from maillon.core.errors import MaillonError, ValidationError
from maillon.core.jobs import JobStatus
from maillon.core.tables import Job
from maillon.core.users import ConsoleUser
from maillon.web.console import (
    OperatorForm,
    OperatorPage,
    console_router,
    database,
    error_status,
    on_refusal,
    page_count,
    render,
)

router = console_router()

JOBS_PAGE = 50
FILTERS = ("", *(s.value for s in JobStatus))

#: What each job does, as people read it (French in ``web/french/jobs.py``).
JOB_LABELS = {
    "outbox.deliver": "Send e-mails and text messages",
    "orders.holds_sweep": "Release expired checkout holds",
    "delivery.collect_sweep": "Release uncollected click & collect reservations",
    "shipping.detect_delays": "Detect late shipments",
    "shipping.pull_tracking": "Pull tracking events from the carriers",
    "analytics.refresh": "Refresh the KPI figures",
    "channels.push_fulfillment": "Tell the shop an order shipped",
    "channels.push_stock": "Send stock levels to the shops",
    "channels.drift": "Compare a shop's stock with ours",
    "webhooks.deliver": "Send a webhook",
    "care.sla_check": "Check ticket SLAs and escalate breaches",
    "inventory.sensor_check": "Alert on silent shelf sensors",
    "returns.expire": "Close returns whose parcel never arrived",
    "returns.issue_label": "Issue a prepaid return label the carrier could not issue earlier",
    "planning.forecast": "Forecast the demand",
    "delivery.plan_routes": "Plan the delivery routes",
    "delivery.replan_routes": "Re-plan the delivery routes",
    "warehouse.release_wave": "Release a large wave",
    "delivery.what_if": "Solve a micro-warehouse what-if",
}


def job_note(
    session: Session,
    name: str,
    *,
    kind: str,
    queued: int | None = None,
    match: Callable[[dict[str, Any]], bool] | None = None,
) -> dict[str, Any]:
    """What a page that shows the result of the jobs ``name`` says of them (the template
    ``_job_progress.html``): ``queued``, the job it just recorded (from its redirect), and
    ``working``, the newest one queued or running (whose ``args`` ``match``), with its
    progress in percent. ``kind`` chooses the words (``forecast``, ``routes``). Once the job
    queued is over, the page shows its result and no longer says it was queued."""
    active = jobs.active(session, name)
    working = next((j for j in active if match is None or match(j.args)), None)
    return {
        "kind": kind,
        "queued": queued if any(j.id == queued for j in active) else None,
        "working": None
        if working is None
        else {
            "id": working.id,
            "status": working.status,
            "percent": round(100 * (working.progress or 0.0)),
            "note": working.progress_note or "",
        },
    }


def _row(job: Job) -> dict[str, Any]:
    return {
        "id": job.id,
        "name": job.name,
        "label": JOB_LABELS.get(job.name, job.name),
        "status": job.status,
        "attempts": job.attempts,
        "max_attempts": job.max_attempts,
        "error": job.error,
        "progress": job.progress,
        "progress_note": job.progress_note,
        "requested_by": job.requested_by,
        "created_at": job.created_at,
        "finished_at": job.finished_at,
        "run_after": job.run_after,
    }


def _jobs_page(
    request: Request,
    user: ConsoleUser,
    *,
    status: str,
    page: int,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    if status not in FILTERS:
        raise ValidationError(f"unknown status {status!r}")
    with database(request).reader() as session:
        found, total = jobs.list_jobs(
            session,
            status=JobStatus(status) if status else None,
            limit=JOBS_PAGE,
            offset=(page - 1) * JOBS_PAGE,
        )
        counts = jobs.counts(session)
    return render(
        request,
        "jobs.html",
        user,
        status_code=status_code,
        items=[_row(j) for j in found],
        total=total,
        counts=counts,
        status=status,
        filters=FILTERS,
        page=page,
        pages=page_count(total, JOBS_PAGE),
        error=error,
    )


def _list_refused(
    request: Request, user: ConsoleUser, exc: MaillonError, values: Mapping[str, str]
) -> Response:
    """Every job, with the filter's refusal."""
    return _jobs_page(
        request, user, status="", page=1, error=exc.message, status_code=error_status(exc)
    )


@router.get("/jobs", response_class=HTMLResponse)
@on_refusal(_list_refused)
def jobs_page(
    request: Request,
    user: OperatorPage,
    status: Annotated[str, Query(max_length=20)] = "",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    """The jobs, newest first, filtered by status."""
    return _jobs_page(request, user, status=status, page=page)


def _retry_refused(
    request: Request, user: ConsoleUser, exc: MaillonError, values: Mapping[str, str]
) -> Response:
    """The failed jobs, with the refusal naming the job."""
    return _jobs_page(
        request,
        user,
        status=JobStatus.FAILED.value,
        page=1,
        error=f"#{values.get('job_id', '')}: {exc.message}",
        status_code=error_status(exc),
    )


@router.post("/jobs/{job_id}/retry")
@on_refusal(_retry_refused)
def retry_job(
    request: Request,
    user: OperatorForm,
    job_id: Annotated[int, Path(ge=1, le=2_147_483_647)],
) -> Response:
    """Queue a failed job again."""
    with database(request).transaction() as session:
        jobs.retry(session, job_id, actor=user.principal.actor)
    return RedirectResponse("/jobs?status=failed", status_code=303)
