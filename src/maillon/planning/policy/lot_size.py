"""Lot sizing: the economic order quantity and the rounding of orders to MOQ and pack size."""

from __future__ import annotations

import math

import numpy as np

from maillon.planning.policy.terms import (
    _EPS,
    _check_finite_nonneg,
    _FloatArray,
    _positive_or_empty,
)


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
