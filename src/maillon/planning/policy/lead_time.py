"""Lead-time demand built from per-step forecast quantiles (:func:`lead_time_demand`)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import special

from maillon.planning.policy.laws import _quantile
from maillon.planning.policy.terms import (
    _EPS,
    _check_distribution,
    _check_finite_nonneg,
    _FloatArray,
)


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
    spread = _step_spread(point, quantiles)
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


def _step_spread(point: _FloatArray, quantiles: Mapping[float, npt.ArrayLike]) -> _FloatArray:
    """Each step's error spread: the mean over the upper levels ``q`` of ``(q_k - median_k) /
    z_q`` (``median_k`` the 0.5 quantile if given, else the point forecast).

    Raises:
        ValueError: if a level is not in (0, 1), a row has another length than ``point`` or
            is not finite, or no level is above 0.5.
    """
    h = len(point)
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
    spread: _FloatArray = np.mean(
        [np.maximum(rows[q] - median, 0.0) / float(special.ndtri(q)) for q in upper], axis=0
    )
    return spread
