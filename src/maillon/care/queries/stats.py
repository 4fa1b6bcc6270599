"""Service figures: first-response and resolution times (business hours), CSAT and SLA
breaches per agent and per category, over the tickets opened in a period."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from maillon.care import sla
from maillon.care.model import GroupStats, TicketFacts, summarise
from maillon.care.service import CALENDAR, ticket_sla
from maillon.care.tables import CsatSurvey, Ticket
from maillon.core import clock
from maillon.core.errors import FieldError, ValidationError


def _hours(start: datetime, end: datetime | None) -> float | None:
    if end is None:
        return None
    span = sla.business_time_between(CALENDAR, clock.as_utc(start), clock.as_utc(end))
    return max(span.total_seconds(), 0.0) / 3600


@dataclass(frozen=True)
class ServiceStats:
    """Service figures over tickets opened in a period (times in business hours)."""

    tickets: int
    overall: GroupStats | None
    by_agent: list[GroupStats]
    by_category: list[GroupStats]
    sla: sla.SlaTally


def service_stats(
    *, session: Session, start: datetime | None = None, end: datetime | None = None
) -> ServiceStats:
    """Return first-response and resolution times (business hours), CSAT and SLA breaches per
    agent and per category, over the tickets opened in ``[start, end)``.

    Raises ValidationError (``to``) when ``end`` is not after ``start``.
    """
    if start is not None and end is not None and end <= start:
        raise ValidationError(FieldError("to", "must be after from"))
    query = select(Ticket)
    if start is not None:
        query = query.where(Ticket.created_at >= start)
    if end is not None:
        query = query.where(Ticket.created_at < end)
    tickets = session.scalars(query.order_by(Ticket.id)).all()
    scores = dict(
        session.execute(
            select(CsatSurvey.ticket_id, CsatSurvey.score).where(
                CsatSurvey.score.is_not(None),
                CsatSurvey.ticket_id.in_([t.id for t in tickets] or [0]),
            )
        ).all()
    )
    now = clock.now()
    facts = []
    states = []
    for t in tickets:
        state = ticket_sla(t, now)
        states.append(state)
        facts.append(
            TicketFacts(
                agent=t.assignee.name if t.assignee is not None else "(unassigned)",
                category=t.category,
                first_response_h=_hours(t.created_at, t.first_response_at),
                resolution_h=_hours(t.created_at, t.resolved_at),
                csat=scores.get(t.id),
                breaches=state.breaches,
            )
        )
    everyone = summarise([replace(f, agent="all") for f in facts], by="agent")
    return ServiceStats(
        tickets=len(tickets),
        overall=everyone[0] if everyone else None,
        by_agent=summarise(facts, by="agent"),
        by_category=summarise(facts, by="category"),
        sla=sla.tally(states),
    )
