"""Laws of demand over a protection interval: loss, distribution and quantile functions.

The normal and gamma laws of the demand over ``L + R`` periods (:func:`normal_loss` and the
vectorised helpers the design reads), the protection interval's mean and spread, the expected
shortage per replenishment cycle and the bisection that finds the level meeting a service
target (see :mod:`maillon.planning.policy`).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import special

from maillon.planning.policy.terms import _BISECTION_STEPS, _FloatArray


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
