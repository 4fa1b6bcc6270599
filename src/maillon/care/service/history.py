"""A ticket's history: its events, the customer's messages, and the status machine that stamps
the SLA clocks (and sends the satisfaction survey when a ticket is resolved)."""

from __future__ import annotations

import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from maillon.care.model import TicketStatus, can_transition, ticket_reference
from maillon.care.tables import CsatSurvey, Ticket, TicketEvent, TicketMessage
from maillon.core import clock, mail, outbox
from maillon.core.errors import InvalidTransition, NotFound


def record_event(ticket: Ticket, kind: str, old: str, new: str, actor: str, note: str = "") -> None:
    """Add a ``kind`` change (``old`` to ``new``, by ``actor``) to the ticket's history."""
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


def customer_message(ticket: Ticket, body: str, external_id: str | None = None) -> None:
    """Add a message from the ticket's customer (``external_id``: the e-mail's Message-ID)."""
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


def set_status(ticket: Ticket, target: str, actor: str, note: str = "") -> None:
    """Move ``ticket`` to ``target``, stamping the clocks. Raises InvalidTransition."""
    current = ticket.status
    if current == target:
        return
    if not can_transition(current, target):
        raise InvalidTransition("ticket", current, target)
    now = clock.now()
    target = TicketStatus(target).value
    ticket.status = target
    if target == TicketStatus.RESOLVED:
        ticket.resolved_at = now
        _send_survey(ticket)
    elif target == TicketStatus.CLOSED:
        ticket.closed_at = now
        if ticket.resolved_at is None:
            ticket.resolved_at = now
    elif current == TicketStatus.RESOLVED:  # reopened
        ticket.resolved_at = None
    record_event(ticket, "status", current, target, actor, note)
    session = _session_of(ticket)
    if ticket.id is None:
        session.flush()
    outbox.publish(
        session,
        "ticket.status_changed",
        {
            "ticket_id": ticket.id,
            "reference": ticket_reference(ticket.id),
            "order_id": ticket.order_id,
            "from": current,
            "status": target,
            "actor": actor,
        },
    )


def _send_survey(ticket: Ticket) -> None:
    """Create (once per ticket) the CSAT survey and e-mail its link to the customer."""
    session = _session_of(ticket)
    if session.scalar(select(CsatSurvey.id).where(CsatSurvey.ticket_id == ticket.id)) is not None:
        return
    token = secrets.token_urlsafe(24)
    session.add(CsatSurvey(ticket_id=ticket.id, token=token, sent_at=clock.now(), comment=""))
    outbox.notify(
        session,
        topic="ticket.csat",
        locale=mail.choose_locale(order=ticket.language, shop=outbox.shop_locale()),
        recipient=ticket.customer_email,
        context={"ref": ticket_reference(ticket.id), "token": token},
        payload={"ticket": ticket.id, "csat_token": token},
    )


def _session_of(ticket: Ticket) -> Session:
    session = object_session(ticket)
    assert session is not None, "ticket must belong to a session"
    return session


def get_ticket(*, session: Session, ticket_id: int) -> Ticket:
    """Return the ticket. Raises NotFound."""
    ticket = session.get(Ticket, ticket_id)
    if ticket is None:
        raise NotFound("ticket", ticket_id, field="ticket_id")
    return ticket
