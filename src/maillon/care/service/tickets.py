"""Tickets: opening one from any channel (classified and routed), the inbox with its SLA
filters, replies and notes, and changes of status, priority, category or intent."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from maillon.care import sla, templates
from maillon.care.faq import detect_language
from maillon.care.model import (
    ACTIVE,
    CHANNELS,
    INTENTS,
    PRIORITIES,
    TicketStatus,
    ticket_reference,
)
from maillon.care.service import classify
from maillon.care.service.agents import agent_by_key, check_category, route
from maillon.care.service.clocks import ticket_sla
from maillon.care.service.history import get_ticket, record_event, set_status
from maillon.care.tables import Ticket, TicketMessage
from maillon.core import clock, mail, outbox
from maillon.core.errors import Conflict, ErrorCollector, FieldError, NotFound, ValidationError
from maillon.orders import service as orders
from maillon.orders.tables import Customer, Order
from maillon.orders.validation import normalise_email
from maillon.returns.tables import ReturnRequest
from maillon.shipping.tables import Shipment

SLA_FILTERS = ("breached", "warning", "ok")


def _checked_email(
    *,
    email: str,
    subject: str,
    body: str,
    priority: str,
    category: str | None,
    channel: str,
    language: str | None,
) -> str:
    """Return the customer's normalised e-mail. Raises ValidationError naming bad fields."""
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
    check_category(errors, category)
    if channel not in CHANNELS:
        errors.add("channel", f"one of {', '.join(CHANNELS)}")
    if language is not None and language not in templates.LANGUAGES:
        errors.add("language", f"one of {', '.join(templates.LANGUAGES)}")
    errors.raise_if_any()
    assert normalised is not None
    return normalised


def _linked_order(
    session: Session, order_number: str | None, shipment_id: int | None, return_id: int | None
) -> Order | None:
    """The order a ticket is about: named, else the shipment's or the return's. Raises NotFound
    for an unknown order (``order``) or shipment/return (their ids)."""
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
    return order


def _classify(session: Session, ticket: Ticket, text: str, category: str | None) -> bool:
    """Set the ticket's intent (``other`` when the classifier is unsure) and, when routed and
    no category was given, its queue; return whether a specialised queue takes it."""
    r = classify.route(session=session, text=text)
    ticket.intent = r.intent
    ticket.intent_confidence = r.confidence
    note = f"confidence {r.confidence:.2f}"
    if not r.routed:
        note += f" (best guess {r.best_guess}: a person triages it)"
    record_event(ticket, "intent", "", r.intent, "classifier", note)
    if r.routed and category is None:
        ticket.category = r.category
    return r.routed


def _announce(session: Session, ticket: Ticket) -> None:
    """Publish ``ticket.created`` for a ticket just opened."""
    outbox.publish(
        session,
        "ticket.created",
        {
            "ticket_id": ticket.id,
            "reference": ticket_reference(ticket.id),
            "email": ticket.customer_email,
            "subject": ticket.subject,
            "category": ticket.category,
            "priority": ticket.priority,
            "channel": ticket.channel,
            "order_id": ticket.order_id,
            "shipment_id": ticket.shipment_id,
            "return_id": ticket.return_id,
        },
    )


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
    normalised = _checked_email(
        email=email,
        subject=subject,
        body=body,
        priority=priority,
        category=category,
        channel=channel,
        language=language,
    )
    order = _linked_order(session, order_number, shipment_id, return_id)
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
        status=TicketStatus.NEW.value,
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
    record_event(ticket, "status", "", TicketStatus.NEW.value, who, f"opened via {channel}")
    confident = _classify(session, ticket, text, category) if classify_intent else False
    session.flush()
    _announce(session, ticket)
    if confident:
        route(session, ticket, "classifier")
    return ticket


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
    intent: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[tuple[Ticket, sla.SlaState]], int]:
    """Return one page of the inbox (most urgent SLA first when filtering by SLA, else newest
    first), each ticket with its SLA clocks, and the total matching the filters.

    ``status`` may be ``active`` (anything not resolved or closed); ``assignee`` an agent's
    name or id, or ``none`` for unassigned tickets; ``sla_filter`` ``breached`` / ``warning``
    / ``ok``; ``intent`` one of :data:`~maillon.care.model.INTENTS` (the queue per intent;
    ``other``: what a person triages). Raises ValidationError naming a bad filter.
    """
    errors = ErrorCollector()
    if intent is not None and intent not in INTENTS:
        errors.add("intent", f"one of {', '.join(INTENTS)}")
    if sla_filter is not None and sla_filter not in SLA_FILTERS:
        errors.add("sla", f"one of {', '.join(SLA_FILTERS)}")
    if priority is not None and priority not in PRIORITIES:
        errors.add("priority", f"one of {', '.join(PRIORITIES)}")
    errors.raise_if_any()
    query = select(Ticket)
    if status == ACTIVE:
        query = query.where(Ticket.status.not_in((TicketStatus.RESOLVED, TicketStatus.CLOSED)))
    elif status:
        query = query.where(Ticket.status == status)
    if category:
        query = query.where(Ticket.category == category)
    if priority:
        query = query.where(Ticket.priority == priority)
    if intent:
        query = query.where(Ticket.intent == intent)
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
            agent = agent_by_key(session, assignee, "assignee")
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
    if ticket.status == TicketStatus.CLOSED:
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
        if ticket.status == TicketStatus.NEW:
            set_status(ticket, TicketStatus.OPEN, actor)
        return ticket
    if ticket.first_response_at is None:
        ticket.first_response_at = now
    if ticket.status in (TicketStatus.NEW, TicketStatus.OPEN):
        set_status(ticket, TicketStatus.WAITING_ON_CUSTOMER, actor)
    outbox.notify(
        session,
        topic="ticket.reply",
        locale=mail.choose_locale(order=ticket.language, shop=outbox.shop_locale()),
        recipient=ticket.customer_email,
        context={
            "bare": True,  # the agent's answer has its own greeting and signature
            "reply": body.strip(),
            "ticket_subject": ticket.subject,
            "ref": ticket_reference(ticket.id),
        },
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
    check_category(errors, category)
    if intent is not None and intent not in INTENTS:
        errors.add("intent", f"one of {', '.join(INTENTS)}")
    errors.raise_if_any()
    ticket = get_ticket(session=session, ticket_id=ticket_id)
    if priority is not None and priority != ticket.priority:
        record_event(ticket, "priority", ticket.priority, priority, actor)
        ticket.priority = priority
    if category is not None and category != ticket.category:
        record_event(ticket, "category", ticket.category, category, actor)
        ticket.category = category
    if intent is not None:
        record_event(ticket, "intent", ticket.intent or "", intent, actor, "set by an agent")
        ticket.intent = intent
        ticket.intent_confidence = None
        ticket.intent_labelled = True
    if status is not None:
        set_status(ticket, status, actor)
    return ticket


def close_ticket(*, session: Session, ticket_id: int, actor: str) -> Ticket:
    """Close a ticket. Raises NotFound, Conflict if already closed."""
    ticket = get_ticket(session=session, ticket_id=ticket_id)
    if ticket.status == TicketStatus.CLOSED:
        raise Conflict(f"ticket {ticket_id} is already closed")
    set_status(ticket, TicketStatus.CLOSED, actor)
    return ticket
