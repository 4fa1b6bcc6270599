"""Policies of many SKUs as arrays (:class:`PolicyBatch`) and their vectorised design.

:func:`design_batch` designs every SKU at once (numpy arrays, optionally one set of
parameters per period, e.g. from rolling forecasts) into a :class:`PolicyBatch`, the form
:func:`maillon.planning.simulate.simulate` replays.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import numpy.typing as npt

from maillon.planning.policy.laws import _cdf, _level, _protection, _shortage
from maillon.planning.policy.lot_size import _round_array
from maillon.planning.policy.sku import SkuPolicy
from maillon.planning.policy.terms import (
    _EPS,
    _ORDER_UP_TO_KINDS,
    POLICY_KINDS,
    PolicyParams,
    SupplierTerms,
    _FloatArray,
)


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

    def sku_policy(
        self,
        index: int,
        *,
        supplier: SupplierTerms,
        forecast_mean: float,
        forecast_sigma: float,
        reason: str,
    ) -> SkuPolicy:
        """Return the policy of the SKU at ``index`` (fixed parameters) as a :class:`SkuPolicy`
        with ``supplier``'s terms, the forecast it was designed on and ``reason``."""
        kind = self.kinds[index]
        return SkuPolicy(
            sku=self.skus[index],
            kind=kind,
            supplier=supplier,
            review_period=int(self.review_period[index]),
            reorder_point=float(self.reorder_point[index]),
            order_quantity=float(self.order_quantity[index]) if kind == "sQ" else None,
            order_up_to=None if kind == "sQ" else float(self.order_up_to[index]),
            safety_stock=float(self.safety_stock[index]),
            forecast_mean=forecast_mean,
            forecast_sigma=forecast_sigma,
            expected_fill_rate=float(self.expected_fill_rate[index]),
            expected_cycle_service=float(self.expected_cycle_service[index]),
            holding_cost=float(self.holding_cost[index]),
            order_cost=float(self.order_cost[index]),
            shortage_cost=float(self.shortage_cost[index]),
            reason=reason,
        )

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
    lead_mean, lead_sd, price, k_cost, moq_a, pack = _per_sku_terms(
        n,
        lead_time_mean=lead_time_mean,
        lead_time_sd=lead_time_sd,
        unit_price=unit_price,
        order_cost=order_cost,
        moq=moq,
        pack_size=pack_size,
    )
    kinds = _kinds(kind or params.kind, params, mean, lead_mean, lead_sd)
    kind_array = np.array(kinds, dtype=object)
    review = np.where(kind_array == "jit", 1, params.review_period).astype(np.int64)
    holding = price * params.holding_rate / params.periods_per_year + params.unit_holding_cost
    shortage = price * params.shortage_rate
    levels = _levels(
        kind_array,
        params,
        mean=mean,
        sigma=sigma,
        lead_mean=lead_mean,
        lead_sd=lead_sd,
        review=review.astype(np.float64),
        holding=holding,
        order_cost=k_cost,
        moq=moq_a,
        pack=pack,
    )
    return PolicyBatch(
        skus=names,
        kinds=kinds,
        review_period=review,
        moq=moq_a,
        pack_size=pack,
        lead_time_mean=lead_mean,
        lead_time_sd=lead_sd,
        unit_price=price,
        holding_cost=holding,
        order_cost=k_cost,
        shortage_cost=shortage,
        **levels,
    )


def _per_sku_terms(n: int, **values: npt.ArrayLike) -> tuple[_FloatArray, ...]:
    """The per-SKU arrays of ``values`` (lead time mean and sd, unit price, order cost, MOQ,
    pack size, in that order), checked: one finite value >= 0 per SKU, pack sizes > 0."""
    arrays = tuple(_as_array(name, value, n) for name, value in values.items())
    for name, array in zip(values, arrays, strict=True):
        if array.ndim != 1:
            raise ValueError(f"{name} must be one value per SKU.")
    if np.any(arrays[-1] <= 0):
        raise ValueError("pack_size must be > 0.")
    return arrays


def _kinds(
    chosen: str,
    params: PolicyParams,
    mean: _FloatArray,
    lead_mean: _FloatArray,
    lead_sd: _FloatArray,
) -> tuple[str, ...]:
    """The kind of every SKU: ``chosen``, or with ``"auto"`` the rule of :class:`PolicyParams`
    applied per SKU on its mean forecast (without ABC/XYZ classes)."""
    if chosen != "auto" and chosen not in POLICY_KINDS:
        raise ValueError(f"kind = {chosen!r} not understood; choose 'auto' or {POLICY_KINDS}.")
    if chosen != "auto":
        return (chosen,) * len(lead_mean)
    average = mean if mean.ndim == 1 else mean.mean(axis=1)
    reliable = (
        np.where(lead_mean > 0, lead_sd / np.where(lead_mean > 0, lead_mean, 1.0), 0.0)
        <= params.jit_max_lead_time_cv
    ) & (lead_mean <= params.jit_max_lead_time)
    fast = average >= params.jit_min_demand
    fallback = "RS" if params.review_period > 1 else "sQ"
    return tuple("jit" if f and r else fallback for f, r in zip(fast, reliable, strict=True))


def _eoq_lots(
    params: PolicyParams,
    col: Any,
    *,
    mean: _FloatArray,
    review: _FloatArray,
    holding: _FloatArray,
    order_cost: _FloatArray,
    moq: _FloatArray,
    pack: _FloatArray,
) -> _FloatArray:
    """The EOQ lot of every SKU (and period), capped at ``max_lot_periods`` of demand, at
    least the review period's demand, rounded to MOQ and pack size."""
    eoq_raw = np.sqrt(
        np.where(
            col(holding) > 0,
            2 * mean * col(order_cost) / np.where(col(holding) > 0, col(holding), 1.0),
            0.0,
        )
    )
    if params.max_lot_periods is not None:
        eoq_raw = np.minimum(eoq_raw, params.max_lot_periods * mean)
    return _round_array(
        np.maximum(eoq_raw, np.maximum(mean * col(review), _EPS)), col(moq), col(pack)
    )


def _levels(
    kind_array: npt.NDArray[Any],
    params: PolicyParams,
    *,
    mean: _FloatArray,
    sigma: _FloatArray,
    lead_mean: _FloatArray,
    lead_sd: _FloatArray,
    review: _FloatArray,
    holding: _FloatArray,
    order_cost: _FloatArray,
    moq: _FloatArray,
    pack: _FloatArray,
) -> dict[str, _FloatArray]:
    """The levels of every SKU (and period): reorder point, order quantity, order-up-to
    level, safety stock and the predicted fill rate and cycle service."""
    two_d = mean.ndim == 2

    def col(array: _FloatArray) -> _FloatArray:
        return array.reshape(-1, 1) if two_d else array

    kinds = list(kind_array)
    up_to = np.array([k != "sQ" for k in kinds], dtype=bool)
    pure_up_to = np.array([k in _ORDER_UP_TO_KINDS for k in kinds], dtype=bool)
    lot = _eoq_lots(
        params, col, mean=mean, review=review, holding=holding, order_cost=order_cost,
        moq=moq, pack=pack,
    )  # fmt: skip
    quantity = np.where(col(pure_up_to), 0.0, lot)
    level, mu_p = _level(
        service_level=params.service_level,
        service_type=params.service_type,
        mean_demand=mean,
        sigma_demand=sigma,
        lead_mean=col(lead_mean),
        lead_sd=col(lead_sd),
        review=col(review),
        quantity=quantity,
        order_up_to=np.broadcast_to(col(pure_up_to), mean.shape),
        allow_negative=params.allow_negative,
        distribution=params.distribution,
    )
    mu_p_full, sigma_p, mu_l, sigma_l = _protection(
        mean, sigma, col(lead_mean), col(lead_sd), col(review)
    )
    short = _shortage(
        level, quantity, np.broadcast_to(col(pure_up_to), mean.shape),
        mu_p_full, sigma_p, mu_l, sigma_l, params.distribution,
    )  # fmt: skip
    per_cycle = np.where(col(pure_up_to), mean * col(review), quantity)
    fill = np.where(per_cycle > 0, 1.0 - short / np.where(per_cycle > 0, per_cycle, 1.0), 1.0)
    csl = _cdf(level, mu_p_full, sigma_p, params.distribution)
    order_up_to = np.where(col(pure_up_to), level, np.where(col(up_to), level + quantity, np.nan))
    # Min/max keeps s and S = s + Q; sQ keeps s and Q; RS/JIT order up to S every review.
    order_quantity = np.where(col(up_to), np.nan, quantity)
    order_quantity = np.where(col(kind_array == "minmax"), np.nan, order_quantity)
    minmax_lot = np.where(col(kind_array == "minmax"), lot, 0.0)
    order_up_to = np.where(col(kind_array == "minmax"), level + minmax_lot, order_up_to)
    return {
        "reorder_point": level,
        "order_quantity": order_quantity,
        "order_up_to": order_up_to,
        "safety_stock": level - mu_p,
        "expected_fill_rate": fill,
        "expected_cycle_service": csl,
    }
