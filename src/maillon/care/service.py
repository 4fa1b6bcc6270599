"""After-sales use cases (minimal): open a ticket, answer it, close it."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from maillon.care.tables import Ticket, TicketMessage
from maillon.core import clock, outbox
from maillon.core.errors import Conflict, ErrorCollector, NotFound
from maillon.orders import service as orders
from maillon.orders.validation import normalise_email

PRIORITIES = ("low", "normal", "high", "urgent")


def open_ticket(
    *,
    session: Session,
    email: str,
    subject: str,
    body: str,
    order_number: str | None = None,
    priority: str = "normal",
    category: str = "other",
    channel: str = "api",
) -> Ticket:
    """Open a ticket. Raises ValidationError naming bad fields, NotFound for an unknown order."""
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
    errors.raise_if_any()
    order_id = None
    if order_number:
        order_id = orders.get_order(session=session, number=order_number, field="order").id
    now = clock.now()
    ticket = Ticket(
        customer_email=normalised or "",
        order_id=order_id,
        subject=subject.strip(),
        category=category,
        priority=priority,
        status="open",
        channel=channel,
        created_at=now,
        messages=[
            TicketMessage(author=normalised or "", body=body.strip(), internal=False, at=now)
        ],
    )
    session.add(ticket)
    session.flush()
    return ticket


def get_ticket(*, session: Session, ticket_id: int) -> Ticket:
    """Return the ticket. Raises NotFound."""
    ticket = session.get(Ticket, ticket_id)
    if ticket is None:
        raise NotFound("ticket", ticket_id, field="ticket_id")
    return ticket


def reply(
    *, session: Session, ticket_id: int, body: str, actor: str, internal: bool = False
) -> Ticket:
    """Add an agent reply (sent to the customer unless internal). Raises NotFound, Conflict."""
    errors = ErrorCollector()
    if not body or not body.strip():
        errors.add("body", "is required")
    errors.raise_if_any()
    ticket = get_ticket(session=session, ticket_id=ticket_id)
    if ticket.status == "closed":
        raise Conflict(f"ticket {ticket_id} is closed")
    now = clock.now()
    ticket.messages.append(
        TicketMessage(author=actor, body=body.strip(), internal=internal, at=now)
    )
    if not internal:
        if ticket.first_response_at is None:
            ticket.first_response_at = now
        ticket.status = "pending"
        outbox.enqueue_message(
            session,
            topic="ticket.reply",
            recipient=ticket.customer_email,
            subject=f"Re: {ticket.subject} [T{ticket.id}]",
            body=body.strip(),
            payload={"ticket": ticket.id},
        )
    return ticket


def close_ticket(*, session: Session, ticket_id: int, actor: str) -> Ticket:
    """Close a ticket. Raises NotFound, Conflict if already closed."""
    ticket = get_ticket(session=session, ticket_id=ticket_id)
    if ticket.status == "closed":
        raise Conflict(f"ticket {ticket_id} is already closed")
    ticket.status = "closed"
    ticket.closed_at = clock.now()
    return ticket


def list_tickets(
    *, session: Session, status: str | None = None, limit: int = 50, offset: int = 0
) -> tuple[Sequence[Ticket], int]:
    """Return one page of tickets, newest first, and the total."""
    query = select(Ticket)
    if status:
        query = query.where(Ticket.status == status)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(Ticket.id.desc()).limit(limit).offset(offset)).all()
    return rows, total
