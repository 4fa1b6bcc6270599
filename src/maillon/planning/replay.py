"""Policy comparison on a demand history (pure): ours, min/max and (R, S) side by side.

:func:`compare_on_history` replays one daily demand history (one row per SKU) against three
candidate policies, each re-designed every period from a rolling forecast that only uses the
demand *before* that period (:func:`rolling_forecast`: simple exponential smoothing of the
level, exponentially weighted spread of the errors of lead-time sums):

``"ours"``
    (s, Q) reviewed every period: safety stock for the fill-rate target from the forecast
    spread and the lead-time variability (:func:`maillon.planning.policy.design_batch`),
    ``Q`` = EOQ rounded to MOQ and pack size.
``"minmax"``
    The common rule of thumb: min = ``L`` days and max = ``L + minmax_cycle`` days of the
    rolling average demand (no safety stock formula).
``"RS"``
    Periodic review every ``review_period`` days, order up to ``S`` designed for the same
    fill-rate target (:func:`~maillon.planning.policy.design_batch` with ``kind="RS"``).

All three see the same demand and the same seeded lead-time draws, backorder what they
cannot serve, and are measured after ``warmup`` periods. The frozen
:class:`HistoryComparison` holds, per policy, the achieved fill rate, stock-out days, average
inventory (units and value) and costs, and the on-hand trajectory summed over the SKUs with
the periods in which some demand was short (for a chart).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from maillon.planning.policy import PolicyBatch, PolicyParams, design_batch
from maillon.planning.simulate import SimResult, simulate

__all__ = [
    "POLICY_NAMES",
    "ComparisonInput",
    "HistoryComparison",
    "PolicyOutcome",
    "PriorChoice",
    "choose_prior",
    "compare_on_history",
    "rolling_forecast",
]

PRIOR_CANDIDATES: tuple[float, ...] = (0.0, 10.0, 30.0, 100.0, 300.0, 1000.0, math.inf)
"""Shrinkage strengths :func:`choose_prior` tries by default (``inf``: one relative variance
for all SKUs, no SKU's own)."""

MIN_ERROR_VARIANCE = 0.25
"""Floor of a predicted error variance (units squared) in :func:`choose_prior`'s log score,
so that a SKU without a single error yet does not score minus infinity."""

POLICY_NAMES: tuple[str, ...] = ("ours", "minmax", "RS")
"""The candidate policies of :func:`compare_on_history`, in display order."""

_FloatArray = npt.NDArray[np.float64]


def rolling_forecast(
    matrix: npt.ArrayLike,
    *,
    alpha: float = 0.1,
    sigma_alpha: float = 0.01,
    horizon: int = 1,
    history: int = 20,
    prior: float = 0.0,
) -> tuple[_FloatArray, _FloatArray]:
    """Return ``(mean, sigma)``, both skus x periods, of a rolling exponential smoothing.

    ``mean[:, t]`` is the smoothed level (constant ``alpha``) after the demand of periods
    ``< t``. ``sigma[:, t]`` is the per-period forecast-error sigma: the exponentially
    weighted (constant ``sigma_alpha``) root mean square of the errors of ``horizon``-period
    sums (the forecast made at ``t'`` of periods ``t'..t'+horizon-1`` is ``horizon x
    mean[:, t']``), divided by ``sqrt(horizon)``; only sums complete before ``t`` count, and
    while fewer than ``1 / sigma_alpha`` errors are known their plain mean is used. With
    ``prior > 0`` the variance is shrunk toward the median relative variance of all SKUs
    (weight ``count / (count + prior)`` on the SKU's own errors). Both start from the first
    ``history`` periods; the first ``history`` columns repeat column ``history``.

    Raises:
        ValueError: if ``matrix`` is not 2-D, finite and >= 0, if ``history`` is not in
            ``[1, periods)``, ``horizon < 1``, or a constant is outside its range.
    """
    data = np.asarray(matrix, dtype=np.float64)
    if data.ndim != 2 or not np.all(np.isfinite(data)) or np.any(data < 0):
        raise ValueError("matrix must be a finite, non-negative (skus x periods) array.")
    n, periods = data.shape
    if not 1 <= history < periods:
        raise ValueError(f"history = {history!r} must be in [1, {periods}).")
    if horizon < 1:
        raise ValueError(f"horizon = {horizon!r} must be >= 1.")
    if not (0 < alpha <= 1 and 0 < sigma_alpha <= 1 and prior >= 0):
        raise ValueError("alpha and sigma_alpha must be in (0, 1], prior >= 0.")
    mean = np.zeros((n, periods))
    sigma = np.zeros((n, periods))
    head = data[:, :history]
    level = head.mean(axis=1)
    sums = np.cumsum(np.pad(head, ((0, 0), (1, 0))), axis=1)
    window = min(horizon, history)
    block = (sums[:, window:] - sums[:, :-window]) * (horizon / window)
    var = block.var(axis=1) if block.shape[1] > 1 else head.var(axis=1) * horizon
    cumulative = np.cumsum(np.pad(data, ((0, 0), (1, 0))), axis=1)
    count = 1
    for t in range(history, periods):
        mean[:, t] = level
        origin = t - horizon
        if origin >= history:
            actual = cumulative[:, t] - cumulative[:, origin]
            error = actual - horizon * mean[:, origin]
            count += 1
            weight = max(sigma_alpha, 1.0 / count)
            var = (1 - weight) * var + weight * error * error
        if prior > 0:
            scale = (horizon * level) ** 2
            positive = scale > 0
            relative = float(np.median(var[positive] / scale[positive])) if positive.any() else 0.0
            share = count / (count + prior)
            shrunk = share * var + (1 - share) * relative * scale
        else:
            shrunk = var
        sigma[:, t] = np.sqrt(shrunk / horizon)
        level = level + alpha * (data[:, t] - level)
    mean[:, :history] = mean[:, [history]]
    sigma[:, :history] = sigma[:, [history]]
    return mean, sigma


@dataclass(frozen=True)
class PriorChoice:
    """The shrinkage strength :func:`choose_prior` picked, and the score of each tried.

    Attributes:
        prior: the chosen ``prior`` of :func:`rolling_forecast`.
        scores: mean Gaussian log score per error sum, one per candidate (higher is better).
        errors: the number of (SKU, origin) error sums each score averages.
    """

    prior: float
    scores: dict[float, float]
    errors: int


def choose_prior(
    matrix: npt.ArrayLike,
    *,
    alpha: float = 0.1,
    sigma_alpha: float = 0.01,
    horizon: int = 1,
    history: int = 20,
    candidates: tuple[float, ...] = PRIOR_CANDIDATES,
) -> PriorChoice:
    """Return the shrinkage prior of :func:`rolling_forecast` that predicts ``matrix``'s
    forecast errors best, out of sample.

    Every ``horizon``-period demand sum that starts at an origin ``t >= history`` and ends
    inside ``matrix`` is an error ``actual - horizon x mean[:, t]``, predicted as normal with
    variance ``horizon x sigma[:, t]^2`` (both known at ``t``, before the sum's first period;
    floored at :data:`MIN_ERROR_VARIANCE`); the candidate with the highest mean log density
    of these errors wins (ties: the earlier candidate). Use it on the past only (e.g. the
    calibration part of a replay): nothing after ``matrix``'s last period is read.

    Raises:
        ValueError: as :func:`rolling_forecast`, or if ``candidates`` is empty or ``matrix``
            holds no complete sum after ``history``.
    """
    data = np.asarray(matrix, dtype=np.float64)
    if not candidates:
        raise ValueError("candidates must name at least one prior.")
    periods = data.shape[1] if data.ndim == 2 else 0
    origins = np.arange(history, periods - horizon + 1)
    if origins.size == 0:
        raise ValueError(
            f"history = {history!r} leaves no complete {horizon}-period sum in {periods} periods."
        )
    cumulative = np.cumsum(np.pad(data, ((0, 0), (1, 0))), axis=1)
    actual = cumulative[:, origins + horizon] - cumulative[:, origins]
    scores: dict[float, float] = {}
    for prior in candidates:
        mean, sigma = rolling_forecast(
            data,
            alpha=alpha,
            sigma_alpha=sigma_alpha,
            horizon=horizon,
            history=history,
            prior=prior,
        )
        error = actual - horizon * mean[:, origins]
        variance = np.maximum(horizon * sigma[:, origins] ** 2, MIN_ERROR_VARIANCE)
        density = -0.5 * (np.log(2 * math.pi * variance) + error * error / variance)
        scores[prior] = float(density.mean())
    best = max(scores, key=lambda p: (scores[p], -candidates.index(p)))
    return PriorChoice(prior=best, scores=scores, errors=int(actual.size))


@dataclass(frozen=True, eq=False)
class ComparisonInput:
    """A demand history and the terms the candidate policies are designed with.

    Attributes:
        skus: the SKUs (distinct).
        demand: daily demand, skus x periods (finite, >= 0).
        unit_price: price per unit, one per SKU (holding and shortage costs, inventory value).
        lead_time_mean: supplier lead time (periods), one per SKU or one for all.
        lead_time_sd: its standard deviation (periods).
        order_cost: fixed cost per order.
        service_level: fill-rate target of ``ours`` and ``RS`` (in (0, 1)).
        review_period: periods between reviews of ``RS`` (>= 1).
        minmax_cycle: days of demand between min and max of ``minmax`` (> 0).
        holding_rate: yearly holding cost as a share of the unit price.
        periods_per_year: periods in a year.
        warmup: periods replayed but not measured (at least the forecast's start-up).
        seed: seed of the lead-time draws.

    Raises:
        ValueError: for inconsistent shapes, a negative or non-finite number, or a value
            outside its range (see ``__post_init__``).
    """

    skus: tuple[str, ...]
    demand: _FloatArray
    unit_price: _FloatArray
    lead_time_mean: _FloatArray
    lead_time_sd: _FloatArray
    order_cost: float = 10.0
    service_level: float = 0.95
    review_period: int = 7
    minmax_cycle: float = 14.0
    holding_rate: float = 0.25
    periods_per_year: float = 365.0
    warmup: int = 28
    seed: int = 0

    def __post_init__(self) -> None:
        object.__setattr__(self, "skus", tuple(self.skus))
        n = len(self.skus)
        if n == 0:
            raise ValueError("skus must name at least one SKU.")
        if len(set(self.skus)) != n:
            raise ValueError("skus must be distinct.")
        demand = np.asarray(self.demand, dtype=np.float64)
        if demand.ndim == 1 and n == 1:
            demand = demand.reshape(1, -1)
        if demand.ndim != 2 or demand.shape[0] != n:
            raise ValueError(f"demand must be skus x periods ({n} rows); got {demand.shape}.")
        if not np.all(np.isfinite(demand)) or np.any(demand < 0):
            raise ValueError("demand must be finite and >= 0.")
        object.__setattr__(self, "demand", demand)
        for name in ("unit_price", "lead_time_mean", "lead_time_sd"):
            array = np.asarray(getattr(self, name), dtype=np.float64)
            if array.ndim == 0:
                array = np.full(n, float(array))
            if array.shape != (n,) or not np.all(np.isfinite(array)) or np.any(array < 0):
                raise ValueError(f"{name} must be a finite value >= 0, or one per SKU ({n}).")
            object.__setattr__(self, name, array)
        if not 0 < self.service_level < 1:
            raise ValueError(f"service_level = {self.service_level!r} must be in (0, 1).")
        if self.review_period < 1:
            raise ValueError(f"review_period = {self.review_period!r} must be >= 1.")
        for name in ("order_cost", "holding_rate"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value >= 0):
                raise ValueError(f"{name} = {value!r} must be finite and >= 0.")
        for name in ("minmax_cycle", "periods_per_year"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0):
                raise ValueError(f"{name} = {value!r} must be finite and > 0.")
        periods = demand.shape[1]
        if not 2 <= self.warmup < periods:
            raise ValueError(
                f"warmup = {self.warmup!r} must be in [2, {periods}) (periods of demand)."
            )


@dataclass(frozen=True)
class PolicyOutcome:
    """What one candidate policy achieved on the history (sums over the SKUs).

    Attributes:
        name: the policy (one of :data:`POLICY_NAMES`).
        fill_rate: units served from stock / units demanded (1 without demand).
        stockout_days: SKU-periods in which some demand was short.
        avg_inventory: mean end-of-period on hand, summed over SKUs (units).
        avg_inventory_value: the same valued at the unit prices.
        orders: orders placed.
        holding_cost: holding cost.
        ordering_cost: ordering cost.
        shortage_cost: shortage cost (one unit price per unit short).
        total_cost: the three costs together.
        on_hand: end-of-period on hand summed over SKUs, per measured period.
        short: units short summed over SKUs, per measured period.
    """

    name: str
    fill_rate: float
    stockout_days: int
    avg_inventory: float
    avg_inventory_value: float
    orders: int
    holding_cost: float
    ordering_cost: float
    shortage_cost: float
    total_cost: float
    on_hand: tuple[float, ...]
    short: tuple[float, ...]


@dataclass(frozen=True)
class HistoryComparison:
    """The answer of :func:`compare_on_history`.

    Attributes:
        skus: the SKUs replayed.
        start: index of the first measured period in the demand history.
        periods: measured periods.
        outcomes: one :class:`PolicyOutcome` per candidate, in :data:`POLICY_NAMES` order.
        prior: the forecast-sigma shrinkage used (:func:`choose_prior` on the warm-up).
    """

    skus: tuple[str, ...]
    start: int
    periods: int
    outcomes: tuple[PolicyOutcome, ...]
    prior: float = 0.0

    def rows(self) -> list[dict[str, Any]]:
        """Return one plain record per policy (no trajectories), for a table."""
        return [
            {
                "policy": o.name,
                "fill_rate": o.fill_rate,
                "stockout_days": o.stockout_days,
                "avg_inventory": o.avg_inventory,
                "avg_inventory_value": o.avg_inventory_value,
                "orders": o.orders,
                "total_cost": o.total_cost,
            }
            for o in self.outcomes
        ]

    def outcome(self, name: str) -> PolicyOutcome:
        """Return the outcome of policy ``name``. Raises KeyError for an unknown name."""
        for o in self.outcomes:
            if o.name == name:
                return o
        raise KeyError(name)


def _minmax(inputs: ComparisonInput, mean: _FloatArray) -> PolicyBatch:
    n = len(inputs.skus)
    lead = inputs.lead_time_mean.reshape(-1, 1)
    holding = inputs.unit_price * inputs.holding_rate / inputs.periods_per_year
    return PolicyBatch(
        skus=inputs.skus,
        kinds=("minmax",) * n,
        review_period=np.ones(n, dtype=np.int64),
        reorder_point=lead * mean,
        order_quantity=np.full(n, np.nan),
        order_up_to=(lead + inputs.minmax_cycle) * mean,
        moq=np.zeros(n),
        pack_size=np.ones(n),
        lead_time_mean=inputs.lead_time_mean,
        lead_time_sd=inputs.lead_time_sd,
        unit_price=inputs.unit_price,
        holding_cost=holding,
        order_cost=np.full(n, inputs.order_cost),
        shortage_cost=inputs.unit_price.copy(),
        safety_stock=np.zeros(n),
        expected_fill_rate=np.full(n, np.nan),
        expected_cycle_service=np.full(n, np.nan),
    )


def _designed(
    inputs: ComparisonInput, mean: _FloatArray, sigma: _FloatArray, kind: str
) -> PolicyBatch:
    params = PolicyParams(
        service_level=inputs.service_level,
        service_type="fill_rate",
        kind=kind,
        review_period=inputs.review_period if kind == "RS" else 1,
        holding_rate=inputs.holding_rate,
        periods_per_year=inputs.periods_per_year,
        shortage_rate=1.0,
    )
    return design_batch(
        skus=inputs.skus,
        forecast_mean=mean,
        forecast_sigma=sigma,
        lead_time_mean=inputs.lead_time_mean,
        lead_time_sd=inputs.lead_time_sd,
        unit_price=inputs.unit_price,
        order_cost=inputs.order_cost,
        params=params,
    )


def _outcome(name: str, result: SimResult) -> PolicyOutcome:
    assert result.on_hand is not None and result.shortfall is not None
    summary = result.summary()
    return PolicyOutcome(
        name=name,
        fill_rate=summary["fill_rate"],
        stockout_days=int(result.stockout_periods.sum()),
        avg_inventory=summary["avg_inventory"],
        avg_inventory_value=summary["avg_inventory_value"],
        orders=int(result.orders.sum()),
        holding_cost=summary["holding_cost"],
        ordering_cost=summary["ordering_cost"],
        shortage_cost=summary["shortage_cost"],
        total_cost=summary["total_cost"],
        on_hand=tuple(float(v) for v in result.on_hand.sum(axis=0)),
        short=tuple(float(v) for v in result.shortfall.sum(axis=0)),
    )


def compare_on_history(inputs: ComparisonInput) -> HistoryComparison:
    """Return what each candidate policy (:data:`POLICY_NAMES`) achieves on the history.

    The forecast starts after ``min(20, warmup // 2)`` periods; policies act from then on
    and are measured from ``warmup`` on (see the module docstring). The shrinkage of each
    SKU's forecast spread toward the common one is chosen on the warm-up periods alone
    (:func:`choose_prior`; none when the warm-up holds no complete lead-time sum).

    Raises:
        ValueError: never for a valid :class:`ComparisonInput` (the simulator's checks).
    """
    demand = inputs.demand
    history = max(1, min(20, inputs.warmup // 2))
    horizon = max(1, round(float(np.median(inputs.lead_time_mean)))) + 1
    prior = 0.0
    if inputs.warmup - history >= horizon:
        prior = choose_prior(demand[:, : inputs.warmup], horizon=horizon, history=history).prior
    mean, sigma = rolling_forecast(demand, horizon=horizon, history=history, prior=prior)
    start = history
    candidates = {
        "ours": _designed(inputs, mean, sigma, "sQ"),
        "minmax": _minmax(inputs, mean),
        "RS": _designed(inputs, mean, sigma, "RS"),
    }
    outcomes = []
    for name in POLICY_NAMES:
        batch = candidates[name].from_period(start)
        result = simulate(
            demand[:, start:], batch, seed=inputs.seed, warmup=inputs.warmup - start, record=True
        )
        outcomes.append(_outcome(name, result))
    return HistoryComparison(
        skus=inputs.skus,
        start=inputs.warmup,
        periods=demand.shape[1] - inputs.warmup,
        outcomes=tuple(outcomes),
        prior=prior,
    )
