"""Agents and assignment: agents and their skills (ticket categories), routing a ticket to the
next agent holding its category, and assigning by hand or by strategy."""

from __future__ import annotations

import re
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from maillon.care.model import AgentCandidate, TicketStatus, pick_agent
from maillon.care.service.history import get_ticket, record_event
from maillon.care.tables import CareAgent, Ticket
from maillon.core import clock
from maillon.core.errors import (
    Conflict,
    DuplicateError,
    ErrorCollector,
    FieldError,
    NotFound,
    ValidationError,
)
from maillon.orders.validation import normalise_email

_CATEGORY = re.compile(r"^[a-z][a-z0-9_-]{0,39}$")


def check_category(errors: ErrorCollector, category: str | None, field: str = "category") -> None:
    """Add an error on ``field`` unless ``category`` (a ticket category or an agent's skill) is
    None or well formed."""
    if category is not None and not _CATEGORY.match(category):
        errors.add(field, "1-40 lower-case letters, digits, - or _, starting with a letter")


def agent_by_key(session: Session, key: str | int, field: str) -> CareAgent:
    """Return the agent named ``key`` (its name, or id). Raises NotFound naming ``field``."""
    agent = None
    if isinstance(key, int) or (isinstance(key, str) and key.isdigit()):
        agent = session.get(CareAgent, int(key))
    if agent is None and isinstance(key, str):
        agent = session.scalar(select(CareAgent).where(CareAgent.name == key.strip()))
    if agent is None:
        raise NotFound("agent", key, field=field)
    return agent


def route(session: Session, ticket: Ticket, actor: str) -> None:
    """Give an unassigned ticket to the next agent with its category as a skill (if any)."""
    candidates = session.scalars(select(CareAgent).where(CareAgent.active.is_(True))).all()
    chosen = pick_agent(
        (_candidate(a) for a in candidates),
        skill=ticket.category,
    )
    if chosen is not None:
        _assign_to(ticket, session.get(CareAgent, chosen.id), actor, note="routed by intent")


def _candidate(agent: CareAgent) -> AgentCandidate:
    return AgentCandidate(
        id=agent.id,
        skills=frozenset(agent.skills or ()),
        active=agent.active,
        last_assigned_at=agent.last_assigned_at,
    )


def _assign_to(ticket: Ticket, agent: CareAgent | None, actor: str, note: str = "") -> None:
    if agent is None:
        return
    old = ticket.assignee.name if ticket.assignee is not None else ""
    ticket.assignee = agent
    ticket.assignee_id = agent.id
    agent.last_assigned_at = clock.now()
    record_event(ticket, "assignee", old, agent.name, actor, note)


def add_agent(
    *, session: Session, name: str, email: str = "", skills: Sequence[str] = ()
) -> CareAgent:
    """Add an agent. Raises ValidationError (name, email, skills), DuplicateError (name)."""
    errors = ErrorCollector()
    clean = (name or "").strip()
    if not clean or len(clean) > 120 or clean.isdigit():
        errors.add("name", "1-120 characters, not only digits")
    address = ""
    if email:
        address = normalise_email(email) or ""
        if not address:
            errors.add("email", "is not a valid e-mail address")
    for i, skill in enumerate(skills):
        check_category(errors, skill, f"skills.{i}")
    errors.raise_if_any()
    if session.scalar(select(CareAgent.id).where(CareAgent.name == clean)) is not None:
        raise DuplicateError("agent", "name", clean)
    agent = CareAgent(
        name=clean,
        email=address,
        skills=sorted(set(skills)),
        active=True,
        created_at=clock.now(),
    )
    session.add(agent)
    session.flush()
    return agent


def update_agent(
    *,
    session: Session,
    agent_id: int,
    skills: Sequence[str] | None = None,
    active: bool | None = None,
) -> CareAgent:
    """Change an agent's skills or active flag. Raises NotFound, ValidationError (skills)."""
    errors = ErrorCollector()
    for i, skill in enumerate(skills or ()):
        check_category(errors, skill, f"skills.{i}")
    errors.raise_if_any()
    agent = session.get(CareAgent, agent_id)
    if agent is None:
        raise NotFound("agent", agent_id, field="agent_id")
    if skills is not None:
        agent.skills = sorted(set(skills))
    if active is not None:
        agent.active = active
    return agent


def list_agents(*, session: Session) -> Sequence[CareAgent]:
    """Return every agent by name."""
    return session.scalars(select(CareAgent).order_by(CareAgent.name)).all()


def assign(
    *,
    session: Session,
    ticket_id: int,
    actor: str,
    agent: str | None = None,
    strategy: str = "round_robin",
) -> Ticket:
    """Assign a ticket to ``agent`` (name or id) or, without one, by ``strategy``:
    ``round_robin`` (the active agent assigned least recently) or ``skill`` (the same among
    agents whose skills include the ticket's category).

    Raises ValidationError (strategy), NotFound (ticket, agent), Conflict (closed ticket,
    inactive agent, nobody available).
    """
    if strategy not in ("round_robin", "skill"):
        raise ValidationError(FieldError("strategy", "one of round_robin, skill"))
    ticket = get_ticket(session=session, ticket_id=ticket_id)
    if ticket.status == TicketStatus.CLOSED:
        raise Conflict(f"ticket {ticket_id} is closed")
    if agent is not None:
        chosen = agent_by_key(session, agent, "agent")
        if not chosen.active:
            raise Conflict(f"agent {chosen.name!r} is not active")
        _assign_to(ticket, chosen, actor)
        return ticket
    agents = session.scalars(select(CareAgent).where(CareAgent.active.is_(True))).all()
    skill = ticket.category if strategy == "skill" else None
    pick = pick_agent((_candidate(a) for a in agents), skill=skill)
    if pick is None:
        what = f" with the skill {skill!r}" if skill else ""
        raise Conflict(f"no active agent{what} to assign ticket {ticket_id} to")
    _assign_to(ticket, session.get(CareAgent, pick.id), actor, note=strategy)
    return ticket
