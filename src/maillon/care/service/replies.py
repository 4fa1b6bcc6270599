"""Suggested replies: the grounded reply (:mod:`maillon.care.grounded`) to a ticket's intent,
built from its order's, shipments' and returns' actual state, for an agent to review and send."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from maillon.care import grounded, templates
from maillon.care.model import (
    INTENT_TEMPLATE,
    INTENTS,
    Intent,
    intent_of_label,
    ticket_reference,
)
from maillon.care.service import get_ticket
from maillon.care.tables import Ticket
from maillon.core import clock
from maillon.core.errors import FieldError, ValidationError
from maillon.orders.model import OrderStatus
from maillon.orders.tables import Order
from maillon.returns.model import ReturnStatus, rma_number
from maillon.returns.service.settings import load_settings
from maillon.returns.tables import ReturnRequest
from maillon.shipping import service as shipping


@dataclass(frozen=True)
class Suggestion:
    """A grounded reply for the ticket; ``claims`` are the facts it states (``subject=value``).
    ``missing`` is kept for the console and API: always empty (no placeholder is shown)."""

    intent: str
    language: str
    subject: str
    body: str
    missing: tuple[str, ...]
    claims: tuple[str, ...] = ()


def _tracking_url(template: str, number: str) -> str:
    """Return the carrier's tracking page for ``number`` (``{tracking}`` in the URL, else the
    number appended)."""
    return template.replace("{tracking}", number) if "{tracking}" in template else template + number


def _address(order: Order) -> str:
    parts = (
        order.ship_name,
        order.ship_line1,
        order.ship_line2,
        f"{order.ship_postcode} {order.ship_city}".strip(),
        order.ship_country,
    )
    return ", ".join(p for p in parts if p)


def _shipments(session: Session, order: Order) -> tuple[grounded.ShipmentFacts, ...]:
    out = []
    for s in shipping.shipments_of(session=session, order=order):
        numbers = tuple(p.tracking_number for p in s.parcels if p.tracking_number)
        carrier = s.carrier.name if s.carrier is not None else None
        url = s.carrier.tracking_url if s.carrier is not None else ""
        out.append(
            grounded.ShipmentFacts(
                carrier=carrier,
                tracking_numbers=numbers,
                tracking_url=_tracking_url(url, numbers[0]) if url and numbers else None,
                delivered_on=clock.as_utc(s.delivered_at).date() if s.delivered_at else None,
            )
        )
    return tuple(out)


def _returns(session: Session, order: Order) -> tuple[grounded.ReturnFacts, ...]:
    rows = session.scalars(
        select(ReturnRequest).where(ReturnRequest.order_id == order.id).order_by(ReturnRequest.id)
    ).all()
    out = []
    for r in rows:
        refunded = sum(s.refund_cents for s in r.settlements)
        out.append(
            grounded.ReturnFacts(
                number=rma_number(r.id),
                status=ReturnStatus(r.status),
                refund_cents=refunded or None,
                settled_on=clock.as_utc(r.settled_at).date() if r.settled_at else None,
            )
        )
    return tuple(out)


def facts_of(session: Session, ticket: Ticket, agent_name: str) -> grounded.Facts:
    """Return what the data says about the ticket's order (reads only)."""
    order = session.get(Order, ticket.order_id) if ticket.order_id else None
    if order is None:
        return grounded.Facts(agent_name=agent_name)
    shipments = _shipments(session, order)
    delivered = [
        clock.as_utc(s.delivered_at)
        for s in shipping.shipments_of(session=session, order=order)
        if s.delivered_at
    ]
    last_day = None
    if order.status == OrderStatus.DELIVERED and delivered:
        policy = load_settings(session=session).policy
        last_day = policy.last_day(max(delivered), policy.default_window_days)
    return grounded.Facts(
        first_name=order.customer.name.partition(" ")[0],
        order_number=order.number,
        order_status=OrderStatus(order.status),
        total_cents=order.total_cents,
        delivery_address=_address(order),
        promised_on=clock.as_utc(order.promised_at).date() if order.promised_at else None,
        shipments=shipments,
        returns=_returns(session, order),
        return_last_day=last_day,
        agent_name=agent_name,
    )


def suggest_reply(
    *,
    session: Session,
    ticket_id: int,
    intent: str | None = None,
    language: str | None = None,
    agent_name: str = "Service client",
) -> Suggestion:
    """Return the grounded reply to the ticket's intent (or ``intent``) in its language (or
    ``language``). Raises ValidationError (intent, language), NotFound."""
    errors = []
    if language is not None and language not in templates.LANGUAGES:
        errors.append(FieldError("language", f"one of {', '.join(templates.LANGUAGES)}"))
    if intent is not None and intent not in INTENTS:
        errors.append(FieldError("intent", f"one of {', '.join(INTENTS)}"))
    if errors:
        raise ValidationError(errors)
    ticket = get_ticket(session=session, ticket_id=ticket_id)
    wanted = intent or intent_of_label(ticket.intent) or Intent.OTHER.value
    lang = language or (ticket.language if ticket.language in templates.LANGUAGES else "fr")
    reply = grounded.build_reply(wanted, lang, facts_of(session, ticket, agent_name))
    return Suggestion(
        intent=reply.intent,
        language=reply.language,
        subject=f"{reply.subject} [{ticket_reference(ticket.id)}]",
        body=reply.body,
        missing=(),
        claims=tuple(f"{c.subject}={c.value}" for c in reply.claims),
    )


def suggest_all(
    *, session: Session, ticket_id: int, agent_name: str = "Service client"
) -> list[Suggestion]:
    """Return the grounded reply of every intent but ``other`` for the ticket (one read of its
    order's facts), in :data:`~maillon.care.model.INTENTS` order. Raises NotFound."""
    ticket = get_ticket(session=session, ticket_id=ticket_id)
    lang = ticket.language if ticket.language in templates.LANGUAGES else "fr"
    facts = facts_of(session, ticket, agent_name)
    out = []
    for intent in INTENT_TEMPLATE:
        reply = grounded.build_reply(intent, lang, facts)
        out.append(
            Suggestion(
                intent=reply.intent,
                language=reply.language,
                subject=f"{reply.subject} [{ticket_reference(ticket.id)}]",
                body=reply.body,
                missing=(),
                claims=tuple(f"{c.subject}={c.value}" for c in reply.claims),
            )
        )
    return out
