"""Returns analytics: return rate and reasons per SKU or category over a period.

The rate of a SKU is the units of it coming back (requested, or received once the parcel
arrived; rejected and cancelled returns left out) over the units delivered, for orders
delivered in the period -- so a return made after the period still counts against the sales
it belongs to.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from maillon.catalog.tables import Product
from maillon.core.errors import FieldError, ValidationError
from maillon.orders.model import OrderStatus
from maillon.orders.tables import Order, OrderLine
from maillon.returns.model import ARRIVED, CLOSED_OUT
from maillon.returns.tables import ReturnLine, ReturnRequest

GROUPS = ("sku", "category")


@dataclass(frozen=True)
class RateRow:
    """Return rate of one SKU or category: units delivered, units returned, why."""

    key: str
    delivered_units: int
    returned_units: int
    reasons: dict[str, int] = field(default_factory=dict)

    @property
    def rate_pct(self) -> float:
        """Returned units per 100 delivered (0 when nothing was delivered)."""
        if not self.delivered_units:
            return 0.0
        return round(100 * self.returned_units / self.delivered_units, 2)


def return_rates(
    *, session: Session, start: datetime, end: datetime, by: str = "sku"
) -> list[RateRow]:
    """Return the rate and reasons per SKU or category (``by``) for orders delivered in
    ``[start, end)``, highest rate first.

    Raises ValidationError for an unknown grouping or an empty period.
    """
    if by not in GROUPS:
        raise ValidationError(FieldError("by", "one of " + ", ".join(GROUPS)))
    if end <= start:
        raise ValidationError(FieldError("to", "must be after from"))
    key = OrderLine.sku if by == "sku" else Product.category
    in_period = (
        Order.status == OrderStatus.DELIVERED,
        Order.delivered_at >= start,
        Order.delivered_at < end,
    )
    delivered = session.execute(
        select(key, func.sum(OrderLine.quantity))
        .join(Order, Order.id == OrderLine.order_id)
        .join(Product, Product.id == OrderLine.product_id)
        .where(*in_period)
        .group_by(key)
    ).all()
    units = case(
        (ReturnRequest.status.in_(ARRIVED), ReturnLine.received_quantity),
        else_=ReturnLine.quantity,
    )
    returned = session.execute(
        select(key, ReturnLine.reason_code, func.sum(units))
        .select_from(ReturnLine)
        .join(ReturnRequest, ReturnRequest.id == ReturnLine.return_id)
        .join(OrderLine, OrderLine.id == ReturnLine.order_line_id)
        .join(Order, Order.id == OrderLine.order_id)
        .join(Product, Product.id == OrderLine.product_id)
        .where(*in_period, ReturnRequest.status.not_in(CLOSED_OUT))
        .group_by(key, ReturnLine.reason_code)
    ).all()
    reasons: dict[str, dict[str, int]] = {}
    for k, code, n in returned:
        if n:
            reasons.setdefault(k or "", {})[code] = int(n)
    rows = [
        RateRow(
            key=k or "",
            delivered_units=int(n or 0),
            returned_units=sum(reasons.get(k or "", {}).values()),
            reasons=dict(sorted(reasons.get(k or "", {}).items(), key=lambda x: (-x[1], x[0]))),
        )
        for k, n in delivered
    ]
    return sorted(rows, key=lambda r: (-r.rate_pct, -r.returned_units, r.key))
