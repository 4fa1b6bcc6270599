"""KPI routes."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import PlainTextResponse, Response

from maillon.analytics import service
from maillon.analytics.definitions import DIMENSIONS, KPIS
from maillon.analytics.queries.freshness import last_refresh
from maillon.core.auth import Principal, Role
from maillon.core.http import DbDep, allow

router = APIRouter(prefix="/api/v1/kpi", tags=["analytics"])


@router.get("")
def kpi(
    db: DbDep,
    _: Annotated[Principal, Depends(allow(Role.OPERATOR, Role.AGENT))],
    start: Annotated[datetime | None, Query(alias="from")] = None,
    end: Annotated[datetime | None, Query(alias="to")] = None,
) -> dict[str, Any]:
    """Headline KPIs of orders created in [from, to)."""
    with db.reader() as session:
        summary = service.kpi_summary(session=session, start=start, end=end)
    out = asdict(summary)
    out["orders_per_day"] = {d.isoformat(): n for d, n in summary.orders_per_day.items()}
    return out


@router.get("/catalogue")
def catalogue(
    _: Annotated[Principal, Depends(allow(Role.OPERATOR, Role.AGENT))],
) -> list[dict[str, Any]]:
    """Every KPI with its formula, unit and which way is better."""
    return [asdict(k) for k in KPIS]


@router.get("/table", response_model=None)
def kpi_table(
    db: DbDep,
    _: Annotated[Principal, Depends(allow(Role.OPERATOR, Role.AGENT))],
    start: Annotated[datetime | None, Query(alias="from")] = None,
    end: Annotated[datetime | None, Query(alias="to")] = None,
    by: Annotated[str | None, Query(description=f"one of {', '.join(DIMENSIONS)}")] = None,
    format: Annotated[str, Query(pattern="^(json|csv)$")] = "json",
) -> Response | dict[str, Any]:
    """All KPIs of orders created (tickets opened, sessions started) in [from, to), split by
    ``by``; ``breakdowns`` holds the returned units per reason code of each row; CSV with
    ``format=csv``. The figures are those of the facts as last refreshed, at ``refreshed_at``
    (null: never; the worker refreshes them every minute, ``POST /api/v1/kpi/refresh`` asks
    for it now); the CSV carries that time in its ``X-Refreshed-At`` header."""
    with db.reader() as session:
        table = service.compute_kpis(session=session, start=start, end=end, by=by)
        refreshed_at = last_refresh(session)
    if format == "csv":
        return PlainTextResponse(
            table.to_csv(),
            media_type="text/csv",
            headers={
                "Content-Disposition": 'attachment; filename="kpis.csv"',
                "X-Refreshed-At": refreshed_at.isoformat() if refreshed_at else "never",
            },
        )
    return {
        "from": start,
        "to": end,
        "by": by,
        "refreshed_at": refreshed_at,
        "rows": table.rows,
        "breakdowns": table.breakdowns,
    }


@router.post("/refresh", status_code=202)
def refresh(
    db: DbDep,
    principal: Annotated[Principal, Depends(allow(Role.OPERATOR, Role.AGENT))],
) -> dict[str, Any]:
    """Ask the worker tier for fresh figures now (it also refreshes them every minute); the
    answer names the job (a refresh already waiting is that one). Read the figures again once
    the job is done: their ``refreshed_at`` moves on."""
    with db.transaction() as session:
        job_id = service.request_refresh(session=session, requested_by=principal.actor)
    return {"job_id": job_id, "job": service.REFRESH_JOB}
