"""Suggested replies: the reply template of a ticket's intent (:mod:`maillon.care.templates`)
filled with its order, shipment and return data, for an agent to review and send."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from maillon.care import templates
from maillon.care.model import INTENT_TEMPLATE, ticket_reference
from maillon.care.service import get_ticket
from maillon.care.tables import Ticket
from maillon.core import clock
from maillon.core.errors import Conflict, FieldError, ValidationError
from maillon.orders.tables import Order
from maillon.shipping import service as shipping


@dataclass(frozen=True)
class Suggestion:
    """A reply template filled with the ticket's data; ``missing`` placeholders are shown as
    ``[name]`` in the text for the agent to complete."""

    intent: str
    language: str
    subject: str
    body: str
    missing: tuple[str, ...]


def _tracking_url(template: str, number: str) -> str:
    """Return the carrier's tracking page for ``number`` (``{tracking}`` in the URL, else the
    number appended)."""
    return template.replace("{tracking}", number) if "{tracking}" in template else template + number


def _context(session: Session, ticket: Ticket, language: str, agent_name: str) -> dict[str, str]:
    order = session.get(Order, ticket.order_id) if ticket.order_id else None
    customer: dict[str, Any] = {"email": ticket.customer_email}
    order_values: dict[str, Any] | None = None
    shipment_values: dict[str, Any] | None = None
    if order is not None:
        first, _, last = order.customer.name.partition(" ")
        customer |= {"first_name": first, "last_name": last}
        address = ", ".join(
            p
            for p in (
                order.ship_name,
                order.ship_line1,
                order.ship_line2,
                f"{order.ship_postcode} {order.ship_city}",
                order.ship_country,
            )
            if p
        )
        order_values = {
            "number": order.number,
            "date": clock.as_utc(order.created_at),
            "status": order.status,
            "total": order.total_cents,
            "items": ", ".join(f"{line.quantity} x {line.name}" for line in order.lines),
            "delivery_address": address,
        }
        shipments = list(shipping.shipments_of(session=session, order=order))
        chosen = next((s for s in shipments if s.id == ticket.shipment_id), None)
        chosen = chosen or next((s for s in shipments if s.carrier is not None), None)
        if chosen is not None and chosen.carrier is not None:
            numbers = [p.tracking_number for p in chosen.parcels if p.tracking_number]
            url = chosen.carrier.tracking_url
            shipment_values = {
                "carrier": chosen.carrier.name,
                "tracking_number": ", ".join(numbers) or None,
                "tracking_url": _tracking_url(url, numbers[0]) if url and numbers else None,
                "shipped_at": clock.as_utc(chosen.shipped_at) if chosen.shipped_at else None,
                "estimated_delivery": clock.as_utc(order.promised_at)
                if order.promised_at
                else None,
            }
    values = templates.build_context(
        language,
        customer=customer,
        order=order_values,
        shipment=shipment_values,
        ticket={"number": ticket_reference(ticket.id)},
        agent={"name": agent_name},
    )
    if ticket.return_id is not None:  # "return" is a keyword: not a build_context argument
        values["return.number"] = f"R{ticket.return_id}"
    return values


def suggest_reply(
    *,
    session: Session,
    ticket_id: int,
    intent: str | None = None,
    language: str | None = None,
    agent_name: str = "Service client",
) -> Suggestion:
    """Return the reply template for the ticket's intent (or ``intent``), filled with its
    order, shipment and return data.

    Raises ValidationError (intent, language), NotFound, Conflict when the ticket has no
    intent with a template.
    """
    if language is not None and language not in templates.LANGUAGES:
        raise ValidationError(FieldError("language", f"one of {', '.join(templates.LANGUAGES)}"))
    ticket = get_ticket(session=session, ticket_id=ticket_id)
    wanted = intent or ticket.intent
    template_intent = INTENT_TEMPLATE.get(wanted or "", wanted)
    if template_intent not in templates.INTENTS:
        if intent is not None:
            raise ValidationError(
                FieldError("intent", f"no template; one of {', '.join(templates.INTENTS)}")
            )
        raise Conflict(
            f"ticket {ticket_id} has no intent with a reply template "
            f"(intent: {ticket.intent or 'none'}); choose one of {', '.join(templates.INTENTS)}"
        )
    assert template_intent is not None
    lang = language or ticket.language
    template = templates.get_template(template_intent, lang)
    values = _context(session, ticket, lang, agent_name)
    missing = tuple(p for p in template.placeholders if p not in values)
    for name in missing:
        values[name] = f"[{name}]"
    rendered = templates.render(template, values)
    return Suggestion(
        intent=template_intent,
        language=template.language,
        subject=f"{rendered.subject} [{ticket_reference(ticket.id)}]",
        body=rendered.body,
        missing=missing,
    )
