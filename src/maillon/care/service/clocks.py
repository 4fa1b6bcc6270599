"""The SLA clocks: the service desk's calendar, the merchant's SLA policy (stored, read once
per session) and both clocks of a ticket, computed on read from its status history."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session, object_session

from maillon.care import sla
from maillon.care.policy_doc import policy_document, policy_from_document
from maillon.care.service.agents import agent_by_key
from maillon.care.tables import CareSettings, Ticket
from maillon.core import clock

CALENDAR = sla.BusinessCalendar()
"""The service desk's hours: Monday-Friday 09:00-18:00 Paris time, French public holidays."""
POLICY = sla.SlaPolicy()
"""First-response and resolution targets by priority (see ``sla.DEFAULT_TARGETS``)."""


_POLICY_KEY = "maillon_care_policy"


def sla_policy(*, session: Session) -> sla.SlaPolicy:
    """Return the merchant's SLA policy (:data:`POLICY` until they set one), read once per
    session."""
    found = session.info.get(_POLICY_KEY)
    if isinstance(found, sla.SlaPolicy):
        return found
    row = session.get(CareSettings, 1)
    policy = policy_from_document(row.document) if row is not None else POLICY
    session.info[_POLICY_KEY] = policy
    return policy


def set_sla_policy(*, session: Session, document: Any, actor: str) -> sla.SlaPolicy:
    """Validate and store the merchant's SLA policy; open tickets' clocks follow it at once.
    Raises ValidationError naming every bad field (``targets.2.priority``), NotFound for an
    escalation lead who is not an agent (``escalation.lead``)."""
    policy = policy_from_document(document)
    if policy.escalation.lead is not None:
        agent_by_key(session, policy.escalation.lead, "escalation.lead")
    row = session.get(CareSettings, 1)
    stored = policy_document(policy)
    if row is None:
        session.add(
            CareSettings(id=1, document=stored, updated_by=actor[:120], updated_at=clock.now())
        )
    else:
        row.document, row.updated_by, row.updated_at = stored, actor[:120], clock.now()
    session.info[_POLICY_KEY] = policy
    return policy


def ticket_sla(ticket: Ticket, now: datetime | None = None) -> sla.SlaState:
    """Return both SLA clocks of ``ticket`` at ``now`` (default: the clock's now), under the
    merchant's policy (:func:`sla_policy`)."""
    session = object_session(ticket)
    policy = sla_policy(session=session) if session is not None else POLICY
    events = [(clock.as_utc(e.at), e.new) for e in ticket.events if e.kind == "status"]
    opened = clock.as_utc(ticket.created_at)

    def stamp(value: datetime | None) -> datetime | None:
        return None if value is None else max(clock.as_utc(value), opened)

    return sla.sla_state(
        policy=policy,
        calendar=CALENDAR,
        opened_at=opened,
        now=now or clock.now(),
        events=events,
        first_response_at=stamp(ticket.first_response_at),
        resolved_at=stamp(ticket.resolved_at),
        priority=ticket.priority,
        category=ticket.category,
    )
