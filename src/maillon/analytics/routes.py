"""KPI routes."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import PlainTextResponse, Response

from maillon.analytics import service
from maillon.analytics.definitions import DIMENSIONS, KPIS
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
    ``format=csv``."""
    table = service.kpis(db, start=start, end=end, by=by)
    if format == "csv":
        return PlainTextResponse(
            table.to_csv(),
            media_type="text/csv",
            headers={"Content-Disposition": 'attachment; filename="kpis.csv"'},
        )
    return {
        "from": start,
        "to": end,
        "by": by,
        "rows": table.rows,
        "breakdowns": table.breakdowns,
    }
