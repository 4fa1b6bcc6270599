"""Review and reject thresholds from what each outcome costs (pure; numpy only).

Three costs, in the shop's currency per order, set in the fraud settings:

* ``missed_fraud``: an accepted order that turns out to be fraud (goods, chargeback fee);
* ``review``: one manual review by an analyst (who is assumed to decide it right);
* ``refused_good``: a legitimate order refused (lost margin, a lost customer).

An order with calibrated fraud probability ``p`` costs, in expectation, ``p * missed_fraud``
if accepted, ``review`` if reviewed and ``(1 - p) * refused_good`` if rejected.  The Bayes
rule (the cheapest action for each ``p``) reviews from ``p = review / missed_fraud`` and
rejects from ``p = max(1 - review / refused_good, refused_good / (missed_fraud +
refused_good))``.  :func:`cost_thresholds` minimises the *observed* cost of the validation
orders (their calibrated probabilities and true labels) over a grid of threshold pairs, with
the review band at least :data:`MIN_BAND_LOGIT` wide in log-odds (the reject threshold's
odds at least twice the review threshold's), so the band never vanishes, even when the
validation data are separable or the costs make reviews look useless; among pairs of equal
cost it takes the one closest to the Bayes pair.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["DEFAULT_COSTS", "MIN_BAND_LOGIT", "Costs", "bayes_thresholds", "cost_thresholds"]

MIN_BAND_LOGIT = math.log(2.0)
"""Narrowest review band, in log-odds: reject odds >= twice the review odds."""

_GRID_STEP = 0.05
_GRID_LOGITS = np.round(np.arange(-11.5, 11.5 + 1e-9, _GRID_STEP), 6)
_EPS = 1e-6


@dataclass(frozen=True, slots=True)
class Costs:
    """What a missed fraud, a manual review and a refused good order cost (per order).

    Raises:
        ValueError: naming the field, unless every cost is a positive finite number and a
            review costs less than both a missed fraud and a refused good order.
    """

    missed_fraud: float = 100.0
    review: float = 5.0
    refused_good: float = 30.0

    def __post_init__(self) -> None:
        for name in ("missed_fraud", "review", "refused_good"):
            value = getattr(self, name)
            if not isinstance(value, int | float) or not math.isfinite(value) or value <= 0:
                raise ValueError(f"{name}: must be a positive number")
        if self.review >= min(self.missed_fraud, self.refused_good):
            raise ValueError(
                "review: must cost less than a missed fraud and than a refused good order"
            )

    def to_dict(self) -> dict[str, float]:
        """Return the JSON form."""
        return {
            "missed_fraud": float(self.missed_fraud),
            "review": float(self.review),
            "refused_good": float(self.refused_good),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Costs:
        """Return the costs in ``data`` (missing keys take the defaults).

        Raises:
            ValueError: on an unknown key or a bad value (the message starts with its name).
        """
        unknown = sorted(set(data) - {"missed_fraud", "review", "refused_good"})
        if unknown:
            raise ValueError(f"{unknown[0]}: unknown field")
        values: dict[str, float] = {}
        for key, value in data.items():
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ValueError(f"{key}: must be a positive number")
            values[key] = float(value)
        return cls(**values)


DEFAULT_COSTS = Costs()


def _logit(p: float) -> float:
    p = min(max(p, _EPS), 1.0 - _EPS)
    return math.log(p / (1.0 - p))


def _sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z))


def bayes_thresholds(costs: Costs) -> tuple[float, float]:
    """Return the ``(review, reject)`` Bayes thresholds of ``costs`` on calibrated
    probabilities, widened around their middle (in log-odds) to the minimum band."""
    review = costs.review / costs.missed_fraud
    reject = max(
        1.0 - costs.review / costs.refused_good,
        costs.refused_good / (costs.missed_fraud + costs.refused_good),
    )
    lo, hi = _logit(review), _logit(reject)
    if hi - lo < MIN_BAND_LOGIT:
        mid = (lo + hi) / 2.0
        lo, hi = mid - MIN_BAND_LOGIT / 2.0, mid + MIN_BAND_LOGIT / 2.0
    return _sigmoid(lo), _sigmoid(hi)


def cost_thresholds(
    y_true: npt.ArrayLike, probabilities: npt.ArrayLike, costs: Costs = DEFAULT_COSTS
) -> tuple[float, float, dict[str, float]]:
    """Return ``(review, reject, info)``: the thresholds minimising the validation orders'
    observed cost under ``costs`` (see the module docstring), ``review < reject`` always.

    ``info`` holds the cost per order of the chosen pair, of accepting everything and of the
    Bayes pair, and the Bayes thresholds.

    Raises:
        ValueError: on mismatched lengths or labels other than 0/1.
    """
    y = np.asarray(y_true, dtype=np.int64).ravel()
    p = np.asarray(probabilities, dtype=np.float64).ravel()
    if y.shape != p.shape:
        raise ValueError(f"y_true has {y.size} rows but probabilities has {p.size}.")
    if y.size and not np.isin(y, (0, 1)).all():
        raise ValueError("y_true must contain only 0 and 1.")
    grid = 1.0 / (1.0 + np.exp(-_GRID_LOGITS))
    n = max(int(y.size), 1)
    # below[i]: rows with p < grid[i]; fraud_below / legit_at_or_above likewise
    order = np.sort(p)
    below = np.searchsorted(order, grid, side="left").astype(np.float64)
    fraud_sorted = np.sort(p[y == 1])
    fraud_below = np.searchsorted(fraud_sorted, grid, side="left").astype(np.float64)
    legit_below = below - fraud_below
    legit_above = (y.size - int(y.sum())) - legit_below
    # cost(review=i, reject=j) = A[i] + B[j], with rows in [i, j) reviewed
    a = costs.missed_fraud * fraud_below - costs.review * below
    b = costs.review * below + costs.refused_good * legit_above
    gap = math.ceil(MIN_BAND_LOGIT / _GRID_STEP - 1e-9)
    total = a[:, None] + b[None, :]
    idx = np.arange(grid.size)
    allowed = idx[None, :] - idx[:, None] >= gap
    total = np.where(allowed, total, np.inf)
    best = float(total.min())
    b_review, b_reject = bayes_thresholds(costs)
    distance = (_GRID_LOGITS[:, None] - _logit(b_review)) ** 2 + (
        _GRID_LOGITS[None, :] - _logit(b_reject)
    ) ** 2
    tolerance = 1e-9 * max(1.0, abs(best))
    tied = np.where(total <= best + tolerance, distance, np.inf)
    i, j = np.unravel_index(int(np.argmin(tied)), tied.shape)
    review, reject = float(grid[i]), float(grid[j])
    ib = int(np.argmin(np.abs(_GRID_LOGITS - _logit(b_review))))
    jb = int(np.argmin(np.abs(_GRID_LOGITS - _logit(b_reject))))
    accept_all = costs.missed_fraud * float(y.sum())
    info = {
        "cost_per_order": best / n,
        "accept_all_cost_per_order": accept_all / n,
        "bayes_cost_per_order": float(a[ib] + b[jb]) / n,
        "bayes_review": b_review,
        "bayes_reject": b_reject,
    }
    return review, reject, info
