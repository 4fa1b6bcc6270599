"""Model choice by time-ordered nested validation, calibration and reliability (pure).

Everything here sees only the *training* rows, sorted by time.  :func:`select` runs an
expanding-window validation: the last ``folds`` blocks of ``valid_fraction`` of the rows are
validation blocks, each scored by candidates fitted on every row before it.  The
candidates are

* a standardised logistic regression (median imputation, standard scaling) for each
  ``C`` of :data:`LOGISTIC_C` (``C = 1`` is the benchmark's baseline configuration);
* LightGBM for each parameter set of :data:`LIGHTGBM_GRID` and number of trees of the tree
  grid (one booster per parameter set and fold, read at several tree counts);
* blends: ``w * LightGBM log-odds + (1 - w) * logistic log-odds`` for each pair and each
  ``w`` of :data:`BLEND_WEIGHTS`.

A candidate's validation score is its PR-AUC (average precision) averaged over the blocks
that hold a fraud; the best mean wins, a tie goes to the simpler candidate (logistic, then
LightGBM, then blend).  The last block also calibrates the winner (:func:`fit_calibrator`)
and sets the thresholds (:mod:`maillon.fraud.costs`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import lightgbm as lgb
import numpy as np
import numpy.typing as npt
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score

__all__ = [
    "BLEND_WEIGHTS",
    "LIGHTGBM_GRID",
    "LOGISTIC_C",
    "Calibrator",
    "Candidate",
    "LinearPart",
    "Selection",
    "fit_booster",
    "fit_calibrator",
    "fit_linear",
    "reliability",
    "select",
]

Array = npt.NDArray[np.float64]
Labels = npt.NDArray[np.int64]

LOGISTIC_C = (0.01, 0.1, 1.0)
BLEND_WEIGHTS = (0.25, 0.5, 0.75)
_BASE_LGB: dict[str, Any] = {
    "objective": "binary",
    "learning_rate": 0.05,
    "min_data_in_leaf": 20,
    "feature_fraction": 0.5,
    "bagging_fraction": 0.8,
    "bagging_freq": 1,
    "lambda_l2": 1.0,
    "max_bin": 255,
}
LIGHTGBM_GRID: dict[str, dict[str, Any]] = {
    "leaves7": {**_BASE_LGB, "num_leaves": 7},
    "leaves15": {**_BASE_LGB, "num_leaves": 15},
}
"""LightGBM parameter sets tried (without seed and threads)."""
FAMILIES = ("logistic", "lightgbm", "blend")
RELIABILITY_EDGES = (0.0, 0.001, 0.01, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 0.95, 1.0)
_CLIP = 1e-4


def _sigmoid(z: Array) -> Array:
    out: Array = 1.0 / (1.0 + np.exp(-np.clip(z, -700.0, 700.0)))
    return out


# --------------------------------------------------------------------------- linear part


@dataclass(frozen=True)
class LinearPart:
    """A standardised logistic regression as plain arrays: missing values take the
    training median, then ``z = (x - mean) / scale`` and log-odds ``intercept + coef . z``."""

    median: tuple[float, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    coef: tuple[float, ...]
    intercept: float
    _arrays: tuple[Array, Array, Array, Array] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        arrays = tuple(
            np.asarray(v, dtype=np.float64) for v in (self.median, self.mean, self.scale, self.coef)
        )
        object.__setattr__(self, "_arrays", arrays)

    def contributions(self, X: Array) -> Array:
        """Per-row log-odds contributions of each feature, the intercept last."""
        median, mean, scale, coef = self._arrays
        filled = np.where(np.isnan(X), median, X)
        parts = coef * (filled - mean) / scale
        bias = np.full((X.shape[0], 1), self.intercept)
        out: Array = np.hstack([parts, bias])
        return out

    def raw(self, X: Array) -> Array:
        """Log-odds of each row."""
        median, mean, scale, coef = self._arrays
        filled = np.where(np.isnan(X), median, X)
        out: Array = ((filled - mean) / scale) @ coef + self.intercept
        return out

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON form."""
        return {
            "median": list(self.median),
            "mean": list(self.mean),
            "scale": list(self.scale),
            "coef": list(self.coef),
            "intercept": self.intercept,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LinearPart:
        """Return the part stored by :meth:`to_dict`."""
        return cls(
            tuple(float(v) for v in data["median"]),
            tuple(float(v) for v in data["mean"]),
            tuple(float(v) for v in data["scale"]),
            tuple(float(v) for v in data["coef"]),
            float(data["intercept"]),
        )


def fit_linear(X: Array, y: Labels, *, C: float) -> LinearPart:
    """Fit a standardised logistic regression with inverse regularisation ``C``."""
    median = np.nanmedian(np.where(np.isnan(X).all(axis=0), 0.0, X), axis=0)
    median = np.where(np.isnan(median), 0.0, median)
    filled = np.where(np.isnan(X), median, X)
    mean = filled.mean(axis=0)
    scale = filled.std(axis=0)
    scale = np.where(scale > 0, scale, 1.0)
    model = LogisticRegression(C=C, max_iter=2000)
    model.fit((filled - mean) / scale, y)
    return LinearPart(
        tuple(float(v) for v in median),
        tuple(float(v) for v in mean),
        tuple(float(v) for v in scale),
        tuple(float(v) for v in model.coef_[0]),
        float(model.intercept_[0]),
    )


def fit_booster(
    X: Array,
    y: Labels,
    *,
    params: Mapping[str, Any],
    trees: int,
    seed: int,
    n_jobs: int,
    names: Sequence[str],
) -> lgb.Booster:
    """Fit LightGBM with ``trees`` rounds (no early stopping: the count is a choice)."""
    full = {**params, "seed": seed, "deterministic": True, "num_threads": n_jobs, "verbosity": -1}
    data = lgb.Dataset(X, y, feature_name=list(names), free_raw_data=True)
    booster = lgb.train(full, data, num_boost_round=trees)
    booster.free_dataset()
    return booster


# --------------------------------------------------------------------------- candidates


@dataclass(frozen=True)
class Candidate:
    """One choice of model family and hyper-parameters."""

    family: str  # logistic, lightgbm, blend
    C: float | None = None
    params: str | None = None
    trees: int | None = None
    weight: float | None = None  # LightGBM's weight in a blend

    @property
    def name(self) -> str:
        """A readable name, e.g. ``blend(w=0.5, lightgbm[leaves7,250], logistic[C=0.1])``."""
        lr = f"logistic[C={self.C or 0:g}]"
        gb = f"lightgbm[{self.params},{self.trees}]"
        if self.family == "logistic":
            return lr
        if self.family == "lightgbm":
            return gb
        return f"blend(w={self.weight or 0:g}, {gb}, {lr})"


@dataclass(frozen=True)
class Selection:
    """The outcome of :func:`select`: the winner, every candidate's fold scores, and the
    winner's log-odds and labels on the last validation block (for calibration)."""

    chosen: Candidate
    scores: list[dict[str, Any]]
    folds: list[dict[str, int]]
    last_raw: Array
    last_y: Labels

    def score_of(self, name: str) -> float | None:
        """The mean validation PR-AUC of candidate ``name``."""
        for row in self.scores:
            if row["candidate"] == name:
                return float(row["validation_pr_auc"])
        return None


def _blocks(n: int, folds: int, valid_fraction: float) -> list[tuple[int, int]]:
    """``(start, end)`` of each validation block, oldest first (each fitted on ``[0, start)``)."""
    size = max(1, round(n * valid_fraction))
    out = []
    for k in range(folds, 0, -1):
        start = n - k * size
        if start >= 2:
            out.append((start, start + size if k > 1 else n))
    return out


def _fold_raws(
    X: Array,
    y: Labels,
    start: int,
    end: int,
    grids: tuple[Sequence[float], Mapping[str, Mapping[str, Any]], Sequence[int]],
    *,
    seed: int,
    n_jobs: int,
    names: Sequence[str],
) -> dict[Candidate, Array]:
    """Log-odds on block ``[start, end)`` of every single-family candidate fitted before it."""
    c_grid, lgb_grid, trees = grids
    X_fit, y_fit, X_val = X[:start], y[:start], X[start:end]
    out: dict[Candidate, Array] = {}
    for C in c_grid:
        out[Candidate("logistic", C=C)] = fit_linear(X_fit, y_fit, C=C).raw(X_val)
    for pname, params in lgb_grid.items():
        booster = fit_booster(
            X_fit, y_fit, params=params, trees=max(trees), seed=seed, n_jobs=n_jobs, names=names
        )
        for t in trees:
            raw = booster.predict(X_val, raw_score=True, num_iteration=t)
            out[Candidate("lightgbm", params=pname, trees=t)] = np.asarray(raw, dtype=np.float64)
    return out


def _with_blends(raws: dict[Candidate, Array], weights: Sequence[float]) -> dict[Candidate, Array]:
    linear = [c for c in raws if c.family == "logistic"]
    boosted = [c for c in raws if c.family == "lightgbm"]
    out = dict(raws)
    for gb in boosted:
        for lr in linear:
            for w in weights:
                cand = Candidate("blend", C=lr.C, params=gb.params, trees=gb.trees, weight=w)
                out[cand] = w * raws[gb] + (1.0 - w) * raws[lr]
    return out


def select(
    X: Array,
    y: Labels,
    names: Sequence[str],
    *,
    seed: int,
    folds: int = 3,
    valid_fraction: float = 0.25,
    families: Sequence[str] = FAMILIES,
    c_grid: Sequence[float] = LOGISTIC_C,
    lgb_grid: Mapping[str, Mapping[str, Any]] = LIGHTGBM_GRID,
    trees: Sequence[int] = (60, 125, 250, 500),
    weights: Sequence[float] = BLEND_WEIGHTS,
    n_jobs: int = 1,
) -> Selection:
    """Choose a candidate by time-ordered expanding-window validation (module docstring).

    ``X`` and ``y`` are the training rows in time order.  The last block always counts
    (the caller checked it holds a fraud and its past both classes); an earlier block
    without a fraud, or whose past lacks a class, is skipped.
    """
    use_lr = "logistic" in families or "blend" in families
    use_gb = "lightgbm" in families or "blend" in families
    grids = (tuple(c_grid) if use_lr else (), dict(lgb_grid) if use_gb else {}, tuple(trees))
    per_fold: list[dict[Candidate, Array]] = []
    fold_info: list[dict[str, int]] = []
    blocks = _blocks(y.size, folds, valid_fraction)
    for i, (start, end) in enumerate(blocks):
        last = i == len(blocks) - 1
        y_val = y[start:end]
        if not last and (not y_val.any() or y[:start].min() == y[:start].max()):
            continue
        raws = _fold_raws(X, y, start, end, grids, seed=seed, n_jobs=n_jobs, names=names)
        if "blend" in families:
            raws = _with_blends(raws, weights)
        per_fold.append({c: r for c, r in raws.items() if c.family in families})
        fold_info.append(
            {"fit_rows": start, "validation_rows": end - start, "fraud": int(y_val.sum())}
        )
    usable = [k for k, info in enumerate(fold_info) if info["fraud"] > 0]
    scores: list[dict[str, Any]] = []
    best: Candidate | None = None
    best_mean = -math.inf
    for cand in per_fold[-1]:  # insertion order: logistic, lightgbm, blends
        fold_scores = [
            float(average_precision_score(_block_y(fold_info[k], y), per_fold[k][cand]))
            for k in usable
        ]
        mean = float(np.mean(fold_scores)) if fold_scores else 0.0
        scores.append(
            {
                "candidate": cand.name,
                "family": cand.family,
                "fold_pr_auc": [round(s, 4) for s in fold_scores],
                "validation_pr_auc": mean,
            }
        )
        if mean > best_mean + 1e-12:
            best, best_mean = cand, mean
    if best is None:
        raise ValueError("no candidate model to choose from (families is empty).")
    start, end = blocks[-1]
    return Selection(best, scores, fold_info, per_fold[-1][best], y[start:end])


def _block_y(info: dict[str, int], y: Labels) -> Labels:
    """The labels of the validation block ``info`` describes."""
    start = info["fit_rows"]
    return y[start : start + info["validation_rows"]]


# --------------------------------------------------------------------------- calibration


@dataclass(frozen=True)
class Calibrator:
    """Log-odds -> calibrated probability: ``none`` (the sigmoid), ``platt``
    (``sigmoid(a * raw + b)``) or ``isotonic`` (a monotone step function of the log-odds,
    interpolated, ties inside a step broken by the raw score with weight 1e-6)."""

    kind: str = "none"
    a: float = 1.0
    b: float = 0.0
    xs: tuple[float, ...] = ()
    ys: tuple[float, ...] = ()

    def __call__(self, raw: Array) -> Array:
        """Calibrated probabilities of the log-odds ``raw``."""
        if self.kind == "platt":
            return _sigmoid(self.a * raw + self.b)
        if self.kind == "isotonic":
            stepped = np.interp(raw, np.asarray(self.xs), np.asarray(self.ys))
            out: Array = stepped * (1.0 - 1e-6) + 1e-6 * _sigmoid(raw)
            return out
        return _sigmoid(raw)

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON form."""
        return {"kind": self.kind, "a": self.a, "b": self.b, "xs": self.xs, "ys": self.ys}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Calibrator:
        """Return the calibrator stored by :meth:`to_dict`."""
        return cls(
            str(data.get("kind", "none")),
            float(data.get("a", 1.0)),
            float(data.get("b", 0.0)),
            tuple(float(v) for v in data.get("xs", ())),
            tuple(float(v) for v in data.get("ys", ())),
        )


def _platt(raw: Array, y: Labels) -> Calibrator:
    """Platt scaling with Platt's smoothed targets, by damped Newton steps."""
    n1 = float(y.sum())
    n0 = float(y.size) - n1
    t = np.where(y == 1, (n1 + 1.0) / (n1 + 2.0), 1.0 / (n0 + 2.0))

    def loss(a: float, b: float) -> float:
        z = a * raw + b
        return float(np.sum(np.logaddexp(0.0, z) - t * z))

    a, b = 1.0, 0.0
    current = loss(a, b)
    for _ in range(100):
        p = _sigmoid(a * raw + b)
        w = p * (1.0 - p) + 1e-12
        g = np.array([np.sum((p - t) * raw), np.sum(p - t)])
        h = np.array([[np.sum(w * raw * raw), np.sum(w * raw)], [np.sum(w * raw), np.sum(w)]])
        step = np.linalg.solve(h + 1e-9 * np.eye(2), g)
        scale = 1.0
        while scale > 1e-6:
            na, nb = a - scale * float(step[0]), b - scale * float(step[1])
            new = loss(na, nb)
            if new <= current:
                break
            scale /= 2.0
        else:
            break
        done = abs(current - new) < 1e-10
        a, b, current = na, nb, new
        if done:
            break
    return Calibrator("platt", a, b)


def _isotonic(raw: Array, y: Labels) -> Calibrator:
    iso = IsotonicRegression(out_of_bounds="clip", y_min=_CLIP, y_max=1.0 - _CLIP)
    iso.fit(raw, y.astype(np.float64))
    xs = tuple(float(v) for v in iso.X_thresholds_)
    ys = tuple(float(v) for v in iso.y_thresholds_)
    return Calibrator("isotonic", xs=xs, ys=ys)


def _log_loss(y: Labels, p: Array) -> float:
    q = np.clip(p, _CLIP, 1.0 - _CLIP)
    return float(-np.mean(y * np.log(q) + (1 - y) * np.log(1.0 - q)))


def fit_calibrator(raw: Array, y: Labels) -> tuple[Calibrator, dict[str, Any]]:
    """Choose Platt or isotonic on the validation block (time order kept) and fit it there.

    Both are fitted on the block's first half and compared by log-loss on its second half
    (Platt when a half lacks a class); the winner is refitted on the whole block.
    """
    half = y.size // 2
    first, second = slice(0, half), slice(half, None)
    info: dict[str, Any] = {"rule": "log-loss on the later half of the validation block"}
    kind = "platt"
    if y[first].min() != y[first].max() and y[second].any():
        losses = {
            "platt": _log_loss(y[second], _platt(raw[first], y[first])(raw[second])),
            "isotonic": _log_loss(y[second], _isotonic(raw[first], y[first])(raw[second])),
        }
        info["log_loss"] = {k: round(v, 5) for k, v in losses.items()}
        kind = min(losses, key=losses.__getitem__)
    else:
        info["rule"] = "platt: a half of the validation block lacks a class"
    info["kind"] = kind
    return (_platt(raw, y) if kind == "platt" else _isotonic(raw, y)), info


def reliability(y: npt.ArrayLike, p: npt.ArrayLike) -> list[dict[str, Any]]:
    """Reliability table: per probability bin (:data:`RELIABILITY_EDGES`), the rows, the
    mean predicted probability and the observed fraud rate (empty bins left out)."""
    yt = np.asarray(y, dtype=np.float64).ravel()
    pp = np.asarray(p, dtype=np.float64).ravel()
    edges = np.asarray(RELIABILITY_EDGES)
    idx = np.clip(np.searchsorted(edges, pp, side="right") - 1, 0, edges.size - 2)
    rows = []
    for k in range(edges.size - 1):
        mask = idx == k
        if mask.any():
            rows.append(
                {
                    "bin": f"[{edges[k]:g}, {edges[k + 1]:g})",
                    "n": int(mask.sum()),
                    "predicted_mean": float(pp[mask].mean()),
                    "observed_rate": float(yt[mask].mean()),
                    "fraud": int(yt[mask].sum()),
                }
            )
    return rows
