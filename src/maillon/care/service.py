"""After-sales use cases: tickets from every channel, workflow, SLA clocks, assignment, replies
and notes, suggested replies, inbound e-mail, proactive tickets, CSAT and service stats.

Every function takes the caller's ``session`` (one transaction per use case); messages to the
customer go through the outbox in that transaction. The SLA clocks are computed on read from the
ticket's status history (:mod:`maillon.care.sla`); the intent model lives in
:mod:`maillon.care.classify`, the FAQ assistant in :mod:`maillon.care.assistant`.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, object_session

from maillon.care import classify, sla, templates
from maillon.care.faq import detect_language
from maillon.care.model import (
    CHANNELS,
    PRIORITIES,
    AgentCandidate,
    can_transition,
    category_of_intent,
    find_order_numbers,
    find_ticket_reference,
    parse_sender,
    pick_agent,
    status_after_customer_message,
    ticket_reference,
)
from maillon.care.policy_doc import policy_document, policy_from_document
from maillon.care.tables import (
    CareAgent,
    CareSettings,
    CsatSurvey,
    Ticket,
    TicketEvent,
    TicketMessage,
)
from maillon.core import clock, outbox
from maillon.core.errors import (
    Conflict,
    DuplicateError,
    ErrorCollector,
    FieldError,
    InvalidTransition,
    NotFound,
    ValidationError,
)
from maillon.orders import service as orders
from maillon.orders.tables import Customer, Order
from maillon.orders.validation import normalise_email
from maillon.returns.tables import ReturnRequest
from maillon.shipping.tables import Shipment

__all__ = [
    "CALENDAR",
    "POLICY",
    "SYSTEM",
    "Inbound",
    "add_agent",
    "add_note",
    "answer_csat",
    "assign",
    "close_ticket",
    "csat_survey",
    "get_ticket",
    "list_agents",
    "list_tickets",
    "on_return_requested",
    "on_shipment_delayed",
    "open_ticket",
    "receive_email",
    "reply",
    "set_sla_policy",
    "sla_policy",
    "ticket_sla",
    "update_agent",
    "update_ticket",
]

CALENDAR = sla.BusinessCalendar()
"""The service desk's hours: Monday-Friday 09:00-18:00 Paris time, French public holidays."""
POLICY = sla.SlaPolicy()
"""First-response and resolution targets by priority (see ``sla.DEFAULT_TARGETS``)."""
SYSTEM = "system"
_CATEGORY = re.compile(r"^[a-z][a-z0-9_-]{0,39}$")
_INTENT = re.compile(r"^[a-z][a-z0-9_]{0,59}$")
SLA_FILTERS = ("breached", "warning", "ok")


# --- helpers ----------------------------------------------------------------------------------


def _event(ticket: Ticket, kind: str, old: str, new: str, actor: str, note: str = "") -> None:
    ticket.events.append(
        TicketEvent(
            at=clock.now(),
            actor=actor[:120],
            kind=kind,
            old=old[:120],
            new=new[:120],
            note=note[:300],
        )
    )


def _check_category(errors: ErrorCollector, category: str | None, field: str = "category") -> None:
    if category is not None and not _CATEGORY.match(category):
        errors.add(field, "1-40 lower-case letters, digits, - or _, starting with a letter")


def _customer_message(ticket: Ticket, body: str, external_id: str | None = None) -> None:
    ticket.messages.append(
        TicketMessage(
            author=ticket.customer_email,
            body=body,
            internal=False,
            kind="customer",
            external_id=external_id,
            at=clock.now(),
        )
    )


def _set_status(ticket: Ticket, target: str, actor: str, note: str = "") -> None:
    """Move ``ticket`` to ``target``, stamping the clocks. Raises InvalidTransition."""
    current = ticket.status
    if current == target:
        return
    if not can_transition(current, target):
        raise InvalidTransition("ticket", current, target)
    now = clock.now()
    ticket.status = target
    if target == "resolved":
        ticket.resolved_at = now
        _send_survey(ticket)
    elif target == "closed":
        ticket.closed_at = now
        if ticket.resolved_at is None:
            ticket.resolved_at = now
    elif current == "resolved":  # reopened
        ticket.resolved_at = None
    _event(ticket, "status", current, target, actor, note)


def _send_survey(ticket: Ticket) -> None:
    """Create (once per ticket) the CSAT survey and e-mail its link to the customer."""
    session = _session_of(ticket)
    if session.scalar(select(CsatSurvey.id).where(CsatSurvey.ticket_id == ticket.id)) is not None:
        return
    token = secrets.token_urlsafe(24)
    session.add(CsatSurvey(ticket_id=ticket.id, token=token, sent_at=clock.now(), comment=""))
    ref = ticket_reference(ticket.id)
    if ticket.language == "fr":
        subject = f"Votre avis sur notre réponse [{ref}]"
        body = (
            "Bonjour,\n\nVotre demande est résolue. Comment évaluez-vous notre aide, de 1 "
            f"(mauvaise) à 5 (excellente) ?\nDonnez votre note ici : /csat/{token}\n"
        )
    else:
        subject = f"How did we do? [{ref}]"
        body = (
            "Hello,\n\nYour request is resolved. How would you rate our help, from 1 (poor) to "
            f"5 (excellent)?\nRate us here: /csat/{token}\n"
        )
    outbox.enqueue_message(
        session,
        topic="ticket.csat",
        recipient=ticket.customer_email,
        subject=subject,
        body=body,
        payload={"ticket": ticket.id, "csat_token": token},
    )


def _session_of(ticket: Ticket) -> Session:
    session = object_session(ticket)
    assert session is not None, "ticket must belong to a session"
    return session


def _agent_by_key(session: Session, key: str | int, field: str) -> CareAgent:
    """Return the agent named ``key`` (its name, or id). Raises NotFound naming ``field``."""
    agent = None
    if isinstance(key, int) or (isinstance(key, str) and key.isdigit()):
        agent = session.get(CareAgent, int(key))
    if agent is None and isinstance(key, str):
        agent = session.scalar(select(CareAgent).where(CareAgent.name == key.strip()))
    if agent is None:
        raise NotFound("agent", key, field=field)
    return agent


def _route(session: Session, ticket: Ticket, actor: str) -> None:
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
    _event(ticket, "assignee", old, agent.name, actor, note)


# --- agents -----------------------------------------------------------------------------------


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
        _check_category(errors, skill, f"skills.{i}")
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
        _check_category(errors, skill, f"skills.{i}")
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


# --- tickets ----------------------------------------------------------------------------------


def open_ticket(
    *,
    session: Session,
    email: str,
    subject: str,
    body: str,
    order_number: str | None = None,
    priority: str = "normal",
    category: str | None = None,
    channel: str = "api",
    shipment_id: int | None = None,
    return_id: int | None = None,
    language: str | None = None,
    actor: str | None = None,
    source_key: str | None = None,
    classify_intent: bool = True,
    message_kind: str = "customer",
    external_id: str | None = None,
) -> Ticket:
    """Open a ticket (status ``new``), linked to the customer and what it is about.

    The message is classified; a confident intent sets the category (unless given) and routes
    the ticket to an agent holding that skill, round-robin. Raises ValidationError naming bad
    fields, NotFound for an unknown order (``order``) or shipment/return (their ids).
    """
    errors = ErrorCollector()
    normalised = normalise_email(email or "")
    if normalised is None:
        errors.add("email", "is not a valid e-mail address")
    if not subject or not subject.strip() or len(subject) > 200:
        errors.add("subject", "1-200 characters")
    if not body or not body.strip():
        errors.add("body", "is required")
    if priority not in PRIORITIES:
        errors.add("priority", f"one of {', '.join(PRIORITIES)}")
    _check_category(errors, category)
    if channel not in CHANNELS:
        errors.add("channel", f"one of {', '.join(CHANNELS)}")
    if language is not None and language not in templates.LANGUAGES:
        errors.add("language", f"one of {', '.join(templates.LANGUAGES)}")
    errors.raise_if_any()
    assert normalised is not None
    order = None
    if order_number:
        order = orders.get_order(session=session, number=order_number, field="order")
    if shipment_id is not None:
        shipment = session.get(Shipment, shipment_id)
        if shipment is None:
            raise NotFound("shipment", shipment_id, field="shipment_id")
        if order is None:
            order = session.get(Order, shipment.order_id)
    if return_id is not None:
        request = session.get(ReturnRequest, return_id)
        if request is None:
            raise NotFound("return", return_id, field="return_id")
        if order is None:
            order = session.get(Order, request.order_id)
    customer_id = session.scalar(select(Customer.id).where(Customer.email == normalised))
    text = f"{subject.strip()}\n{body.strip()}"
    now = clock.now()
    who = actor or normalised
    ticket = Ticket(
        customer_email=normalised,
        customer_id=customer_id,
        order_id=order.id if order is not None else None,
        shipment_id=shipment_id,
        return_id=return_id,
        subject=subject.strip(),
        category=category or "other",
        priority=priority,
        status="new",
        channel=channel,
        language=language or detect_language(text),
        source_key=source_key,
        intent_labelled=False,
        created_at=now,
        messages=[
            TicketMessage(
                author=normalised if message_kind == "customer" else who,
                body=body.strip(),
                internal=False,
                kind=message_kind,
                external_id=external_id,
                at=now,
            )
        ],
        events=[],
    )
    session.add(ticket)
    _event(ticket, "status", "", "new", who, f"opened via {channel}")
    confident = False
    if classify_intent:
        prediction = classify.classify(session=session, text=text)
        model = classify.current_model(session=session)
        ticket.intent = prediction.intent
        ticket.intent_confidence = round(prediction.confidence, 4)
        confident = prediction.confidence >= model.threshold
        _event(
            ticket,
            "intent",
            "",
            prediction.intent,
            "classifier",
            f"confidence {prediction.confidence:.2f}" + ("" if confident else " (not routed)"),
        )
        if confident and category is None:
            ticket.category = category_of_intent(prediction.intent)
    session.flush()
    if confident:
        _route(session, ticket, "classifier")
    return ticket


def get_ticket(*, session: Session, ticket_id: int) -> Ticket:
    """Return the ticket. Raises NotFound."""
    ticket = session.get(Ticket, ticket_id)
    if ticket is None:
        raise NotFound("ticket", ticket_id, field="ticket_id")
    return ticket


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
    Raises ValidationError naming every bad field (``targets.2.priority``)."""
    policy = policy_from_document(document)
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


def list_tickets(
    *,
    session: Session,
    status: str | None = None,
    category: str | None = None,
    assignee: str | None = None,
    priority: str | None = None,
    sla_filter: str | None = None,
    email: str | None = None,
    order_number: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[tuple[Ticket, sla.SlaState]], int]:
    """Return one page of the inbox (most urgent SLA first when filtering by SLA, else newest
    first), each ticket with its SLA clocks, and the total matching the filters.

    ``status`` may be ``active`` (anything not resolved or closed); ``assignee`` an agent's
    name or id, or ``none`` for unassigned tickets; ``sla_filter`` ``breached`` / ``warning``
    / ``ok``. Raises ValidationError naming a bad filter.
    """
    errors = ErrorCollector()
    if sla_filter is not None and sla_filter not in SLA_FILTERS:
        errors.add("sla", f"one of {', '.join(SLA_FILTERS)}")
    if priority is not None and priority not in PRIORITIES:
        errors.add("priority", f"one of {', '.join(PRIORITIES)}")
    errors.raise_if_any()
    query = select(Ticket)
    if status == "active":
        query = query.where(Ticket.status.not_in(("resolved", "closed")))
    elif status:
        query = query.where(Ticket.status == status)
    if category:
        query = query.where(Ticket.category == category)
    if priority:
        query = query.where(Ticket.priority == priority)
    if email:
        query = query.where(Ticket.customer_email == (normalise_email(email) or email.lower()))
    if order_number:
        query = query.where(
            Ticket.order_id
            == orders.get_order(session=session, number=order_number, field="order").id
        )
    if assignee:
        if assignee == "none":
            query = query.where(Ticket.assignee_id.is_(None))
        else:
            agent = _agent_by_key(session, assignee, "assignee")
            query = query.where(Ticket.assignee_id == agent.id)
    now = clock.now()
    if sla_filter is None:
        total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
        rows = session.scalars(query.order_by(Ticket.id.desc()).limit(limit).offset(offset)).all()
        return [(t, ticket_sla(t, now)) for t in rows], total
    # The clocks are computed, not stored: filter the candidate tickets in memory.
    candidates = session.scalars(query.order_by(Ticket.id.desc())).all()
    matched = []
    for ticket in candidates:
        state = ticket_sla(ticket, now)
        if sla_filter == "breached":
            keep = state.breaches > 0
        elif sla_filter == "warning":
            keep = state.warning and state.breaches == 0
        else:
            keep = state.breaches == 0 and not state.warning
        if keep:
            matched.append((ticket, state))
    far = datetime.max.replace(tzinfo=now.tzinfo)
    matched.sort(key=lambda pair: pair[1].next_due_at or far)
    return matched[offset : offset + limit], len(matched)


def reply(
    *, session: Session, ticket_id: int, body: str, actor: str, internal: bool = False
) -> Ticket:
    """Answer the customer (e-mailed through the outbox) or, with ``internal``, add a note.

    The first public answer stops the first-response clock; the ticket then waits on the
    customer (its SLA clocks pause). Raises ValidationError (body), NotFound, Conflict if closed.
    """
    if not body or not body.strip():
        raise ValidationError(FieldError("body", "is required"))
    ticket = get_ticket(session=session, ticket_id=ticket_id)
    if ticket.status == "closed":
        raise Conflict(f"ticket {ticket_id} is closed")
    now = clock.now()
    ticket.messages.append(
        TicketMessage(
            author=actor,
            body=body.strip(),
            internal=internal,
            kind="note" if internal else "reply",
            at=now,
        )
    )
    if internal:
        if ticket.status == "new":
            _set_status(ticket, "open", actor)
        return ticket
    if ticket.first_response_at is None:
        ticket.first_response_at = now
    if ticket.status in ("new", "open"):
        _set_status(ticket, "waiting_on_customer", actor)
    outbox.enqueue_message(
        session,
        topic="ticket.reply",
        recipient=ticket.customer_email,
        subject=f"Re: {ticket.subject} [{ticket_reference(ticket.id)}]",
        body=body.strip(),
        payload={"ticket": ticket.id},
    )
    return ticket


def add_note(*, session: Session, ticket_id: int, body: str, actor: str) -> Ticket:
    """Add an internal note (never sent to the customer). Raises as :func:`reply`."""
    return reply(session=session, ticket_id=ticket_id, body=body, actor=actor, internal=True)


def update_ticket(
    *,
    session: Session,
    ticket_id: int,
    actor: str,
    status: str | None = None,
    priority: str | None = None,
    category: str | None = None,
    intent: str | None = None,
) -> Ticket:
    """Change a ticket's status, priority, category or intent (an agent's intent is a label
    for retraining). Raises ValidationError, NotFound, InvalidTransition."""
    errors = ErrorCollector()
    if priority is not None and priority not in PRIORITIES:
        errors.add("priority", f"one of {', '.join(PRIORITIES)}")
    _check_category(errors, category)
    if intent is not None and not _INTENT.match(intent):
        errors.add("intent", "1-60 lower-case letters, digits or _, starting with a letter")
    errors.raise_if_any()
    ticket = get_ticket(session=session, ticket_id=ticket_id)
    if priority is not None and priority != ticket.priority:
        _event(ticket, "priority", ticket.priority, priority, actor)
        ticket.priority = priority
    if category is not None and category != ticket.category:
        _event(ticket, "category", ticket.category, category, actor)
        ticket.category = category
    if intent is not None:
        _event(ticket, "intent", ticket.intent or "", intent, actor, "set by an agent")
        ticket.intent = intent
        ticket.intent_confidence = None
        ticket.intent_labelled = True
    if status is not None:
        _set_status(ticket, status, actor)
    return ticket


def close_ticket(*, session: Session, ticket_id: int, actor: str) -> Ticket:
    """Close a ticket. Raises NotFound, Conflict if already closed."""
    ticket = get_ticket(session=session, ticket_id=ticket_id)
    if ticket.status == "closed":
        raise Conflict(f"ticket {ticket_id} is already closed")
    _set_status(ticket, "closed", actor)
    return ticket


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
    if ticket.status == "closed":
        raise Conflict(f"ticket {ticket_id} is closed")
    if agent is not None:
        chosen = _agent_by_key(session, agent, "agent")
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


# --- inbound e-mail ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Inbound:
    """What an inbound e-mail did: its ticket, and whether it was threaded onto an existing one
    (``threaded``) or a retry of a message already received (``duplicate``)."""

    ticket: Ticket
    threaded: bool
    duplicate: bool


def receive_email(
    *,
    session: Session,
    sender: str,
    subject: str,
    text: str,
    in_reply_to: str | None = None,
    message_id: str | None = None,
) -> Inbound:
    """File an inbound e-mail: threaded onto the ticket its reference names (``in_reply_to``
    or ``[T123]`` in the subject) when that ticket is the sender's and not closed, else a new
    ticket linked to the first order number in the text that belongs to the sender.

    A repeated ``message_id`` changes nothing. Raises ValidationError naming ``from``,
    ``subject`` or ``text``.
    """
    _name, address = parse_sender(sender)
    email = normalise_email(address) if address else None
    errors = ErrorCollector()
    if email is None:
        errors.add("from", "no valid e-mail address")
    if not text or not text.strip():
        errors.add("text", "is required")
    errors.raise_if_any()
    assert email is not None
    if message_id:
        known = session.scalar(select(TicketMessage).where(TicketMessage.external_id == message_id))
        if known is not None:
            return Inbound(get_ticket(session=session, ticket_id=known.ticket_id), False, True)
    clean_subject = (subject or "").strip()[:200] or text.strip().splitlines()[0][:200]
    reference = find_ticket_reference(in_reply_to, clean_subject)
    if reference is not None:
        ticket = session.get(Ticket, reference)
        if ticket is not None and ticket.customer_email == email and ticket.status != "closed":
            _customer_message(ticket, text.strip(), message_id)
            target = status_after_customer_message(ticket.status)
            if target != ticket.status:
                _set_status(ticket, target, email, "customer replied")
            session.flush()
            return Inbound(ticket, True, False)
    order_number = None
    for number in find_order_numbers(f"{clean_subject}\n{text}"):
        order = session.get(Order, int(number[1:]))
        if order is not None and order.customer.email == email:
            order_number = order.number
            break
    ticket = open_ticket(
        session=session,
        email=email,
        subject=clean_subject,
        body=text,
        order_number=order_number,
        channel="email",
        external_id=message_id,
    )
    if reference is not None:
        _event(ticket, "note", "", "", SYSTEM, f"mentions ticket {ticket_reference(reference)}")
    return Inbound(ticket, False, False)


# --- proactive tickets (event handlers) -------------------------------------------------------


def on_shipment_delayed(session: Session, payload: dict[str, Any]) -> None:
    """Open a ticket for a delayed shipment (``{"shipment_id", "order_id", "reason"}``), once
    per shipment, so an agent can warn the customer before they ask."""
    shipment_id = payload.get("shipment_id")
    order = session.get(Order, payload.get("order_id")) if payload.get("order_id") else None
    if order is None or not isinstance(shipment_id, int):
        return  # nothing to link to; never break the publisher's transaction
    key = f"shipment.delayed:{shipment_id}"
    if session.scalar(select(Ticket.id).where(Ticket.source_key == key)) is not None:
        return
    reason = str(payload.get("reason") or "no reason given")[:500]
    open_ticket(
        session=session,
        email=order.customer.email,
        subject=f"Delayed shipment for order {order.number}",
        body=f"Shipment {shipment_id} of order {order.number} is delayed: {reason}",
        order_number=order.number,
        shipment_id=shipment_id if session.get(Shipment, shipment_id) is not None else None,
        priority="high",
        category="delivery",
        channel="proactive",
        actor=SYSTEM,
        source_key=key,
        classify_intent=False,
        message_kind="system",
    )


def on_return_requested(session: Session, payload: dict[str, Any]) -> None:
    """Open a ticket for a return request (``{"return_id", "order_id", "email"}``), once per
    return, linked to the order and the return."""
    return_id = payload.get("return_id")
    order = session.get(Order, payload.get("order_id")) if payload.get("order_id") else None
    if order is None or not isinstance(return_id, int):
        return
    key = f"return.requested:{return_id}"
    if session.scalar(select(Ticket.id).where(Ticket.source_key == key)) is not None:
        return
    request = session.get(ReturnRequest, return_id)
    email = normalise_email(str(payload.get("email") or "")) or order.customer.email
    reason = request.reason if request is not None else "return requested"
    open_ticket(
        session=session,
        email=email,
        subject=f"Return R{return_id} for order {order.number}",
        body=f"Return R{return_id} requested for order {order.number}: {reason}",
        order_number=order.number,
        return_id=return_id if request is not None else None,
        category="returns",
        channel="portal",
        actor=SYSTEM,
        source_key=key,
        classify_intent=False,
        message_kind="system",
    )


# --- satisfaction and stats -------------------------------------------------------------------


def csat_survey(*, session: Session, token: str) -> CsatSurvey:
    """Return the survey of ``token`` (the link e-mailed to the customer). Raises NotFound."""
    survey = session.scalar(select(CsatSurvey).where(CsatSurvey.token == token[:100]))
    if survey is None:
        raise NotFound("survey", "token", field="token")
    return survey


def answer_csat(*, session: Session, token: str, score: int, comment: str = "") -> CsatSurvey:
    """Record the customer's 1-5 score (and comment) once. Raises ValidationError (score,
    comment), NotFound (token), Conflict when the survey was already answered."""
    errors = ErrorCollector()
    if isinstance(score, bool) or not isinstance(score, int) or not 1 <= score <= 5:
        errors.add("score", "an integer from 1 to 5")
    if len(comment or "") > 2000:
        errors.add("comment", "at most 2000 characters")
    errors.raise_if_any()
    survey = session.scalar(select(CsatSurvey).where(CsatSurvey.token == token))
    if survey is None:
        raise NotFound("survey", "token", field="token")
    if survey.answered_at is not None:
        raise Conflict("this survey was already answered; thank you")
    survey.score = score
    survey.comment = (comment or "").strip()
    survey.answered_at = clock.now()
    ticket = get_ticket(session=session, ticket_id=survey.ticket_id)
    _event(ticket, "csat", "", str(score), ticket.customer_email)
    return survey
