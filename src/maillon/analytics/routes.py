"""KPI routes."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from maillon.analytics import service
from maillon.api.deps import DbDep, allow
from maillon.core.auth import Principal, Role

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
