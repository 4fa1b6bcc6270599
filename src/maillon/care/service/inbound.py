"""Tickets that come in from outside: inbound e-mail (threaded onto the ticket it names, or a
new one) and proactive tickets opened by domain events (a delayed shipment, a return request)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from maillon.care.model import (
    TicketStatus,
    find_order_numbers,
    find_ticket_reference,
    parse_sender,
    status_after_customer_message,
    ticket_reference,
)
from maillon.care.service.history import customer_message, get_ticket, record_event, set_status
from maillon.care.service.tickets import open_ticket
from maillon.care.tables import Ticket, TicketMessage
from maillon.core.errors import ErrorCollector
from maillon.orders.tables import Order
from maillon.orders.validation import normalise_email
from maillon.returns.tables import ReturnRequest
from maillon.shipping.tables import Shipment

SYSTEM = "system"


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
        if (
            ticket is not None
            and ticket.customer_email == email
            and ticket.status != TicketStatus.CLOSED
        ):
            customer_message(ticket, text.strip(), message_id)
            target = status_after_customer_message(ticket.status)
            if target != ticket.status:
                set_status(ticket, target, email, "customer replied")
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
        mention = f"mentions ticket {ticket_reference(reference)}"
        record_event(ticket, "note", "", "", SYSTEM, mention)
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
