"""An order's timeline and its status changes, and telling its customer.

Every status change goes through :func:`transition`, so each one lands in the timeline;
higher packages (warehouse, shipping, returns) call it and never write the status column.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from maillon.core import clock, mail, outbox
from maillon.orders.model import OrderStatus, ensure_transition
from maillon.orders.tables import Order, OrderEvent


def record_event(
    session: Session,
    order: Order,
    from_status: str | None,
    to_status: str,
    actor: str,
    note: str = "",
) -> None:
    """Add a line to ``order``'s timeline (a status change, or a note when both are equal)."""
    session.add(
        OrderEvent(
            order_id=order.id,
            at=clock.now(),
            from_status=from_status,
            to_status=to_status,
            actor=actor,
            note=note[:500],
        )
    )


def transition(
    *, session: Session, order: Order, target: OrderStatus, actor: str, note: str = ""
) -> None:
    """Move ``order`` to ``target`` and write it in the timeline. Raises InvalidTransition."""
    current = OrderStatus(order.status)
    ensure_transition(current, target)
    order.status = target.value
    order.updated_at = clock.now()
    record_event(session, order, current.value, target.value, actor, note)


def customer_locale(order: Order) -> str:
    """The language ``order``'s customer is written in: the shop's (``MAILLON_SHOP_LOCALE``)
    when set, else by the shipping country (:func:`maillon.core.mail.choose_locale`)."""
    return mail.choose_locale(shop=outbox.shop_locale(), country=order.ship_country)


def notify_customer(
    *,
    session: Session,
    order: Order,
    topic: str,
    context: dict[str, Any] | None = None,
    extra: dict[str, Any] | None = None,
) -> None:
    """Write the message ``topic`` to the order's customer in the outbox (sent after commit),
    from the topic's templates in the customer's language (:func:`customer_locale`).

    The templates get ``context`` besides the customer's name, the order number, its currency
    and shipping postcode (for tracking links); the outbox row's payload is the order number
    and ``extra``. A topic with a text-message template also goes by SMS to the order's phone
    when an SMS provider is configured.
    """
    values = {
        "customer_name": order.customer.name,
        "order_number": order.number,
        "currency": order.currency,
        "postcode": order.ship_postcode,
        **(context or {}),
    }
    outbox.notify(
        session,
        topic=topic,
        locale=customer_locale(order),
        recipient=order.customer.email,
        context=values,
        payload={"order": order.number, **(extra or {})},
        phone=order.ship_phone or order.customer.phone,
    )


def notify_backordered(*, session: Session, order: Order, short_units: dict[str, int]) -> None:
    """Tell the customer that part of ``order`` waits for stock (``short_units`` per SKU)."""
    notify_customer(
        session=session,
        order=order,
        topic="order.backordered",
        context={"short": short_units},
        extra={"short": short_units},
    )


def short_note(short_units: dict[str, int]) -> str:
    """The timeline note of an order waiting for stock."""
    return "waiting for stock: " + ", ".join(f"{s} short by {q}" for s, q in short_units.items())


def allocated_note(units: int, warehouses: int) -> str:
    """The timeline note of an order whose units are all reserved."""
    return f"{units} unit(s) reserved; ships from {warehouses} warehouse(s)"
