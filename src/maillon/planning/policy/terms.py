"""Supplier terms and design parameters: what a policy is designed from.

:class:`SupplierTerms` holds what one supplier offers for one SKU (lead time and its spread,
MOQ, pack size, price, order cost); :class:`PolicyParams` how policies are designed (service
target and type, policy kind, review period, costs, distribution, JIT rule). The names of the
policy kinds, service types and distributions, and the checks the other policy modules share,
live here too.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

POLICY_KINDS: tuple[str, ...] = ("sQ", "RS", "minmax", "jit")
"""Policy kinds accepted by :class:`SkuPolicy` and ``design_policy(kind=...)``."""

SERVICE_TYPES: tuple[str, ...] = ("cycle", "fill_rate")
"""``"cycle"``: cycle service level (type 1); ``"fill_rate"``: fill rate (type 2)."""

DISTRIBUTIONS: tuple[str, ...] = ("normal", "gamma")
"""Distributions of protection-interval demand accepted by the design functions."""

_FloatArray = npt.NDArray[np.float64]
_ORDER_UP_TO_KINDS = ("RS", "jit")
_EPS = 1e-9
_BISECTION_STEPS = 80


def _check_distribution(distribution: str) -> None:
    if distribution not in DISTRIBUTIONS:
        raise ValueError(
            f"distribution = {distribution!r} not understood; choose one of {DISTRIBUTIONS}."
        )


def _check_finite_nonneg(name: str, value: float) -> None:
    if not (math.isfinite(value) and value >= 0):
        raise ValueError(f"{name} = {value!r} must be finite and >= 0.")


def _positive_or_empty(values: Iterable[tuple[str, float]]) -> None:
    for name, value in values:
        _check_finite_nonneg(name, value)


# --------------------------------------------------------------------------- terms and params


@dataclass(frozen=True, slots=True)
class SupplierTerms:
    """What one supplier offers for one SKU.

    Attributes:
        supplier: supplier identifier.
        lead_time_mean: mean lead time, in periods.
        lead_time_sd: standard deviation of the lead time, in periods.
        moq: minimum order quantity (units; 0: none).
        pack_size: orders are multiples of this many units.
        unit_price: purchase price per unit (drives holding and shortage costs).
        order_cost: fixed cost of placing one order line with this supplier.

    Raises:
        ValueError: if a number is negative or not finite, or ``pack_size <= 0``.
    """

    supplier: str
    lead_time_mean: float
    lead_time_sd: float = 0.0
    moq: float = 0.0
    pack_size: float = 1.0
    unit_price: float = 0.0
    order_cost: float = 0.0

    def __post_init__(self) -> None:
        for name in ("lead_time_mean", "lead_time_sd", "moq", "unit_price", "order_cost"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value >= 0):  # the message built only when needed
                _check_finite_nonneg(f"{self.supplier!r}: {name}", value)
        if not (math.isfinite(self.pack_size) and self.pack_size > 0):
            raise ValueError(f"{self.supplier!r}: pack_size = {self.pack_size!r} must be > 0.")

    @property
    def lead_time_cv(self) -> float:
        """Return the lead time's coefficient of variation (0 for a zero lead time)."""
        return self.lead_time_sd / self.lead_time_mean if self.lead_time_mean > 0 else 0.0


@dataclass(frozen=True, slots=True)
class PolicyParams:
    """How policies are designed.

    Attributes:
        service_level: the target, in (0, 1): a cycle service level or a fill rate.
        service_type: ``"fill_rate"`` (type 2, default) or ``"cycle"`` (type 1).
        kind: ``"auto"`` or one of :data:`POLICY_KINDS`. ``"auto"`` picks ``"jit"`` for a fast
            mover with a reliable supplier (see the ``jit_*`` fields), else ``"RS"`` when
            ``review_period > 1``, else ``"sQ"``.
        review_period: periods between reviews (1: every period). JIT always uses 1.
        holding_rate: yearly holding cost as a fraction of the unit price (the cost of the
            capital tied up in stock).
        unit_holding_cost: holding cost per unit per period that does not depend on the price
            (storage space, handling); added to the capital cost. With it the EOQ weighs
            units as well as value: cheap fast movers get smaller lots (fewer units on the
            shelf for the same number of orders).
        periods_per_year: periods in a year (365 for days; 52 for weeks).
        order_cost: fixed cost per order; ``None``: the supplier's ``order_cost``.
        shortage_rate: cost of one unit short (backordered), as a fraction of the unit price.
        allow_negative: allow a negative safety stock (possible with a fill-rate target and
            large orders).
        distribution: of the protection-interval demand: ``"normal"`` or ``"gamma"`` (same
            mean and sd, right-skewed: better for lumpy demand).
        jit_min_demand: smallest forecast mean per period of a fast mover.
        jit_max_lead_time_cv: largest lead-time coefficient of variation of a reliable
            supplier.
        jit_max_lead_time: longest mean lead time (periods) of a reliable supplier.
        jit_classes: ABC/XYZ labels (``"AX"``) eligible for JIT when the caller passes a class;
            empty: any class.
        max_lot_periods: largest EOQ lot, in periods of forecast demand (``None``: the EOQ
            alone); caps the cycle stock of cheap items (shelf life, obsolescence, space).
            The lot is never below the review period's demand, the MOQ or one pack.

    Raises:
        ValueError: for an unknown kind or service type, a service level outside (0, 1), or a
            negative, non-finite or zero value where it makes no sense.
    """

    service_level: float = 0.95
    service_type: str = "fill_rate"
    kind: str = "auto"
    review_period: int = 1
    holding_rate: float = 0.25
    unit_holding_cost: float = 0.0
    periods_per_year: float = 365.0
    order_cost: float | None = None
    shortage_rate: float = 1.0
    allow_negative: bool = False
    distribution: str = "normal"
    jit_min_demand: float = 20.0
    jit_max_lead_time_cv: float = 0.1
    jit_max_lead_time: float = 3.0
    jit_classes: tuple[str, ...] = ("AX",)
    max_lot_periods: float | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "jit_classes", tuple(self.jit_classes))
        if not 0 < self.service_level < 1:
            raise ValueError(f"service_level = {self.service_level!r} must be in (0, 1).")
        if self.service_type not in SERVICE_TYPES:
            raise ValueError(
                f"service_type = {self.service_type!r} not understood; choose one of "
                f"{SERVICE_TYPES}."
            )
        if self.kind != "auto" and self.kind not in POLICY_KINDS:
            raise ValueError(
                f"kind = {self.kind!r} not understood; choose 'auto' or one of {POLICY_KINDS}."
            )
        if self.review_period < 1:
            raise ValueError(f"review_period = {self.review_period!r} < 1 not understood.")
        _check_distribution(self.distribution)
        for name in (
            "holding_rate",
            "unit_holding_cost",
            "shortage_rate",
            "jit_min_demand",
            "jit_max_lead_time_cv",
        ):
            _check_finite_nonneg(name, getattr(self, name))
        if not self.jit_max_lead_time >= 0:
            raise ValueError(f"jit_max_lead_time = {self.jit_max_lead_time!r} must be >= 0.")
        if not (math.isfinite(self.periods_per_year) and self.periods_per_year > 0):
            raise ValueError(f"periods_per_year = {self.periods_per_year!r} must be > 0.")
        if self.order_cost is not None:
            _check_finite_nonneg("order_cost", self.order_cost)
        if self.max_lot_periods is not None and not (
            math.isfinite(self.max_lot_periods) and self.max_lot_periods > 0
        ):
            raise ValueError(f"max_lot_periods = {self.max_lot_periods!r} must be > 0.")

    def holding_cost(self, unit_price: float) -> float:
        """Return the holding cost of one unit for one period at ``unit_price`` (capital plus
        ``unit_holding_cost``)."""
        return unit_price * self.holding_rate / self.periods_per_year + self.unit_holding_cost
