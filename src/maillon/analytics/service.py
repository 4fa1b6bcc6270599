"""KPI use cases: fetch the facts of a period and summarise them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from maillon.analytics.kpi import KpiSummary, OrderFacts, summarise
from maillon.care.tables import Ticket
from maillon.core.clock import as_utc
from maillon.orders.tables import Order, OrderEvent
from maillon.returns.tables import ReturnRequest


def kpi_summary(
    *, session: Session, start: datetime | None = None, end: datetime | None = None
) -> KpiSummary:
    """Return the KPI summary of orders created (and tickets opened) in [start, end)."""
    query = select(
        Order.id,
        Order.created_at,
        Order.status,
        Order.total_cents,
        Order.promised_at,
        Order.shipped_at,
        Order.delivered_at,
    )
    tickets = select(Ticket.created_at, Ticket.first_response_at)
    if start:
        query = query.where(Order.created_at >= start)
        tickets = tickets.where(Ticket.created_at >= start)
    if end:
        query = query.where(Order.created_at < end)
        tickets = tickets.where(Ticket.created_at < end)
    backordered = set(
        session.scalars(
            select(OrderEvent.order_id).where(OrderEvent.to_status == "backordered").distinct()
        )
    )
    returned = set(session.scalars(select(ReturnRequest.order_id).distinct()))

    def opt(value: datetime | None) -> datetime | None:
        return as_utc(value) if value is not None else None

    facts = [
        OrderFacts(
            created_at=as_utc(r.created_at),
            status=r.status,
            total_cents=r.total_cents,
            promised_at=opt(r.promised_at),
            shipped_at=opt(r.shipped_at),
            delivered_at=opt(r.delivered_at),
            ever_backordered=r.id in backordered,
            returned=r.id in returned,
        )
        for r in session.execute(query)
    ]
    responses = [
        (as_utc(first) - as_utc(created)).total_seconds() / 3600 if first else None
        for created, first in session.execute(tickets)
    ]
    return summarise(facts, responses)
