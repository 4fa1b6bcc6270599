"""Acquisition routes: storefront event ingestion and the conversion funnel."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from maillon.acquisition import service
from maillon.acquisition.funnel import FunnelReport
from maillon.acquisition.schemas import (
    EventBatch,
    EventErrorRead,
    FunnelAnalysisRead,
    FunnelGroupRead,
    FunnelRead,
    IngestRead,
    StepRead,
)
from maillon.core.auth import Principal, Role
from maillon.core.http import DbDep, allow

router = APIRouter(tags=["acquisition"])
# The storefront's tag posts with an operator key (a dedicated "storefront" key of that role).
Storefront = Annotated[Principal, Depends(allow(Role.OPERATOR))]
Staff = Annotated[Principal, Depends(allow(Role.OPERATOR, Role.AGENT))]


@router.post("/api/v1/events", response_model=IngestRead)
def ingest(body: EventBatch, db: DbDep, _: Storefront) -> IngestRead:
    """Store a batch of up to 1,000 storefront events, idempotently by ``event_id``.

    Good events are stored; every bad one is named ``events.N.field`` in ``errors``.
    """
    with db.transaction() as session:
        report = service.ingest_events(session=session, events=body.events)
    return IngestRead(
        received=report.received,
        stored=report.stored,
        duplicates=report.duplicates,
        rejected=report.rejected,
        errors=[
            EventErrorRead(index=e.index, field=e.field, message=e.message) for e in report.errors
        ],
    )


def _funnel_fields(report: FunnelReport) -> dict[str, Any]:
    return {
        "sessions": report.sessions,
        "purchases": report.purchases,
        "conversion_rate": round(report.conversion_rate, 6),
        "cart_sessions": report.cart_sessions,
        "abandoned_carts": report.abandoned_carts,
        "cart_abandonment_rate": round(report.cart_abandonment_rate, 6),
        "abandoned_cart_value_cents": round(report.abandoned_cart_value),
        "steps": [
            StepRead(
                name=s.name,
                sessions=s.sessions,
                conversion=round(s.conversion, 6),
                abandonment=round(s.abandonment, 6),
                from_start=round(s.from_start, 6),
            )
            for s in report.steps
        ],
    }


@router.get("/api/v1/acquisition/funnel", response_model=FunnelAnalysisRead)
def get_funnel(
    db: DbDep,
    _: Staff,
    start: Annotated[datetime | None, Query(alias="from")] = None,
    end: Annotated[datetime | None, Query(alias="to")] = None,
    by: Annotated[
        str | None, Query(max_length=20, description="device, channel or landing_page")
    ] = None,
    checkout_steps: Annotated[int, Query(ge=0, le=10)] = 3,
) -> FunnelAnalysisRead:
    """Sessions, conversion and abandonment per funnel step, and cart-abandonment value,
    over ``[from, to)`` (default: the last 30 days), overall and per ``by``."""
    with db.reader() as session:
        result = service.funnel(
            session=session, start=start, end=end, by=by, checkout_steps=checkout_steps
        )
    return FunnelAnalysisRead(
        start=result.start,
        end=result.end,
        checkout_steps=result.checkout_steps,
        by=result.by,
        overall=FunnelRead(**_funnel_fields(result.overall)),
        groups=[FunnelGroupRead(key=g.key, **_funnel_fields(g.report)) for g in result.groups],
    )
