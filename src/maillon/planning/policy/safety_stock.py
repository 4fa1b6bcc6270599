"""Safety stock, expected shortage and reorder point of one SKU (scalar formulas).

The scalar entry points over the laws of :mod:`maillon.planning.policy.laws`: the safety
stock that meets a cycle-service or fill-rate target over ``L + R`` periods, the expected
units short per cycle at a level, and the reorder point ``mean x (L + R) + safety stock``.
"""

from __future__ import annotations

import math

import numpy as np

from maillon.planning.policy.laws import _level, _protection, _shortage
from maillon.planning.policy.terms import (
    SERVICE_TYPES,
    _check_distribution,
    _check_finite_nonneg,
    _positive_or_empty,
)


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
