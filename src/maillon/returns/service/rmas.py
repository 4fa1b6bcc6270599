"""Finding, listing and locking RMAs, and moving one through its states (each move recorded
in the tamper-evident chain)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from maillon.core import outbox
from maillon.core.errors import FieldError, NotFound, ValidationError
from maillon.orders.model import parse_order_number
from maillon.orders.tables import Order
from maillon.returns.model import ReturnStatus, ensure_transition
from maillon.returns.service import record
from maillon.returns.tables import ReturnLine, ReturnRequest


def get_return(*, session: Session, return_id: int) -> ReturnRequest:
    """Return one RMA. Raises NotFound."""
    request = session.get(ReturnRequest, return_id)
    if request is None:
        raise NotFound("return", return_id, field="return_id")
    return request


def locked(session: Session, return_id: int) -> ReturnRequest:
    request = session.scalar(
        select(ReturnRequest)
        .where(ReturnRequest.id == return_id)
        .with_for_update(of=ReturnRequest)
        .execution_options(populate_existing=True)
    )
    if request is None:
        raise NotFound("return", return_id, field="return_id")
    return request


def list_returns(
    *,
    session: Session,
    limit: int = 50,
    offset: int = 0,
    status: str | None = None,
    order: str | None = None,
    sku: str | None = None,
) -> Sequence[ReturnRequest]:
    """Return one page of returns, newest first (filtered by status, order number, SKU)."""
    return session.scalars(
        _filtered(select(ReturnRequest), status, order, sku)
        .order_by(ReturnRequest.id.desc())
        .limit(limit)
        .offset(offset)
    ).all()


def count_returns(
    *, session: Session, status: str | None = None, order: str | None = None, sku: str | None = None
) -> int:
    """Return how many returns match the filters of :func:`list_returns`."""
    query = _filtered(select(ReturnRequest.id), status, order, sku)
    return session.scalar(select(func.count()).select_from(query.subquery())) or 0


def _filtered(query: Any, status: str | None, order: str | None, sku: str | None) -> Any:
    if status:
        if status not in {s.value for s in ReturnStatus}:
            raise ValidationError(
                FieldError("status", "one of " + ", ".join(s.value for s in ReturnStatus))
            )
        query = query.where(ReturnRequest.status == status)
    if order:
        order_id = parse_order_number(order)
        if order_id is None:
            raise ValidationError(FieldError("order", "an order number such as M0000042"))
        query = query.where(ReturnRequest.order_id == order_id)
    if sku:
        query = query.where(
            ReturnRequest.id.in_(select(ReturnLine.return_id).where(ReturnLine.sku == sku))
        )
    return query


def order_of(*, session: Session, request: ReturnRequest) -> Order:
    """Return the order an RMA belongs to."""
    order = session.get(Order, request.order_id)
    assert order is not None
    return order


def move(
    session: Session,
    request: ReturnRequest,
    target: ReturnStatus,
    actor: str,
    data: dict[str, Any] | None = None,
) -> None:
    current = ReturnStatus(request.status)
    ensure_transition(current, target)
    request.status = target.value
    record.append_event(
        session,
        event_type=f"return.{target.value}",
        actor=actor,
        return_id=request.id,
        data={"rma": request.number, "from": current.value, **(data or {})},
    )
    outbox.publish(
        session,
        f"return.{target.value}",
        {
            "return_id": request.id,
            "rma": request.number,
            "order_id": request.order_id,
            "from": current.value,
            "status": target.value,
        },
    )
