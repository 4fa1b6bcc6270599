"""Order proposals (the pure part of replenishment): stock positions in, order lines out.

:func:`propose_orders` turns :class:`StockPosition` values and policies into
:class:`PurchaseLine` proposals; purchase orders and receiving are the service's job.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from maillon.planning.policy.sku import SkuPolicy
from maillon.planning.policy.terms import _EPS, _check_finite_nonneg


@dataclass(frozen=True, slots=True)
class StockPosition:
    """Where one SKU stands.

    Attributes:
        sku: the SKU.
        on_hand: units in stock.
        on_order: units ordered and not yet received.
        backordered: units owed to customers.

    Raises:
        ValueError: if a quantity is negative or not finite.
    """

    sku: str
    on_hand: float
    on_order: float = 0.0
    backordered: float = 0.0

    def __post_init__(self) -> None:
        for name in ("on_hand", "on_order", "backordered"):
            _check_finite_nonneg(f"{self.sku!r}: {name}", getattr(self, name))

    @property
    def inventory_position(self) -> float:
        """Return ``on_hand + on_order - backordered``."""
        return self.on_hand + self.on_order - self.backordered


@dataclass(frozen=True, slots=True)
class PurchaseLine:
    """One proposed purchase line.

    Attributes:
        sku: the SKU.
        supplier: the supplier identifier.
        quantity: units, already a multiple of the pack size and at least the MOQ.
        expected_arrival: the day the order should arrive (today + mean lead time).
        reason: why it is proposed (position versus reorder point, policy kind).
        unit_price: the supplier's unit price.
    """

    sku: str
    supplier: str
    quantity: float
    expected_arrival: date
    reason: str
    unit_price: float = 0.0

    @property
    def amount(self) -> float:
        """Return ``quantity x unit_price``."""
        return self.quantity * self.unit_price


def propose_orders(
    *,
    positions: Sequence[StockPosition],
    policies: Mapping[str, SkuPolicy] | Sequence[SkuPolicy],
    today: date,
    period: timedelta = timedelta(days=1),
    period_index: int | None = None,
) -> tuple[PurchaseLine, ...]:
    """Return the order lines the policies call for at ``today``, in the order of ``positions``.

    Args:
        positions: current stock positions, one per SKU.
        policies: the policies, by SKU (a mapping or a sequence of :class:`SkuPolicy`).
        today: the review date.
        period: the length of one period (lead times are in periods).
        period_index: index of today's period; a policy with ``review_period = R`` is
            reviewed only when ``period_index % R == 0``. ``None``: review every policy.

    Raises:
        ValueError: if a position has no policy, SKUs repeat in ``positions``, or
            ``period`` is not positive.
    """
    if period <= timedelta(0):
        raise ValueError(f"period = {period!r} must be positive.")
    by_sku = dict(policies) if isinstance(policies, Mapping) else {p.sku: p for p in policies}
    seen: set[str] = set()
    lines: list[PurchaseLine] = []
    for position in positions:
        if position.sku in seen:
            raise ValueError(f"{position.sku!r} appears twice in positions.")
        seen.add(position.sku)
        policy = by_sku.get(position.sku)
        if policy is None:
            raise ValueError(f"No policy for SKU {position.sku!r}.")
        if period_index is not None and period_index % policy.review_period:
            continue
        ip = position.inventory_position
        quantity = policy.order_quantity_for(ip)
        if quantity <= 0:
            continue
        terms = policy.supplier
        arrival = today + period * math.ceil(terms.lead_time_mean - _EPS)
        target = (
            f"order up to {policy.order_up_to:g}"
            if policy.order_up_to is not None
            else f"{quantity / (policy.order_quantity or 1):g} lot(s) of {policy.order_quantity:g}"
        )
        reason = (
            f"{policy.kind}: inventory position {ip:g} (on hand {position.on_hand:g} + on order "
            f"{position.on_order:g} - backordered {position.backordered:g}) <= reorder point "
            f"{policy.reorder_point:g}; {target}"
        )
        if quantity > (policy.order_up_to or 0) - ip and policy.order_up_to is not None:
            reason += f"; rounded to MOQ {terms.moq:g} / pack {terms.pack_size:g}"
        lines.append(
            PurchaseLine(
                sku=position.sku,
                supplier=terms.supplier,
                quantity=quantity,
                expected_arrival=arrival,
                reason=reason,
                unit_price=terms.unit_price,
            )
        )
    return tuple(lines)
