"""An order's timeline and its status changes, and telling its customer.

Every status change goes through :func:`transition`, so each one lands in the timeline;
higher packages (warehouse, shipping, returns) call it and never write the status column.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from maillon.core import clock, outbox
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


def notify_customer(
    *,
    session: Session,
    order: Order,
    topic: str,
    subject: str,
    message: str,
    extra: dict[str, Any] | None = None,
) -> None:
    """Write an e-mail to the order's customer in the outbox (sent after commit)."""
    outbox.enqueue_message(
        session,
        topic=topic,
        recipient=order.customer.email,
        subject=subject,
        body=f"Hello {order.customer.name},\n\n{message}\n",
        payload={"order": order.number, **(extra or {})},
    )


def notify_backordered(*, session: Session, order: Order, short_units: dict[str, int]) -> None:
    """Tell the customer that part of ``order`` waits for stock (``short_units`` per SKU)."""
    notify_customer(
        session=session,
        order=order,
        topic="order.backordered",
        subject=f"Part of your order {order.number} is delayed",
        message=f"Some items of your order {order.number} are out of stock for a few "
        "days. We will ship as soon as they arrive.",
        extra={"short": short_units},
    )


def short_note(short_units: dict[str, int]) -> str:
    """The timeline note of an order waiting for stock."""
    return "waiting for stock: " + ", ".join(f"{s} short by {q}" for s, q in short_units.items())


def allocated_note(units: int, warehouses: int) -> str:
    """The timeline note of an order whose units are all reserved."""
    return f"{units} unit(s) reserved; ships from {warehouses} warehouse(s)"
