"""Inventory policies (pure): safety stock, reorder points, EOQ, policy design, order proposals.

Time is counted in *periods* (days by default). A policy is reviewed every ``R`` periods
(``R = 1``: every period, the discrete form of continuous review). At a review the inventory
position ``IP = on hand + on order - backordered`` is compared with the reorder point ``s``;
when ``IP <= s`` an order is placed:

``"sQ"``
    (s, Q): order the smallest multiple of ``Q`` that lifts ``IP`` above ``s``; ``Q`` is the
    EOQ rounded to the supplier's MOQ and pack size.
``"RS"``
    (R, S): every ``R`` periods order up to ``S`` (``s = S``).
``"minmax"``
    (R, s, S), min/max: when ``IP <= s`` (min) order up to ``S`` (max), with ``S - s`` the
    EOQ.
``"jit"``
    Just in time: review every period and replace what was consumed (order up to ``S`` with
    ``R = 1``); chosen by ``kind="auto"`` for fast movers with a reliable supplier.

Every order quantity is rounded up to the minimum order quantity, then to a multiple of the
pack size (:func:`round_order_quantity`).

Timing convention (the one :mod:`maillon.planning.simulate` replays): an order placed at a
review at the start of period ``t`` with lead time ``L`` is received at the start of period
``t + L``. The stock at a review must therefore cover the demand of the *protection
interval* of ``P = L + R`` periods, whose mean and variance are

    mu_P = mu * P        sigma_P^2 = P * sigma^2 + mu^2 * sigma_L^2

with ``mu`` and ``sigma`` the per-period forecast mean and forecast-error standard deviation
and ``sigma_L`` the lead-time standard deviation (demand normal, periods independent).

Safety stock (``level - mu_P`` with ``level`` the reorder point of sQ/min-max or the
order-up-to level of RS/JIT) is set from a service target:

* ``service_type="cycle"`` (type 1, alpha): the probability of no stock-out in a replenishment
  cycle: ``level = mu_P + z sigma_P`` with ``z = Phi^-1(alpha)``;
* ``service_type="fill_rate"`` (type 2, beta): the share of demand served from stock. With
  the standard normal loss function ``G(z) = phi(z) - z (1 - Phi(z))`` and
  ``loss(x; mu, sigma) = sigma G((x - mu) / sigma) = E[(D - x)+]``, the expected shortage per
  cycle (backorders) is

      sQ / min-max:  loss(s; mu_P, sigma_P) - loss(s + Q; mu_P, sigma_P)   (Hadley-Whitin)
      RS / JIT:      loss(S; mu_P, sigma_P) - loss(S; mu_L, sigma_Lt)      (mu_L = mu L)

  and the level solves ``shortage = (1 - beta) x (demand per cycle)`` where the demand per
  cycle is ``Q`` (sQ / min-max) or ``mu R`` (RS / JIT); solved by bisection, vectorised.

With ``distribution="gamma"`` the same formulas use a gamma law of the same mean and sd
(right-skewed; advisable when demand over the protection interval has a CV above ~0.5).
By default the safety stock is not allowed below zero (``allow_negative=False``).

Known approximations: the lead-time term ``mu^2 sigma_L^2`` assumes orders do not cross; with
frequent orders (JIT, short cycles) and variable lead times crossing averages the variability
out and the achieved service exceeds the target. For (s, Q) with a cycle-service target the
``L + R`` protection is slightly conservative (an order is placed as soon as ``IP <= s``).

:func:`design_policy` turns a forecast, a :class:`SupplierTerms` and :class:`PolicyParams`
into one frozen :class:`SkuPolicy`; :func:`design_batch` does the same for many SKUs at once
(numpy arrays, optionally one set of parameters per period) into a :class:`PolicyBatch`,
the form :func:`maillon.planning.simulate.simulate` replays. :func:`propose_orders` turns
stock positions and policies into :class:`OrderLine` proposals (the pure part of
replenishment; purchase orders and receiving are the service's job).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import special

__all__ = [
    "DISTRIBUTIONS",
    "POLICY_KINDS",
    "SERVICE_TYPES",
    "LeadTimeDemand",
    "OrderLine",
    "PolicyBatch",
    "PolicyParams",
    "ServiceTargets",
    "SkuPolicy",
    "StockPosition",
    "SupplierTerms",
    "choose_supplier",
    "design_batch",
    "design_policy",
    "eoq",
    "expected_shortage",
    "lead_time_demand",
    "normal_loss",
    "propose_orders",
    "reorder_point",
    "round_order_quantity",
    "safety_stock",
]

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


# --------------------------------------------------------------------------- formulas


def normal_loss(z: float | npt.ArrayLike) -> Any:
    """Return the standard normal loss ``G(z) = E[(Z - z)+] = phi(z) - z (1 - Phi(z))``.

    Works elementwise on arrays; returns a float for a scalar.
    """
    array = np.asarray(z, dtype=np.float64)
    value = np.exp(-0.5 * array * array) / math.sqrt(2 * math.pi) - array * special.ndtr(-array)
    value = np.maximum(value, 0.0)
    return float(value) if value.ndim == 0 else value


def _normal_loss(x: _FloatArray, mu: _FloatArray, sigma: _FloatArray) -> _FloatArray:
    """E[(D - x)+] for D ~ N(mu, sigma) elementwise; sigma = 0 gives max(mu - x, 0)."""
    safe = np.where(sigma > 0, sigma, 1.0)
    z = (x - mu) / safe
    bounded = np.clip(z, -60.0, 60.0)  # exp(-1800) is 0 already; avoids overflow in z * z
    density = np.exp(-0.5 * bounded * bounded) / math.sqrt(2 * math.pi)
    smooth = safe * (density - z * special.ndtr(-z))
    result: _FloatArray = np.where(sigma > 0, np.maximum(smooth, 0.0), np.maximum(mu - x, 0.0))
    return result


def _gamma_loss(x: _FloatArray, mu: _FloatArray, sigma: _FloatArray) -> _FloatArray:
    """E[(D - x)+] for D ~ Gamma with mean mu and sd sigma; degenerate: max(mu - x, 0)."""
    proper = _gamma_ok(mu, sigma)
    safe_mu = np.where(proper, mu, 1.0)
    safe_sigma = np.where(proper, sigma, 1.0)
    shape = (safe_mu / safe_sigma) ** 2
    scale = safe_sigma**2 / safe_mu
    y = np.maximum(x, 0.0) / scale
    smooth = safe_mu * special.gammaincc(shape + 1.0, y) - np.maximum(x, 0.0) * special.gammaincc(
        shape, y
    )
    smooth = np.where(x < 0, safe_mu - x, np.maximum(smooth, 0.0))
    result: _FloatArray = np.where(proper, smooth, np.maximum(mu - x, 0.0))
    return result


def _loss(x: _FloatArray, mu: _FloatArray, sigma: _FloatArray, distribution: str) -> _FloatArray:
    """E[(D - x)+] for demand D of mean mu and sd sigma under ``distribution``."""
    if distribution == "gamma":
        gamma: _FloatArray = np.where(
            _gamma_ok(mu, sigma), _gamma_loss(x, mu, sigma), _normal_loss(x, mu, sigma)
        )
        return gamma
    return _normal_loss(x, mu, sigma)


def _gamma_ok(mu: _FloatArray, sigma: _FloatArray) -> npt.NDArray[np.bool_]:
    """Where a gamma law is used: positive mean and sd, and not so narrow (mean/sd < 1e4)
    that it is normal to all purposes (the shape parameter would overflow)."""
    ok: npt.NDArray[np.bool_] = (sigma > 0) & (mu > 0) & (mu < 1e4 * sigma)
    return ok


def _cdf(x: _FloatArray, mu: _FloatArray, sigma: _FloatArray, distribution: str) -> _FloatArray:
    """P(D <= x) for demand of mean mu and sd sigma under ``distribution``."""
    proper = sigma > 0
    safe_sigma = np.where(proper, sigma, 1.0)
    smooth = special.ndtr((x - mu) / safe_sigma)
    if distribution == "gamma":
        ok = _gamma_ok(mu, sigma)
        safe_mu = np.where(ok, mu, 1.0)
        ok_sigma = np.where(ok, sigma, 1.0)
        shape = (safe_mu / ok_sigma) ** 2
        gamma = special.gammainc(shape, np.maximum(x, 0.0) * safe_mu / ok_sigma**2)
        smooth = np.where(ok, gamma, smooth)
    result: _FloatArray = np.where(proper, smooth, np.where(x >= mu, 1.0, 0.0))
    return result


def _quantile(level: float, mu: _FloatArray, sigma: _FloatArray, distribution: str) -> _FloatArray:
    """The ``level`` quantile of demand of mean mu and sd sigma under ``distribution``."""
    normal: _FloatArray = mu + float(special.ndtri(level)) * sigma
    if distribution != "gamma":
        return normal
    ok = _gamma_ok(mu, sigma)
    safe_mu = np.where(ok, mu, 1.0)
    safe_sigma = np.where(ok, sigma, 1.0)
    shape = (safe_mu / safe_sigma) ** 2
    value = special.gammaincinv(shape, level) * safe_sigma**2 / safe_mu
    result: _FloatArray = np.where(ok, value, normal)
    return result


def _protection(
    mean_demand: _FloatArray,
    sigma_demand: _FloatArray,
    lead_mean: _FloatArray,
    lead_sd: _FloatArray,
    review: _FloatArray,
) -> tuple[_FloatArray, _FloatArray, _FloatArray, _FloatArray]:
    """Mean and sd of demand over L + R periods and over L periods."""
    periods = lead_mean + review
    mu_p = mean_demand * periods
    sigma_p = np.sqrt(periods * sigma_demand**2 + (mean_demand * lead_sd) ** 2)
    mu_l = mean_demand * lead_mean
    sigma_l = np.sqrt(lead_mean * sigma_demand**2 + (mean_demand * lead_sd) ** 2)
    return mu_p, sigma_p, mu_l, sigma_l


def _shortage(
    level: _FloatArray,
    quantity: _FloatArray,
    order_up_to: npt.NDArray[np.bool_],
    mu_p: _FloatArray,
    sigma_p: _FloatArray,
    mu_l: _FloatArray,
    sigma_l: _FloatArray,
    distribution: str = "normal",
) -> _FloatArray:
    """Expected units short per replenishment cycle (see the module docstring)."""
    base = _loss(level, mu_p, sigma_p, distribution)
    second = np.where(
        order_up_to,
        _loss(level, mu_l, sigma_l, distribution),
        _loss(level + quantity, mu_p, sigma_p, distribution),
    )
    result: _FloatArray = np.maximum(base - second, 0.0)
    return result


def _level(
    *,
    service_level: float,
    service_type: str,
    mean_demand: _FloatArray,
    sigma_demand: _FloatArray,
    lead_mean: _FloatArray,
    lead_sd: _FloatArray,
    review: _FloatArray,
    quantity: _FloatArray,
    order_up_to: npt.NDArray[np.bool_],
    allow_negative: bool,
    distribution: str = "normal",
) -> tuple[_FloatArray, _FloatArray]:
    """Return (level, protection mean): the reorder point (sQ) or order-up-to level (RS)."""
    mu_p, sigma_p, mu_l, sigma_l = _protection(
        mean_demand, sigma_demand, lead_mean, lead_sd, review
    )
    if service_type == "cycle":
        level = _quantile(service_level, mu_p, sigma_p, distribution)
    else:
        per_cycle = np.where(order_up_to, mean_demand * review, quantity)
        target = (1.0 - service_level) * per_cycle
        low = mu_p - 8.0 * sigma_p - np.where(order_up_to, 0.0, quantity)
        high = mu_p + 16.0 * sigma_p + 1.0
        for _ in range(_BISECTION_STEPS):
            middle = 0.5 * (low + high)
            short = _shortage(
                middle, quantity, order_up_to, mu_p, sigma_p, mu_l, sigma_l, distribution
            )
            too_short = short > target
            low = np.where(too_short, middle, low)
            high = np.where(too_short, high, middle)
        level = high
    if not allow_negative:
        level = np.maximum(level, mu_p)
    return level, mu_p


def _positive_or_empty(values: Iterable[tuple[str, float]]) -> None:
    for name, value in values:
        _check_finite_nonneg(name, value)


def safety_stock(
    *,
    service_level: float,
    sigma_demand: float,
    mean_lead_time: float,
    sigma_lead_time: float = 0.0,
    review_period: float = 0.0,
    mean_demand: float = 0.0,
    service_type: str = "cycle",
    order_quantity: float | None = None,
    allow_negative: bool = False,
    distribution: str = "normal",
) -> float:
    """Return the safety stock (units) that meets ``service_level`` over ``L + R`` periods.

    Args:
        service_level: target in (0, 1).
        sigma_demand: forecast-error standard deviation per period.
        mean_lead_time: mean lead time ``L`` (periods).
        sigma_lead_time: lead-time standard deviation (periods).
        review_period: ``R`` (0: continuous review; 1: reviewed every period).
        mean_demand: forecast mean per period (needed with lead-time variability and for
            fill rates).
        service_type: ``"cycle"`` (type 1) or ``"fill_rate"`` (type 2).
        order_quantity: for a fill rate, the order quantity ``Q`` of an (s, Q) policy;
            ``None``: an order-up-to policy, whose demand per cycle is ``mean_demand x R``.
        allow_negative: keep a negative result (fill rate with a large ``Q``).
        distribution: of the protection-interval demand, ``"normal"`` or ``"gamma"`` (same
            mean and sd; right-skewed, for lumpy demand).

    Raises:
        ValueError: if a number is negative or not finite, the service level is not in
            (0, 1), the service type or distribution is unknown, or a fill rate is asked for
            an order-up-to policy with ``review_period == 0``.
    """
    _check_distribution(distribution)
    if not 0 < service_level < 1:
        raise ValueError(f"service_level = {service_level!r} must be in (0, 1).")
    if service_type not in SERVICE_TYPES:
        raise ValueError(
            f"service_type = {service_type!r} not understood; choose one of {SERVICE_TYPES}."
        )
    _positive_or_empty(
        [
            ("sigma_demand", sigma_demand),
            ("mean_lead_time", mean_lead_time),
            ("sigma_lead_time", sigma_lead_time),
            ("review_period", review_period),
            ("mean_demand", mean_demand),
        ]
    )
    if order_quantity is not None:
        _check_finite_nonneg("order_quantity", order_quantity)
    if service_type == "fill_rate" and order_quantity is None and review_period <= 0:
        raise ValueError("A fill rate for an order-up-to policy needs review_period > 0.")
    level, mu_p = _level(
        service_level=service_level,
        service_type=service_type,
        mean_demand=np.array([mean_demand]),
        sigma_demand=np.array([sigma_demand]),
        lead_mean=np.array([mean_lead_time]),
        lead_sd=np.array([sigma_lead_time]),
        review=np.array([float(review_period)]),
        quantity=np.array([order_quantity or 0.0]),
        order_up_to=np.array([order_quantity is None]),
        allow_negative=allow_negative,
        distribution=distribution,
    )
    return float(level[0] - mu_p[0])


def expected_shortage(
    *,
    level: float,
    mean_demand: float,
    sigma_demand: float,
    mean_lead_time: float,
    sigma_lead_time: float = 0.0,
    review_period: float = 1.0,
    order_quantity: float | None = None,
    distribution: str = "normal",
) -> float:
    """Return the expected units short per replenishment cycle at a reorder/order-up-to level.

    ``order_quantity`` given: (s, Q) with ``s = level``; ``None``: order up to ``S = level``.
    The predicted fill rate is ``1 - expected_shortage / (Q or mean_demand x R)``.

    Raises:
        ValueError: if a number (but ``level``) is negative or not finite, or the
            distribution is unknown.
    """
    _check_distribution(distribution)
    _positive_or_empty(
        [
            ("mean_demand", mean_demand),
            ("sigma_demand", sigma_demand),
            ("mean_lead_time", mean_lead_time),
            ("sigma_lead_time", sigma_lead_time),
            ("review_period", review_period),
        ]
    )
    if not math.isfinite(level):
        raise ValueError(f"level = {level!r} must be finite.")
    mu_p, sigma_p, mu_l, sigma_l = _protection(
        np.array([mean_demand]),
        np.array([sigma_demand]),
        np.array([mean_lead_time]),
        np.array([sigma_lead_time]),
        np.array([float(review_period)]),
    )
    value = _shortage(
        np.array([level]),
        np.array([order_quantity or 0.0]),
        np.array([order_quantity is None]),
        mu_p,
        sigma_p,
        mu_l,
        sigma_l,
        distribution,
    )
    return float(value[0])


def reorder_point(
    *, mean_demand: float, mean_lead_time: float, safety_stock: float, review_period: float = 0
) -> float:
    """Return the reorder point (or order-up-to level) ``mean_demand x (L + R) + safety_stock``.

    Raises:
        ValueError: if the demand, lead time or review period is negative or not finite, or
            the safety stock is not finite.
    """
    _positive_or_empty(
        [
            ("mean_demand", mean_demand),
            ("mean_lead_time", mean_lead_time),
            ("review_period", review_period),
        ]
    )
    if not math.isfinite(safety_stock):
        raise ValueError(f"safety_stock = {safety_stock!r} must be finite.")
    return mean_demand * (mean_lead_time + review_period) + safety_stock


def eoq(*, demand_rate: float, order_cost: float, holding_cost: float) -> float:
    """Return the economic order quantity ``sqrt(2 D K / h)``.

    ``demand_rate`` and ``holding_cost`` must use the same time unit (e.g. units per period
    and cost per unit per period). Zero demand or a zero order cost gives 0.

    Raises:
        ValueError: if a number is negative or not finite, or ``holding_cost == 0`` while
            demand and order cost are positive.
    """
    _positive_or_empty(
        [("demand_rate", demand_rate), ("order_cost", order_cost), ("holding_cost", holding_cost)]
    )
    if demand_rate == 0 or order_cost == 0:
        return 0.0
    if holding_cost == 0:
        raise ValueError("holding_cost = 0 makes the EOQ infinite.")
    return math.sqrt(2 * demand_rate * order_cost / holding_cost)


def round_order_quantity(quantity: float, *, moq: float = 0.0, pack_size: float = 1.0) -> float:
    """Return ``quantity`` raised to the MOQ then rounded up to a multiple of the pack size.

    A quantity ``<= 0`` gives 0 (no order).

    Raises:
        ValueError: if ``moq`` is negative or ``pack_size`` not positive (or not finite).
    """
    _check_finite_nonneg("moq", moq)
    if not (math.isfinite(pack_size) and pack_size > 0):
        raise ValueError(f"pack_size = {pack_size!r} must be > 0.")
    if not quantity > 0:
        return 0.0
    raised = max(quantity, moq)
    return max(math.ceil(raised / pack_size - _EPS), 1) * pack_size


def _round_array(quantity: _FloatArray, moq: _FloatArray, pack: _FloatArray) -> _FloatArray:
    raised = np.maximum(quantity, moq)
    rounded: _FloatArray = np.where(
        quantity > 0, np.maximum(np.ceil(raised / pack - _EPS), 1.0) * pack, 0.0
    )
    return rounded


# --------------------------------------------------------------------------- one SKU


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


def _choose_kind(
    *, params: PolicyParams, forecast_mean: float, supplier: SupplierTerms, sku_class: str | None
) -> tuple[str, str]:
    if params.kind != "auto":
        return params.kind, f"{params.kind} requested"
    fast = forecast_mean >= params.jit_min_demand
    reliable = (
        supplier.lead_time_cv <= params.jit_max_lead_time_cv
        and supplier.lead_time_mean <= params.jit_max_lead_time
    )
    in_class = sku_class is None or not params.jit_classes or sku_class in params.jit_classes
    if fast and reliable and in_class:
        return "jit", (
            f"jit: fast mover ({forecast_mean:.3g}/period >= {params.jit_min_demand:g}) with a "
            f"reliable supplier (lead time {supplier.lead_time_mean:g} +/- "
            f"{supplier.lead_time_sd:g})"
        )
    if params.review_period > 1:
        return "RS", f"RS: periodic review every {params.review_period} periods"
    return "sQ", "sQ: reviewed every period, EOQ lots"


def design_policy(
    *,
    sku: str,
    forecast_mean: float,
    forecast_sigma: float,
    supplier: SupplierTerms,
    params: PolicyParams | None = None,
    sku_class: str | None = None,
) -> SkuPolicy:
    """Return the policy of one SKU for a per-period forecast and a supplier.

    Args:
        sku: the SKU.
        forecast_mean: forecast demand per period.
        forecast_sigma: forecast-error standard deviation per period (e.g. of one-step-ahead
            residuals).
        supplier: the supplier's terms.
        params: the design parameters (default :class:`PolicyParams`).
        sku_class: the SKU's ABC/XYZ label (``"AX"``), used by ``kind="auto"`` for JIT.

    Raises:
        ValueError: if the forecast is negative or not finite (or see :class:`SkuPolicy`).
    """
    params = params or PolicyParams()
    _check_finite_nonneg(f"{sku!r}: forecast_mean", forecast_mean)
    _check_finite_nonneg(f"{sku!r}: forecast_sigma", forecast_sigma)
    kind, reason = _choose_kind(
        params=params, forecast_mean=forecast_mean, supplier=supplier, sku_class=sku_class
    )
    batch = design_batch(
        skus=[sku],
        forecast_mean=[forecast_mean],
        forecast_sigma=[forecast_sigma],
        lead_time_mean=[supplier.lead_time_mean],
        lead_time_sd=[supplier.lead_time_sd],
        unit_price=[supplier.unit_price],
        order_cost=[supplier.order_cost if params.order_cost is None else params.order_cost],
        moq=[supplier.moq],
        pack_size=[supplier.pack_size],
        params=params,
        kind=kind,
    )
    order_quantity = float(batch.order_quantity[0]) if kind == "sQ" else None
    order_up_to = None if kind == "sQ" else float(batch.order_up_to[0])
    return SkuPolicy(
        sku=sku,
        kind=kind,
        supplier=supplier,
        review_period=int(batch.review_period[0]),
        reorder_point=float(batch.reorder_point[0]),
        order_quantity=order_quantity,
        order_up_to=order_up_to,
        safety_stock=float(batch.safety_stock[0]),
        forecast_mean=forecast_mean,
        forecast_sigma=forecast_sigma,
        expected_fill_rate=float(batch.expected_fill_rate[0]),
        expected_cycle_service=float(batch.expected_cycle_service[0]),
        holding_cost=float(batch.holding_cost[0]),
        order_cost=float(batch.order_cost[0]),
        shortage_cost=float(batch.shortage_cost[0]),
        reason=reason,
    )


def choose_supplier(
    *,
    sku: str,
    forecast_mean: float,
    forecast_sigma: float,
    suppliers: Sequence[SupplierTerms],
    params: PolicyParams | None = None,
    sku_class: str | None = None,
) -> SkuPolicy:
    """Return the policy, over ``suppliers``, with the lowest expected cost per period.

    The cost per period is purchase (``mean x price``) + ordering (``order cost x mean / Q``)
    + holding (``(safety stock + Q / 2) x holding cost``), with ``Q`` the order quantity (or
    ``mean x R`` for order-up-to policies). Ties keep the earlier supplier.

    Raises:
        ValueError: if ``suppliers`` is empty (or see :func:`design_policy`).
    """
    if not suppliers:
        raise ValueError(f"{sku!r}: no supplier to choose from.")
    best: tuple[float, SkuPolicy] | None = None
    for terms in suppliers:
        policy = design_policy(
            sku=sku,
            forecast_mean=forecast_mean,
            forecast_sigma=forecast_sigma,
            supplier=terms,
            params=params,
            sku_class=sku_class,
        )
        if policy.order_quantity is not None:
            lot = policy.order_quantity
        else:
            assert policy.order_up_to is not None
            lot = max(
                policy.order_up_to - policy.reorder_point,
                forecast_mean * policy.review_period,
            )
            lot = max(lot, terms.moq)
        orders_per_period = forecast_mean / lot if lot > 0 else 0.0
        cost = (
            forecast_mean * terms.unit_price
            + orders_per_period * policy.order_cost
            + (max(policy.safety_stock, 0.0) + lot / 2) * policy.holding_cost
        )
        if best is None or cost < best[0] - _EPS:
            best = (cost, policy)
    assert best is not None
    return best[1]


# --------------------------------------------------------------------------- many SKUs


def _as_array(name: str, values: npt.ArrayLike, size: int) -> _FloatArray:
    array = np.asarray(values, dtype=np.float64)
    if array.ndim == 0:
        array = np.full(size, float(array))
    if array.ndim not in (1, 2) or array.shape[0] != size:
        raise ValueError(f"{name}: expected {size} rows; got shape {array.shape}.")
    if not np.all(np.isfinite(array)) or np.any(array < 0):
        raise ValueError(f"{name} must be finite and >= 0.")
    return array


def _two_d(array: _FloatArray) -> _FloatArray:
    return array.reshape(-1, 1) if array.ndim == 1 else array


def _frozen(array: npt.NDArray[Any]) -> npt.NDArray[Any]:
    array = np.array(array, copy=True)
    array.setflags(write=False)
    return array


@dataclass(frozen=True, eq=False)
class PolicyBatch:
    """Policies of many SKUs as arrays, the form the simulator replays.

    Every parameter array has one row per SKU and is either one-dimensional (fixed) or
    two-dimensional (skus x periods: re-designed over time, e.g. from rolling forecasts).
    Arrays are copied and made read-only.

    Attributes:
        skus: the SKUs.
        kinds: one policy kind per SKU.
        review_period: periods between reviews (integer >= 1), one per SKU.
        reorder_point: ``s``.
        order_quantity: ``Q`` (``nan`` for order-up-to SKUs).
        order_up_to: ``S`` (``nan`` for sQ SKUs).
        safety_stock: design safety stock (information).
        expected_fill_rate: predicted fill rate (information).
        expected_cycle_service: predicted cycle service level (information).
        moq: minimum order quantities.
        pack_size: pack sizes.
        lead_time_mean: mean lead times (periods).
        lead_time_sd: lead-time standard deviations (periods).
        unit_price: unit prices.
        holding_cost: holding cost per unit per period.
        order_cost: cost per order.
        shortage_cost: cost per unit short.

    Raises:
        ValueError: if shapes disagree, a kind is unknown, a review period is not an integer
            >= 1, an sQ SKU has no positive ``Q`` or an order-up-to SKU no ``S >= s``, or a
            cost, MOQ, pack size or lead time is invalid.
    """

    skus: tuple[str, ...]
    kinds: tuple[str, ...]
    review_period: npt.NDArray[np.int64]
    reorder_point: _FloatArray
    order_quantity: _FloatArray
    order_up_to: _FloatArray
    moq: _FloatArray
    pack_size: _FloatArray
    lead_time_mean: _FloatArray
    lead_time_sd: _FloatArray
    unit_price: _FloatArray
    holding_cost: _FloatArray
    order_cost: _FloatArray
    shortage_cost: _FloatArray
    safety_stock: _FloatArray
    expected_fill_rate: _FloatArray
    expected_cycle_service: _FloatArray

    def __post_init__(self) -> None:
        object.__setattr__(self, "skus", tuple(self.skus))
        object.__setattr__(self, "kinds", tuple(self.kinds))
        n = len(self.skus)
        if len(self.kinds) != n:
            raise ValueError(f"{len(self.kinds)} kinds for {n} skus.")
        unknown = sorted(set(self.kinds) - set(POLICY_KINDS))
        if unknown:
            raise ValueError(f"kinds {unknown} not understood; choose from {POLICY_KINDS}.")
        review = np.asarray(self.review_period)
        if review.shape != (n,) or np.any(review < 1) or np.any(review != np.round(review)):
            raise ValueError("review_period must hold one integer >= 1 per SKU.")
        object.__setattr__(self, "review_period", _frozen(review.astype(np.int64)))
        for name in ("reorder_point", "order_quantity", "order_up_to", "safety_stock",
                     "expected_fill_rate", "expected_cycle_service"):  # fmt: skip
            array = np.asarray(getattr(self, name), dtype=np.float64)
            if array.ndim not in (1, 2) or array.shape[0] != n:
                raise ValueError(f"{name}: expected {n} rows; got shape {array.shape}.")
            object.__setattr__(self, name, _frozen(array))
        for name in ("moq", "lead_time_mean", "lead_time_sd", "unit_price", "holding_cost",
                     "order_cost", "shortage_cost"):  # fmt: skip
            array = np.asarray(getattr(self, name), dtype=np.float64)
            if array.shape != (n,) or not np.all(np.isfinite(array)) or np.any(array < 0):
                raise ValueError(f"{name} must hold one finite value >= 0 per SKU.")
            object.__setattr__(self, name, _frozen(array))
        pack = np.asarray(self.pack_size, dtype=np.float64)
        if pack.shape != (n,) or not np.all(np.isfinite(pack)) or np.any(pack <= 0):
            raise ValueError("pack_size must hold one finite value > 0 per SKU.")
        object.__setattr__(self, "pack_size", _frozen(pack))
        up_to = self.uses_order_up_to.reshape(-1, 1)
        points = _two_d(self.reorder_point)
        lots = _two_d(self.order_quantity)
        levels = _two_d(self.order_up_to)
        if not np.all(np.isfinite(points)):
            raise ValueError("reorder_point must be finite.")
        if np.any(~up_to & ~(lots > 0)):
            raise ValueError("Every sQ SKU needs a finite order_quantity > 0.")
        with np.errstate(invalid="ignore"):
            bad = up_to & ~(levels >= points - _EPS)
        if np.any(bad):
            raise ValueError("Every order-up-to SKU needs a finite order_up_to >= reorder_point.")

    def __len__(self) -> int:
        return len(self.skus)

    def from_period(self, start: int) -> PolicyBatch:
        """Return the batch with its per-period parameters (2-D arrays) from period ``start``
        on; per-SKU ones are kept (to replay the policy from ``start``)."""

        def cut(array: _FloatArray) -> _FloatArray:
            return array[:, start:] if array.ndim == 2 else array

        return replace(
            self,
            reorder_point=cut(self.reorder_point),
            order_quantity=cut(self.order_quantity),
            order_up_to=cut(self.order_up_to),
            safety_stock=cut(self.safety_stock),
            expected_fill_rate=cut(self.expected_fill_rate),
            expected_cycle_service=cut(self.expected_cycle_service),
        )

    @property
    def uses_order_up_to(self) -> npt.NDArray[np.bool_]:
        """Return, per SKU, whether it orders up to ``S`` (RS, min/max, JIT) rather than Q."""
        return np.array([k != "sQ" for k in self.kinds], dtype=bool)

    @classmethod
    def from_policies(cls, policies: Sequence[SkuPolicy]) -> PolicyBatch:
        """Return the batch of ``policies`` (fixed parameters).

        Raises:
            ValueError: if SKUs repeat.
        """
        skus = [p.sku for p in policies]
        if len(set(skus)) != len(skus):
            raise ValueError("policies must have distinct SKUs.")
        return cls(
            skus=tuple(skus),
            kinds=tuple(p.kind for p in policies),
            review_period=np.array([p.review_period for p in policies], dtype=np.int64),
            reorder_point=np.array([p.reorder_point for p in policies], dtype=np.float64),
            order_quantity=np.array(
                [math.nan if p.order_quantity is None else p.order_quantity for p in policies],
                dtype=np.float64,
            ),
            order_up_to=np.array(
                [math.nan if p.order_up_to is None else p.order_up_to for p in policies],
                dtype=np.float64,
            ),
            moq=np.array([p.supplier.moq for p in policies], dtype=np.float64),
            pack_size=np.array([p.supplier.pack_size for p in policies], dtype=np.float64),
            lead_time_mean=np.array(
                [p.supplier.lead_time_mean for p in policies], dtype=np.float64
            ),
            lead_time_sd=np.array([p.supplier.lead_time_sd for p in policies], dtype=np.float64),
            unit_price=np.array([p.supplier.unit_price for p in policies], dtype=np.float64),
            holding_cost=np.array([p.holding_cost for p in policies], dtype=np.float64),
            order_cost=np.array([p.order_cost for p in policies], dtype=np.float64),
            shortage_cost=np.array([p.shortage_cost for p in policies], dtype=np.float64),
            safety_stock=np.array([p.safety_stock for p in policies], dtype=np.float64),
            expected_fill_rate=np.array([p.expected_fill_rate for p in policies]),
            expected_cycle_service=np.array([p.expected_cycle_service for p in policies]),
        )


def design_batch(
    *,
    skus: Sequence[str],
    forecast_mean: npt.ArrayLike,
    forecast_sigma: npt.ArrayLike,
    lead_time_mean: npt.ArrayLike,
    lead_time_sd: npt.ArrayLike = 0.0,
    unit_price: npt.ArrayLike = 0.0,
    order_cost: npt.ArrayLike = 0.0,
    moq: npt.ArrayLike = 0.0,
    pack_size: npt.ArrayLike = 1.0,
    params: PolicyParams | None = None,
    kind: str | None = None,
) -> PolicyBatch:
    """Return the policies of many SKUs at once (vectorised :func:`design_policy`).

    ``forecast_mean`` and ``forecast_sigma`` are per SKU (shape ``(n,)``) or per SKU and
    period (``(n, T)``: a rolling forecast, giving a policy re-designed every period); the
    other arrays are per SKU or scalars. ``order_cost`` here is used as given (it is not
    overridden by ``params.order_cost``). The kind is ``kind``, else ``params.kind``; with
    ``"auto"`` the rule of :class:`PolicyParams` is applied per SKU on its mean forecast
    (without ABC/XYZ classes).

    Raises:
        ValueError: if shapes disagree, a number is negative or not finite, a pack size is
            zero, or the kind is unknown.
    """
    params = params or PolicyParams()
    names = tuple(skus)
    n = len(names)
    mean = _as_array("forecast_mean", forecast_mean, n)
    sigma = _as_array("forecast_sigma", forecast_sigma, n)
    if mean.shape != sigma.shape:
        raise ValueError(f"forecast_mean {mean.shape} and forecast_sigma {sigma.shape} differ.")
    lead_mean = _as_array("lead_time_mean", lead_time_mean, n)
    lead_sd = _as_array("lead_time_sd", lead_time_sd, n)
    price = _as_array("unit_price", unit_price, n)
    k_cost = _as_array("order_cost", order_cost, n)
    moq_a = _as_array("moq", moq, n)
    pack = _as_array("pack_size", pack_size, n)
    for name, array in (
        ("lead_time_mean", lead_mean),
        ("lead_time_sd", lead_sd),
        ("unit_price", price),
        ("order_cost", k_cost),
        ("moq", moq_a),
        ("pack_size", pack),
    ):
        if array.ndim != 1:
            raise ValueError(f"{name} must be one value per SKU.")
    if np.any(pack <= 0):
        raise ValueError("pack_size must be > 0.")
    chosen = kind or params.kind
    if chosen != "auto" and chosen not in POLICY_KINDS:
        raise ValueError(f"kind = {chosen!r} not understood; choose 'auto' or {POLICY_KINDS}.")
    if chosen == "auto":
        average = mean if mean.ndim == 1 else mean.mean(axis=1)
        reliable = (
            np.where(lead_mean > 0, lead_sd / np.where(lead_mean > 0, lead_mean, 1.0), 0.0)
            <= params.jit_max_lead_time_cv
        ) & (lead_mean <= params.jit_max_lead_time)
        fast = average >= params.jit_min_demand
        fallback = "RS" if params.review_period > 1 else "sQ"
        kinds = tuple("jit" if f and r else fallback for f, r in zip(fast, reliable, strict=True))
    else:
        kinds = (chosen,) * n
    kind_array = np.array(kinds, dtype=object)
    review = np.where(kind_array == "jit", 1, params.review_period).astype(np.int64)
    holding = price * params.holding_rate / params.periods_per_year + params.unit_holding_cost
    shortage = price * params.shortage_rate

    two_d = mean.ndim == 2

    def col(array: _FloatArray) -> _FloatArray:
        return array.reshape(-1, 1) if two_d else array

    up_to = np.array([k != "sQ" for k in kinds], dtype=bool)
    pure_up_to = np.array([k in _ORDER_UP_TO_KINDS for k in kinds], dtype=bool)
    eoq_raw = np.sqrt(
        np.where(
            col(holding) > 0,
            2 * mean * col(k_cost) / np.where(col(holding) > 0, col(holding), 1.0),
            0.0,
        )
    )
    if params.max_lot_periods is not None:
        eoq_raw = np.minimum(eoq_raw, params.max_lot_periods * mean)
    lot = _round_array(
        np.maximum(eoq_raw, np.maximum(mean * col(review.astype(np.float64)), _EPS)),
        col(moq_a),
        col(pack),
    )
    quantity = np.where(col(pure_up_to), 0.0, lot)
    level, mu_p = _level(
        service_level=params.service_level,
        service_type=params.service_type,
        mean_demand=mean,
        sigma_demand=sigma,
        lead_mean=col(lead_mean),
        lead_sd=col(lead_sd),
        review=col(review.astype(np.float64)),
        quantity=quantity,
        order_up_to=np.broadcast_to(col(pure_up_to), mean.shape),
        allow_negative=params.allow_negative,
        distribution=params.distribution,
    )
    mu_p_full, sigma_p, mu_l, sigma_l = _protection(
        mean, sigma, col(lead_mean), col(lead_sd), col(review.astype(np.float64))
    )
    short = _shortage(
        level, quantity, np.broadcast_to(col(pure_up_to), mean.shape),
        mu_p_full, sigma_p, mu_l, sigma_l, params.distribution,
    )  # fmt: skip
    per_cycle = np.where(col(pure_up_to), mean * col(review.astype(np.float64)), quantity)
    fill = np.where(per_cycle > 0, 1.0 - short / np.where(per_cycle > 0, per_cycle, 1.0), 1.0)
    csl = _cdf(level, mu_p_full, sigma_p, params.distribution)
    reorder = level
    order_up_to = np.where(col(pure_up_to), level, np.where(col(up_to), level + quantity, np.nan))
    # Min/max keeps s and S = s + Q; sQ keeps s and Q; RS/JIT order up to S every review.
    order_quantity = np.where(col(up_to), np.nan, quantity)
    order_quantity = np.where(col(kind_array == "minmax"), np.nan, order_quantity)
    minmax_lot = np.where(col(kind_array == "minmax"), lot, 0.0)
    order_up_to = np.where(col(kind_array == "minmax"), level + minmax_lot, order_up_to)
    return PolicyBatch(
        skus=names,
        kinds=kinds,
        review_period=review,
        reorder_point=reorder,
        order_quantity=order_quantity,
        order_up_to=order_up_to,
        moq=moq_a,
        pack_size=pack,
        lead_time_mean=lead_mean,
        lead_time_sd=lead_sd,
        unit_price=price,
        holding_cost=holding,
        order_cost=k_cost,
        shortage_cost=shortage,
        safety_stock=level - mu_p,
        expected_fill_rate=fill,
        expected_cycle_service=csl,
    )


# --------------------------------------------------------------------------- from quantiles


@dataclass(frozen=True, slots=True)
class LeadTimeDemand:
    """The demand over a protection interval of ``periods`` (lead time + review period).

    Attributes:
        mean: expected demand over the interval (units).
        sd: its standard deviation, lead-time variability included.
        periods: the interval's length ``L + R`` (periods).
        demand_sd: the standard deviation from the forecast error alone (lead time fixed).
        lead_time_sd: the lead-time standard deviation used (periods).
        distribution: ``"normal"`` or ``"gamma"`` (same mean and sd).

    Raises:
        ValueError: if a number is negative or not finite, ``periods <= 0`` or the
            distribution is unknown.
    """

    mean: float
    sd: float
    periods: float
    demand_sd: float
    lead_time_sd: float = 0.0
    distribution: str = "normal"

    def __post_init__(self) -> None:
        for name in ("mean", "sd", "demand_sd", "lead_time_sd"):
            _check_finite_nonneg(name, getattr(self, name))
        if not (math.isfinite(self.periods) and self.periods > 0):
            raise ValueError(f"periods = {self.periods!r} must be finite and > 0.")
        _check_distribution(self.distribution)

    @property
    def rate(self) -> float:
        """Return the mean demand per period (``mean / periods``)."""
        return self.mean / self.periods

    @property
    def period_sigma(self) -> float:
        """Return the per-period forecast-error sigma that, in the formulas of this module
        (``sigma_P^2 = P sigma^2 + mu^2 sigma_L^2``), gives back ``demand_sd`` over ``P``:
        the ``forecast_sigma`` to pass to :func:`design_batch` / :func:`design_policy`."""
        return self.demand_sd / math.sqrt(self.periods)

    def quantile(self, level: float) -> float:
        """Return the ``level`` quantile of the interval's demand (0 for a point mass at 0).

        Raises:
            ValueError: unless ``0 < level < 1``.
        """
        if not 0 < level < 1:
            raise ValueError(f"level = {level!r} must be in (0, 1).")
        value = _quantile(level, np.array([self.mean]), np.array([self.sd]), self.distribution)
        return max(float(value[0]), 0.0)

    def safety_stock(self, level: float) -> float:
        """Return ``quantile(level) - mean`` (the cycle-service safety stock, >= 0)."""
        return max(self.quantile(level) - self.mean, 0.0)


def lead_time_demand(
    *,
    forecast: npt.ArrayLike,
    quantiles: Mapping[float, npt.ArrayLike],
    lead_time_mean: float,
    lead_time_sd: float = 0.0,
    review_period: float = 0.0,
    correlation: float = 0.0,
    distribution: str = "normal",
) -> LeadTimeDemand:
    """Return the distribution of demand over ``L + R`` periods built from per-step forecast
    quantiles (the per-horizon-step quantiles of :func:`maillon.planning.forecast.forecast`).

    Step ``k``'s error spread is ``s_k = mean over the upper levels q of (q_k - median_k) /
    z_q`` (``median_k`` = the 0.5 quantile if given, else the point forecast; ``z_q`` the
    standard normal quantile). Over the first ``P = L + R`` steps (the last one counted for
    its fraction; steps past the forecast horizon repeat the last step):

        mean = sum_k w_k f_k
        Var  = sum_k w_k^2 s_k^2 + rho ((sum_k w_k s_k)^2 - sum_k w_k^2 s_k^2)
               + (mean / P)^2 sigma_L^2

    with ``rho = correlation`` the correlation of errors between two steps (0: independent,
    1: fully correlated; :attr:`maillon.planning.forecast.ForecastResult.step_correlation`
    estimates it) and ``sigma_L = lead_time_sd``.

    Args:
        forecast: point forecast per step (step 1 first).
        quantiles: ``{level: values per step}``; at least one level above 0.5.
        lead_time_mean: ``L`` (periods).
        lead_time_sd: lead-time standard deviation (periods).
        review_period: ``R`` (periods; 0: continuous review).
        correlation: ``rho`` in [0, 1].
        distribution: ``"normal"`` or ``"gamma"`` for :meth:`LeadTimeDemand.quantile`.

    Raises:
        ValueError: if the forecast is empty, negative or not finite, a quantile row has
            another length or no level is above 0.5, ``L + R <= 0``, ``correlation`` is
            outside [0, 1], or the distribution is unknown.
    """
    _check_distribution(distribution)
    point = np.asarray(forecast, dtype=np.float64).reshape(-1)
    h = len(point)
    if h == 0:
        raise ValueError("forecast must hold at least one step.")
    if not np.all(np.isfinite(point)) or np.any(point < 0):
        raise ValueError("forecast must be finite and >= 0.")
    _check_finite_nonneg("lead_time_mean", lead_time_mean)
    _check_finite_nonneg("lead_time_sd", lead_time_sd)
    _check_finite_nonneg("review_period", review_period)
    if not 0.0 <= correlation <= 1.0:
        raise ValueError(f"correlation = {correlation!r} must be in [0, 1].")
    periods = lead_time_mean + review_period
    if periods <= 0:
        raise ValueError("lead_time_mean + review_period must be > 0.")
    rows: dict[float, _FloatArray] = {}
    for level, values in quantiles.items():
        if not 0 < level < 1:
            raise ValueError(f"quantile level {level!r} must be in (0, 1).")
        row = np.asarray(values, dtype=np.float64).reshape(-1)
        if row.shape != (h,) or not np.all(np.isfinite(row)):
            raise ValueError(f"quantile {level:g}: expected {h} finite values.")
        rows[float(level)] = row
    upper = [q for q in rows if q > 0.5]
    if not upper:
        raise ValueError("quantiles need at least one level above 0.5.")
    median = rows.get(0.5, point)
    spread = np.mean(
        [np.maximum(rows[q] - median, 0.0) / float(special.ndtri(q)) for q in upper], axis=0
    )
    steps = math.ceil(periods - _EPS)
    index = np.minimum(np.arange(steps), h - 1)
    weight = np.ones(steps)
    weight[-1] = periods - (steps - 1)
    f = point[index] * weight
    s = spread[index] * weight
    mean = float(f.sum())
    diag = float((s**2).sum())
    demand_var = diag + correlation * (float(s.sum()) ** 2 - diag)
    rate = mean / periods
    total = demand_var + (rate * lead_time_sd) ** 2
    return LeadTimeDemand(
        mean=mean,
        sd=math.sqrt(max(total, 0.0)),
        periods=periods,
        demand_sd=math.sqrt(max(demand_var, 0.0)),
        lead_time_sd=lead_time_sd,
        distribution=distribution,
    )


@dataclass(frozen=True, slots=True)
class ServiceTargets:
    """Service-level targets per ABC/XYZ class.

    :meth:`level_for` looks a SKU's label (``"AX"``) up in ``by_class``: the full label
    first, then its ABC letter, then its XYZ letter; else ``default``.

    Attributes:
        default: the target of a SKU whose class is not listed (or unknown).
        by_class: ``((label, target), ...)``, labels ``"A"``..``"C"``, ``"X"``..``"Z"`` or
            ``"AX"``..``"CZ"``.

    Raises:
        ValueError: if a target is not in (0, 1), a label is not a class, or labels repeat.
    """

    default: float = 0.95
    by_class: tuple[tuple[str, float], ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_class", tuple((str(k), float(v)) for k, v in self.by_class))
        if not 0 < self.default < 1:
            raise ValueError(f"default = {self.default!r} must be in (0, 1).")
        labels = [k for k, _ in self.by_class]
        if len(set(labels)) != len(labels):
            raise ValueError("class labels must not repeat.")
        for label, target in self.by_class:
            if not _is_class_label(label):
                raise ValueError(
                    f"class {label!r} not understood: use A, B, C, X, Y, Z or a pair like AX."
                )
            if not 0 < target < 1:
                raise ValueError(f"target of {label} = {target!r} must be in (0, 1).")

    def level_for(self, label: str | None) -> float:
        """Return the target of a SKU of class ``label`` (``"AX"``; ``None``: the default)."""
        table = dict(self.by_class)
        if label:
            for key in (label, label[:1], label[1:2]):
                if key in table:
                    return table[key]
        return self.default

    @classmethod
    def parse(cls, text: str, *, default: float = 0.95) -> ServiceTargets:
        """Return the targets written ``"A=0.98,B=0.95,CZ=0.85"`` (empty: the default only).

        Raises:
            ValueError: if an item is not ``LABEL=NUMBER`` (or see the class).
        """
        pairs: list[tuple[str, float]] = []
        for item in (part.strip() for part in text.split(",")):
            if not item:
                continue
            label, sep, number = item.partition("=")
            try:
                value = float(number)
            except ValueError:
                value = math.nan
            if not sep or not math.isfinite(value):
                raise ValueError(f"{item!r} is not LABEL=TARGET (e.g. A=0.98).")
            pairs.append((label.strip().upper(), value))
        return cls(default=default, by_class=tuple(pairs))


def _is_class_label(label: str) -> bool:
    if len(label) == 1:
        return label in "ABCXYZ"
    return len(label) == 2 and label[0] in "ABC" and label[1] in "XYZ"


# --------------------------------------------------------------------------- replenishment


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
class OrderLine:
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
) -> tuple[OrderLine, ...]:
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
    lines: list[OrderLine] = []
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
            OrderLine(
                sku=position.sku,
                supplier=terms.supplier,
                quantity=quantity,
                expected_arrival=arrival,
                reason=reason,
                unit_price=terms.unit_price,
            )
        )
    return tuple(lines)
