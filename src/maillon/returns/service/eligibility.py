"""What may come back: the order's lines as the policy sees them, the units already in a live
return, and the policy's verdict on requested lines (refusals raised per line)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from maillon.catalog.tables import Product
from maillon.core import clock
from maillon.core.errors import ErrorCollector
from maillon.orders.model import OrderStatus
from maillon.orders.tables import Order
from maillon.returns import policy
from maillon.returns.config import ReturnSettings
from maillon.returns.model import ARRIVED, CLOSED_OUT
from maillon.returns.service.settings import load_settings
from maillon.returns.tables import ReturnLine, ReturnRequest


def product_categories(session: Session, order: Order) -> dict[int, str]:
    ids = {line.product_id for line in order.lines}
    return dict(
        session.execute(select(Product.id, Product.category).where(Product.id.in_(ids))).all()
    )


def policy_lines(session: Session, order: Order) -> list[policy.SoldLine]:
    categories = product_categories(session, order)
    delivered = order.status == OrderStatus.DELIVERED.value
    when = clock.as_utc(order.delivered_at) if delivered and order.delivered_at else None
    if delivered and when is None:
        when = clock.as_utc(order.updated_at)
    return [
        policy.SoldLine(
            sku=line.sku,
            category=categories.get(line.product_id, ""),
            quantity=line.quantity if when else 0,
            unit_price_cents=line.unit_price_cents,
            delivered_at=when,
        )
        for line in order.lines
    ]


def returned_by_line(session: Session, order_id: int) -> dict[int, int]:
    """Units of each order line already in a live return (arrived units once received)."""
    rows = session.execute(
        select(
            ReturnLine.order_line_id,
            ReturnLine.quantity,
            ReturnLine.received_quantity,
            ReturnRequest.status,
        )
        .join(ReturnRequest, ReturnRequest.id == ReturnLine.return_id)
        .where(ReturnRequest.order_id == order_id, ReturnRequest.status.not_in(CLOSED_OUT))
    ).all()
    out: dict[int, int] = {}
    for line_id, quantity, received, status in rows:
        out[line_id] = out.get(line_id, 0) + (received if status in ARRIVED else quantity)
    return out


def returned_by_sku(order: Order, by_line: dict[int, int]) -> dict[str, int]:
    out: dict[str, int] = {}
    for line in order.lines:
        out[line.sku] = out.get(line.sku, 0) + by_line.get(line.id, 0)
    return out


def check_eligibility(
    *,
    session: Session,
    order: Order,
    requested: Sequence[policy.RequestedLine],
    settings: ReturnSettings | None = None,
) -> policy.EligibilityResult:
    """Return the policy's verdict on each requested line of ``order`` (see
    :func:`maillon.returns.policy.check_eligibility`). Raises ValidationError for malformed
    lines (unknown reason code, quantity below 1)."""
    settings = settings or load_settings(session=session)
    by_line = returned_by_line(session, order.id)
    return policy.check_eligibility(
        policy=settings.policy,
        order_lines=policy_lines(session, order),
        requested=requested,
        now=clock.now(),
        already_returned=returned_by_sku(order, by_line),
    )


_REFUSAL_FIELD = {
    policy.Verdict.NOT_IN_ORDER: "sku",
    policy.Verdict.NOT_DELIVERED: "sku",
    policy.Verdict.EXCEEDS_REMAINING: "quantity",
    policy.Verdict.NOT_RETURNABLE: "reason",
    policy.Verdict.WINDOW_EXPIRED: "reason",
}


def raise_refusals(result: policy.EligibilityResult, *, legacy: bool = False) -> None:
    errors = ErrorCollector()
    for verdict in result.rejected:
        message = verdict.message
        if legacy and verdict.verdict is policy.Verdict.EXCEEDS_REMAINING:
            message = f"must be between 1 and {verdict.remaining} ({message})"
        errors.add(f"lines.{verdict.index}.{_REFUSAL_FIELD[verdict.verdict]}", message)
    errors.raise_if_any()
