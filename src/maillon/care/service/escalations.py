"""The SLA check: tickets whose first-response or resolution clock nears or passes its target,
each warning and breach recorded once, breaches escalated as the merchant's policy says.

:func:`check_slas` is the one place this happens (the worker every five minutes, ``maillon
care sla-check`` by hand). For each active ticket it computes both clocks
(:func:`~maillon.care.service.clocks.ticket_sla`) and, for a warning or breach not recorded
yet, claims it with a conditional update of the ticket's ``<clock>_warned_at`` /
``<clock>_breached_at`` (so two runs at once record it once), writes it to the ticket's
history and tells the agents by e-mail (in the shop's language: agents have none of their
own). A breach of a clock still running is escalated (:class:`maillon.care.sla.Escalation`):
the priority goes one step up, the team lead is told and given the ticket if nobody holds it;
every breach publishes ``ticket.sla_breached``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from maillon.care.escalation import (
    Clock,
    Level,
    Person,
    SlaAlert,
    new_alerts,
    raised_priority,
    recipients,
)
from maillon.care.model import TicketStatus, ticket_reference
from maillon.care.service.agents import assign
from maillon.care.service.clocks import CALENDAR, sla_policy, ticket_sla
from maillon.care.service.history import record_event
from maillon.care.service.tickets import update_ticket
from maillon.care.sla import Escalation
from maillon.care.tables import CareAgent, Ticket
from maillon.core import clock, mail, outbox
from maillon.core.errors import FieldError, ValidationError

__all__ = ["SlaNotice", "check_slas"]

ACTOR = "sla-check"

_COLUMNS: dict[tuple[Clock, Level], Any] = {
    (Clock.FIRST_RESPONSE, Level.WARNING): Ticket.first_response_warned_at,
    (Clock.FIRST_RESPONSE, Level.BREACHED): Ticket.first_response_breached_at,
    (Clock.RESOLUTION, Level.WARNING): Ticket.resolution_warned_at,
    (Clock.RESOLUTION, Level.BREACHED): Ticket.resolution_breached_at,
}


@dataclass(frozen=True)
class SlaNotice:
    """A clock's warning or breach, recorded now: the ticket's priority after it, whether it
    was escalated, and the agents told (their e-mail addresses)."""

    ticket_id: int
    clock: str
    level: str
    priority: str
    escalated: bool
    told: tuple[str, ...]


def _recorded(ticket: Ticket, level: Level) -> set[Clock]:
    return {c for c in Clock if getattr(ticket, _COLUMNS[(c, level)].key) is not None}


def _claim(session: Session, ticket: Ticket, alert: SlaAlert) -> bool:
    """Record the alert on the ticket unless a run did already (a conditional update)."""
    column = _COLUMNS[(alert.clock, alert.level)]
    done = session.execute(
        update(Ticket)
        .where(Ticket.id == ticket.id, column.is_(None))
        .values({column.key: clock.now()})
        .execution_options(synchronize_session=False)
    )
    return getattr(done, "rowcount", 0) == 1


def _person(agent: CareAgent | None) -> Person | None:
    return None if agent is None else Person(agent.name, agent.email or "")


def _lead(session: Session, escalation: Escalation) -> CareAgent | None:
    """The policy's team lead, if they are still an active agent."""
    if escalation.lead is None:
        return None
    lead = session.scalar(select(CareAgent).where(CareAgent.name == escalation.lead))
    return lead if lead is not None and lead.active else None


def _tell(
    session: Session, ticket: Ticket, alert: SlaAlert, lead: CareAgent | None
) -> tuple[str, ...]:
    """E-mail the agents who should know of ``alert``; return their addresses."""
    skilled = [
        Person(a.name, a.email or "")
        for a in session.scalars(
            select(CareAgent).where(CareAgent.active.is_(True)).order_by(CareAgent.name)
        )
        if ticket.category in (a.skills or ())
    ]
    chosen = recipients(
        level=alert.level, assignee=_person(ticket.assignee), lead=_person(lead), skilled=skilled
    )
    due = alert.due_at.astimezone(ZoneInfo(CALENDAR.timezone))
    locale = mail.choose_locale(shop=outbox.shop_locale())
    for person in chosen:
        outbox.notify(
            session,
            topic=f"ticket.sla_{alert.level.value}",
            locale=locale,
            recipient=person.email,
            context={
                "customer_name": person.name,
                "ref": ticket_reference(ticket.id),
                "ticket_id": ticket.id,
                "ticket_subject": ticket.subject,
                "clock": alert.clock.value,
                "priority": ticket.priority,
                "due_day": due.date(),
                "due_at": due,
            },
            payload={"ticket": ticket.id, "clock": alert.clock.value, "level": alert.level.value},
        )
    return tuple(p.email for p in chosen)


def _escalate(session: Session, ticket: Ticket, lead: CareAgent | None, actor: str) -> bool:
    """Raise the priority and hand an unheld ticket to the lead, as the policy says; return
    whether anything changed."""
    escalation = sla_policy(session=session).escalation
    changed = False
    if escalation.raise_priority:
        higher = raised_priority(ticket.priority)
        if higher != ticket.priority:
            update_ticket(session=session, ticket_id=ticket.id, actor=actor, priority=higher)
            changed = True
    if lead is not None and ticket.assignee_id is None:
        assign(session=session, ticket_id=ticket.id, actor=actor, agent=str(lead.id))
        changed = True
    return changed


def _breach(
    session: Session,
    ticket: Ticket,
    alert: SlaAlert,
    lead: CareAgent | None,
    actor: str,
    escalate: bool,
) -> SlaNotice:
    before = ticket.priority
    escalated = escalate and alert.running and _escalate(session, ticket, lead, actor)
    due = f"due {clock.as_utc(alert.due_at):%Y-%m-%d %H:%M} UTC"
    if escalated:
        due += f", escalated (priority {ticket.priority})"
    record_event(ticket, "sla", "", f"{alert.clock.value} breached", actor, due)
    told = _tell(session, ticket, alert, lead)
    outbox.publish(
        session,
        "ticket.sla_breached",
        {
            "ticket_id": ticket.id,
            "reference": ticket_reference(ticket.id),
            "order_id": ticket.order_id,
            "clock": alert.clock.value,
            "due_at": clock.as_utc(alert.due_at).isoformat(),
            "running": alert.running,
            "priority": ticket.priority,
            "previous_priority": before,
            "escalated": escalated,
            "assignee": ticket.assignee.name if ticket.assignee is not None else None,
        },
    )
    return SlaNotice(
        ticket.id, alert.clock.value, alert.level.value, ticket.priority, escalated, told
    )


def _warn(
    session: Session, ticket: Ticket, alert: SlaAlert, lead: CareAgent | None, actor: str
) -> SlaNotice:
    due = f"due {clock.as_utc(alert.due_at):%Y-%m-%d %H:%M} UTC"
    record_event(ticket, "sla", "", f"{alert.clock.value} warning", actor, due)
    warn = sla_policy(session=session).escalation.warn_assignee
    told = _tell(session, ticket, alert, lead) if warn else ()
    return SlaNotice(ticket.id, alert.clock.value, alert.level.value, ticket.priority, False, told)


def check_slas(*, session: Session, actor: str = ACTOR, limit: int = 500) -> list[SlaNotice]:
    """Record, escalate and tell every SLA warning and breach of the active tickets not
    recorded yet (at most ``limit`` of them), by ticket id then clock; return them.

    A second run at the same moment records nothing. Resolved and closed tickets are left
    alone; a clock paused while the ticket waits on the customer is not warned about. Raises
    ValidationError (``limit`` below 1).
    """
    if limit < 1:
        raise ValidationError(FieldError("limit", "must be at least 1"))
    now = clock.now()
    lead = _lead(session, sla_policy(session=session).escalation)
    tickets = session.scalars(
        select(Ticket)
        .where(
            Ticket.status.not_in((TicketStatus.RESOLVED.value, TicketStatus.CLOSED.value)),
            or_(
                Ticket.first_response_breached_at.is_(None),
                Ticket.resolution_breached_at.is_(None),
            ),
        )
        .order_by(Ticket.id)
    ).all()
    notices: list[SlaNotice] = []
    for ticket in tickets:
        state = ticket_sla(ticket, now)
        alerts = new_alerts(
            state,
            warned=_recorded(ticket, Level.WARNING),
            breached=_recorded(ticket, Level.BREACHED),
        )
        escalate = True  # one escalation per ticket and run, however many clocks breach
        for alert in alerts:
            if len(notices) >= limit:
                return notices
            if not _claim(session, ticket, alert):
                continue  # another run recorded it first
            if alert.level is Level.BREACHED:
                notices.append(_breach(session, ticket, alert, lead, actor, escalate))
                escalate = escalate and not notices[-1].escalated
            else:
                notices.append(_warn(session, ticket, alert, lead, actor))
    return notices
