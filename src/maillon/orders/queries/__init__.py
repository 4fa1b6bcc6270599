"""Read-only questions about orders that pages and reports ask: how many are late or waiting,
which may still be cancelled, an order by its id, its timeline. Each takes a session and changes
nothing."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from maillon.orders.model import OrderStatus
from maillon.orders.tables import Order, OrderEvent

#: The statuses in which the console offers to cancel an order: before its picking starts
#: (the state machine, :data:`maillon.orders.model.TRANSITIONS`, also lets an order being
#: picked or packed be cancelled, through the API).
CANCELLABLE = (
    OrderStatus.CONFIRMED.value,
    OrderStatus.BACKORDERED.value,
    OrderStatus.ALLOCATED.value,
)


def can_cancel(order: Order) -> bool:
    """Return whether the console offers to cancel ``order`` (its status is in
    :data:`CANCELLABLE`)."""
    return order.status in CANCELLABLE


def count_late(*, session: Session, now: datetime) -> int:
    """Return how many orders are late: past their promised date, not delivered, not
    cancelled."""
    return int(
        session.scalar(
            select(func.count())
            .select_from(Order)
            .where(
                Order.promised_at < now,
                Order.delivered_at.is_(None),
                Order.status.not_in((OrderStatus.CANCELLED.value, OrderStatus.DELIVERED.value)),
            )
        )
        or 0
    )


def count_with_status(*, session: Session, status: OrderStatus) -> int:
    """Return how many orders have ``status``."""
    return int(
        session.scalar(select(func.count()).select_from(Order).where(Order.status == status.value))
        or 0
    )


def order_by_id(*, session: Session, order_id: int) -> Order | None:
    """Return the order of id ``order_id``, or None."""
    return session.get(Order, order_id)


def currency_of(*, session: Session, order_id: int) -> str | None:
    """Return the currency of the order of id ``order_id`` (None: no such order)."""
    return session.scalar(select(Order.currency).where(Order.id == order_id))


def order_events(*, session: Session, order: Order) -> Sequence[OrderEvent]:
    """Return the order's timeline, oldest first."""
    return session.scalars(
        select(OrderEvent).where(OrderEvent.order_id == order.id).order_by(OrderEvent.id)
    ).all()
