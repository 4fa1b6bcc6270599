"""The replenishment policy of one SKU (:class:`SkuPolicy`) and what it orders at a review."""

from __future__ import annotations

import math
from dataclasses import dataclass

from maillon.planning.policy.lot_size import round_order_quantity
from maillon.planning.policy.terms import POLICY_KINDS, SupplierTerms, _check_finite_nonneg


@dataclass(frozen=True, slots=True)
class SkuPolicy:
    """The replenishment policy of one SKU.

    Attributes:
        sku: the SKU.
        kind: one of :data:`POLICY_KINDS`.
        supplier: the supplier's terms (lead time, MOQ, pack size, price).
        review_period: periods between reviews (>= 1).
        reorder_point: ``s``: order when the inventory position is at or below it.
        order_quantity: ``Q`` for ``"sQ"``; ``None`` otherwise.
        order_up_to: ``S`` for ``"RS"``, ``"minmax"`` and ``"jit"``; ``None`` for ``"sQ"``.
        safety_stock: units kept above the mean demand of the protection interval.
        forecast_mean: forecast demand per period used in the design.
        forecast_sigma: forecast-error standard deviation per period used in the design.
        expected_fill_rate: fill rate predicted by the normal model.
        expected_cycle_service: cycle service level predicted by the normal model.
        holding_cost: cost of holding one unit one period.
        order_cost: cost of one order.
        shortage_cost: cost of one unit short.
        reason: why this kind was chosen.

    Raises:
        ValueError: if the kind is unknown, ``order_quantity``/``order_up_to`` do not match
            the kind, ``order_up_to < reorder_point``, ``order_quantity <= 0``, a number is
            not finite or a cost is negative, or ``review_period < 1``.
    """

    sku: str
    kind: str
    supplier: SupplierTerms
    review_period: int
    reorder_point: float
    order_quantity: float | None = None
    order_up_to: float | None = None
    safety_stock: float = 0.0
    forecast_mean: float = 0.0
    forecast_sigma: float = 0.0
    expected_fill_rate: float = math.nan
    expected_cycle_service: float = math.nan
    holding_cost: float = 0.0
    order_cost: float = 0.0
    shortage_cost: float = 0.0
    reason: str = ""

    def __post_init__(self) -> None:
        if self.kind not in POLICY_KINDS:
            raise ValueError(
                f"{self.sku!r}: kind = {self.kind!r} not understood; choose one of {POLICY_KINDS}."
            )
        if self.review_period < 1:
            raise ValueError(f"{self.sku!r}: review_period = {self.review_period!r} < 1.")
        if not math.isfinite(self.reorder_point):
            raise ValueError(f"{self.sku!r}: reorder_point must be finite.")
        if self.kind == "sQ":
            if self.order_quantity is None or self.order_up_to is not None:
                raise ValueError(f"{self.sku!r}: an sQ policy needs order_quantity only.")
            if not (math.isfinite(self.order_quantity) and self.order_quantity > 0):
                raise ValueError(f"{self.sku!r}: order_quantity must be > 0.")
        else:
            if self.order_up_to is None or self.order_quantity is not None:
                raise ValueError(f"{self.sku!r}: a {self.kind} policy needs order_up_to only.")
            if not math.isfinite(self.order_up_to) or self.order_up_to < self.reorder_point:
                raise ValueError(
                    f"{self.sku!r}: order_up_to = {self.order_up_to!r} must be finite and "
                    f">= reorder_point = {self.reorder_point!r}."
                )
        for name in ("holding_cost", "order_cost", "shortage_cost", "forecast_mean"):
            _check_finite_nonneg(f"{self.sku!r}: {name}", getattr(self, name))

    def order_quantity_for(self, inventory_position: float) -> float:
        """Return the rounded quantity to order at a review for ``inventory_position`` (0: none)."""
        if inventory_position > self.reorder_point:
            return 0.0
        if self.order_quantity is not None:
            lots = math.floor((self.reorder_point - inventory_position) / self.order_quantity) + 1
            raw = lots * self.order_quantity
        else:
            assert self.order_up_to is not None
            raw = self.order_up_to - inventory_position
        return round_order_quantity(raw, moq=self.supplier.moq, pack_size=self.supplier.pack_size)
