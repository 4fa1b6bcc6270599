"""The trained fraud model, its calibrated probabilities and thresholds, and its combination
with the rules.

``train(X, y, *, seed, feature_names, times, costs)`` follows the evaluation protocol of
``docs/evaluation.md`` on the rows it is given (the training data only):

* Rows are taken in time order (pass ``times`` to sort them).
* The model family and its hyper-parameters (standardised logistic regression and its
  ``C``, LightGBM and its leaves and trees, or a blend of the two and its weight) are
  chosen by time-ordered expanding-window validation (:func:`maillon.fraud.selection.select`).
* The winner's log-odds on the last validation block (the latest ``valid_fraction`` of
  rows, scored by the model fitted on every earlier row) choose and fit the calibration,
  Platt or isotonic (:func:`maillon.fraud.selection.fit_calibrator`), and the calibrated
  probabilities set the review and reject thresholds by expected-cost minimisation under
  ``costs`` (:func:`maillon.fraud.costs.cost_thresholds`), review band always present.
* The winner is then refitted on every row (the next orders come after all of them) and
  keeps that calibration; the model stores the last block's calibrated probabilities and
  labels so that new costs in the settings move the thresholds without retraining
  (:meth:`FraudModel.thresholds_for`).

``FraudModel.score(x)`` returns a ``Score``: the calibrated fraud probability, the routing
``Decision`` and the ``top_reasons``, the features that pushed this prediction towards
fraud the most (LightGBM's per-prediction contributions, ``pred_contrib=True``, and the
logistic terms ``coef * z``, both in log-odds, weighted as in the blend).  One call costs
one booster predict on one row and a dot product; no pandas.

``assess(features, model=..., rules=...)`` combines a model with the rules layer: the rules
can only escalate the model's decision; without a model the rules decide alone.
``FraudModel.save`` / ``FraudModel.load`` write and read one JSON file.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

import lightgbm as lgb
import numpy as np
import numpy.typing as npt
from sklearn.metrics import average_precision_score, precision_recall_curve, roc_auc_score

from maillon.fraud.costs import DEFAULT_COSTS, Costs, cost_thresholds
from maillon.fraud.features import FEATURE_NAMES, OrderFeatures
from maillon.fraud.rules import DEFAULT_RULES, RuleResult, RuleSet
from maillon.fraud.selection import (
    FAMILIES,
    LIGHTGBM_GRID,
    Calibrator,
    Candidate,
    LinearPart,
    Selection,
    fit_booster,
    fit_calibrator,
    fit_linear,
    reliability,
    select,
)

__all__ = [
    "DEFAULT_PARAMS",
    "Assessment",
    "Contribution",
    "Decision",
    "FraudModel",
    "Score",
    "Thresholds",
    "assess",
    "choose_thresholds",
    "train",
]

FORMAT = "maillon-fraud-model/2"
_FORMATS = ("maillon-fraud-model/1", FORMAT)

DEFAULT_PARAMS: dict[str, Any] = dict(LIGHTGBM_GRID["leaves15"])
"""The larger LightGBM parameter set tried by ``train`` (``params`` overrides the grid)."""


class Decision(StrEnum):
    """Where an order is routed."""

    ACCEPT = "accept"
    REVIEW = "review"
    REJECT = "reject"


_SEVERITY = {Decision.ACCEPT: 0, Decision.REVIEW: 1, Decision.REJECT: 2}


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Routing thresholds on the fraud probability: review at ``review``, reject at ``reject``.

    Raises:
        ValueError: unless ``0 <= review <= reject <= 1``.
    """

    review: float
    reject: float

    def __post_init__(self) -> None:
        if not 0.0 <= self.review <= self.reject <= 1.0:
            raise ValueError(
                f"need 0 <= review <= reject <= 1, got review={self.review}, reject={self.reject}."
            )

    def route(self, probability: float) -> Decision:
        """Return the ``Decision`` for a fraud ``probability``."""
        if probability >= self.reject:
            return Decision.REJECT
        if probability >= self.review:
            return Decision.REVIEW
        return Decision.ACCEPT


@dataclass(frozen=True, slots=True)
class Contribution:
    """One feature's push on one prediction.

    Attributes:
        feature: the feature name.
        value: the feature's value in the scored row.
        contribution: its contribution to the log-odds (positive = towards fraud).
    """

    feature: str
    value: float
    contribution: float


@dataclass(frozen=True, slots=True)
class Score:
    """A model's verdict on one order.

    Attributes:
        probability: fraud probability in [0, 1].
        decision: the routing decision under the model's thresholds.
        top_reasons: the features pushing most towards fraud, strongest first (only
            positive contributions; may be empty).
    """

    probability: float
    decision: Decision
    top_reasons: tuple[Contribution, ...]


def choose_thresholds(
    y_true: npt.ArrayLike,
    scores: npt.ArrayLike,
    *,
    target_precision: float = 0.9,
    target_recall: float = 0.9,
) -> Thresholds:
    """Return thresholds meeting a precision target (reject) and a recall target (review).

    ``reject`` is the lowest score at which precision >= ``target_precision`` (1.0, i.e.
    never reject automatically, when no score reaches it); ``review`` is the highest score at
    which recall >= ``target_recall``, capped at ``reject``.

    Raises:
        ValueError: on targets outside (0, 1], mismatched lengths or no positive example.
    """
    if not 0.0 < target_precision <= 1.0 or not 0.0 < target_recall <= 1.0:
        raise ValueError("target_precision and target_recall must be in (0, 1].")
    yt = np.asarray(y_true, dtype=np.int64).ravel()
    sc = np.asarray(scores, dtype=np.float64).ravel()
    if yt.shape != sc.shape:
        raise ValueError(f"y_true has {yt.size} rows but scores has {sc.size}.")
    if not yt.any():
        raise ValueError("cannot choose thresholds without a positive (fraud) example.")
    precision, recall, cuts = precision_recall_curve(yt, sc)
    # precision[i], recall[i] hold for "score >= cuts[i]" (the last point has no cut).
    precision, recall = precision[:-1], recall[:-1]
    ok = np.flatnonzero(precision >= target_precision)
    reject = float(cuts[ok[0]]) if ok.size else 1.0
    ok_recall = np.flatnonzero(recall >= target_recall)
    review = float(cuts[ok_recall[-1]]) if ok_recall.size else float(cuts[0])
    review = min(max(review, 0.0), reject)
    return Thresholds(review=review, reject=min(max(reject, 0.0), 1.0))


class FraudModel:
    """A trained model: LightGBM, a standardised logistic regression or a blend of both
    (``weight`` is LightGBM's share of the log-odds), its calibration, thresholds and card.

    Build one with ``train`` or ``FraudModel.load``.

    Raises:
        ValueError: without any part, or when a part's width differs from ``feature_names``.
    """

    __slots__ = (
        "_booster",
        "calibrator",
        "card",
        "feature_names",
        "linear",
        "thresholds",
        "validation",
        "weight",
    )

    def __init__(
        self,
        booster: lgb.Booster | None,
        feature_names: Sequence[str],
        thresholds: Thresholds,
        card: Mapping[str, Any] | None = None,
        *,
        linear: LinearPart | None = None,
        weight: float = 1.0,
        calibrator: Calibrator | None = None,
        validation: tuple[Sequence[float], Sequence[int]] | None = None,
    ) -> None:
        names = tuple(feature_names)
        if booster is None and linear is None:
            raise ValueError("a fraud model needs a booster, a linear part or both.")
        if booster is not None and booster.num_feature() != len(names):
            raise ValueError(
                f"booster has {booster.num_feature()} features but {len(names)} names given."
            )
        if linear is not None and len(linear.coef) != len(names):
            raise ValueError(f"linear part has {len(linear.coef)} features, not {len(names)}.")
        self._booster = booster
        self.linear = linear
        self.weight = 1.0 if linear is None else (0.0 if booster is None else float(weight))
        self.calibrator = calibrator or Calibrator()
        self.feature_names = names
        self.thresholds = thresholds
        self.card: dict[str, Any] = dict(card or {})
        self.validation = validation

    def _row(self, x: OrderFeatures | Sequence[float] | npt.ArrayLike) -> npt.NDArray[np.float64]:
        if isinstance(x, OrderFeatures):
            if self.feature_names != FEATURE_NAMES:
                raise ValueError("this model was not trained on OrderFeatures.")
            return x.as_array()
        row = np.asarray(x, dtype=np.float64).reshape(1, -1)
        if row.shape[1] != len(self.feature_names):
            raise ValueError(f"expected {len(self.feature_names)} features, got {row.shape[1]}.")
        return row

    def _contributions(self, row: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """Log-odds contributions of each feature to one row's score, the bias last."""
        w = self.weight
        total = np.zeros(len(self.feature_names) + 1)
        if self._booster is not None:
            total += w * self._booster.predict(row, pred_contrib=True, num_threads=1)[0]
        if self.linear is not None:
            total += (1.0 - w) * self.linear.contributions(row)[0]
        return total

    def score(self, x: OrderFeatures | Sequence[float] | npt.ArrayLike, *, top_k: int = 3) -> Score:
        """Return the ``Score`` (probability, decision, top reasons) of one row.

        ``x`` is an ``OrderFeatures`` (for a model trained on ``FEATURE_NAMES``) or the
        feature values in ``feature_names`` order.

        Raises:
            ValueError: on a wrong number of features or ``top_k < 0``.
        """
        if top_k < 0:
            raise ValueError("top_k must be >= 0.")
        row = self._row(x)
        contrib = self._contributions(row)
        raw = float(contrib.sum())
        probability = float(self.calibrator(np.array([raw]))[0])
        reasons: tuple[Contribution, ...] = ()
        if top_k:
            phi = contrib[:-1]
            order = np.argsort(-phi, kind="stable")[:top_k]
            values = row[0]
            reasons = tuple(
                Contribution(self.feature_names[i], float(values[i]), float(phi[i]))
                for i in order
                if phi[i] > 0
            )
        return Score(probability, self.thresholds.route(probability), reasons)

    def raw_scores(self, X: npt.ArrayLike) -> npt.NDArray[np.float64]:
        """Return the uncalibrated log-odds of a 2-D array of rows.

        Raises:
            ValueError: if ``X`` does not have ``len(feature_names)`` columns.
        """
        arr = np.asarray(X, dtype=np.float64)
        if arr.ndim != 2 or arr.shape[1] != len(self.feature_names):
            raise ValueError(f"X must be 2-D with {len(self.feature_names)} columns.")
        raw = np.zeros(arr.shape[0])
        if self._booster is not None:
            raw += self.weight * np.asarray(self._booster.predict(arr, raw_score=True))
        if self.linear is not None:
            raw += (1.0 - self.weight) * self.linear.raw(arr)
        return raw

    def predict_proba(self, X: npt.ArrayLike) -> npt.NDArray[np.float64]:
        """Return calibrated fraud probabilities for a 2-D array of rows (batch scoring).

        Raises:
            ValueError: if ``X`` does not have ``len(feature_names)`` columns.
        """
        return self.calibrator(self.raw_scores(X))

    def thresholds_for(self, costs: Costs) -> Thresholds:
        """Return the thresholds ``costs`` give on the stored validation probabilities
        (the current thresholds when the model kept none)."""
        if self.validation is None:
            return self.thresholds
        p, y = self.validation
        review, reject, _ = cost_thresholds(y, p, costs)
        return Thresholds(review, reject)

    def to_json(self) -> str:
        """Return the model (parts, calibration, names, thresholds, card) as JSON text."""
        return json.dumps(
            {
                "format": FORMAT,
                "feature_names": list(self.feature_names),
                "thresholds": {"review": self.thresholds.review, "reject": self.thresholds.reject},
                "card": self.card,
                "booster": None if self._booster is None else self._booster.model_to_string(),
                "linear": None if self.linear is None else self.linear.to_dict(),
                "weight": self.weight,
                "calibrator": self.calibrator.to_dict(),
                "validation": None
                if self.validation is None
                else {"p": list(self.validation[0]), "y": list(self.validation[1])},
            }
        )

    @classmethod
    def from_json(cls, text: str) -> FraudModel:
        """Return the model stored in JSON ``text`` (see ``to_json``; format 1 is read too).

        Raises:
            ValueError: if the text is not a saved Maillon fraud model.
        """
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"not a saved fraud model: {exc}") from exc
        if not isinstance(data, dict) or data.get("format") not in _FORMATS:
            raise ValueError(f"not a saved fraud model (expected format {FORMAT!r}).")
        booster = lgb.Booster(model_str=data["booster"]) if data.get("booster") else None
        linear = LinearPart.from_dict(data["linear"]) if data.get("linear") else None
        th = data["thresholds"]
        valid = data.get("validation")
        return cls(
            booster,
            data["feature_names"],
            Thresholds(float(th["review"]), float(th["reject"])),
            data.get("card", {}),
            linear=linear,
            weight=float(data.get("weight", 1.0)),
            calibrator=Calibrator.from_dict(data.get("calibrator") or {}),
            validation=(valid["p"], valid["y"]) if valid else None,
        )

    def save(self, path: str | Path) -> None:
        """Write the model to ``path`` as one JSON file."""
        Path(path).write_text(self.to_json(), encoding="utf-8")

    @classmethod
    def load(cls, path: str | Path) -> FraudModel:
        """Return the model saved at ``path``.

        Raises:
            ValueError: if the file is not a saved fraud model.
            OSError: if it cannot be read.
        """
        return cls.from_json(Path(path).read_text(encoding="utf-8"))


def _metrics(y: npt.NDArray[np.int64], p: npt.NDArray[np.float64]) -> dict[str, float | None]:
    if y.min() == y.max():
        return {"roc_auc": None, "pr_auc": None}
    return {
        "roc_auc": float(roc_auc_score(y, p)),
        "pr_auc": float(average_precision_score(y, p)),
    }


def _checked_rows(
    X: npt.ArrayLike,
    y: npt.ArrayLike,
    feature_names: Sequence[str],
    times: npt.ArrayLike | None,
    *,
    valid_fraction: float,
    num_boost_round: int,
    n_jobs: int,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64], tuple[str, ...]]:
    """Return the rows, their 0/1 labels (sorted by ``times`` when given) and the feature
    names, checked as :func:`train` says."""
    arr = np.asarray(X, dtype=np.float64)
    labels = np.asarray(y).ravel()
    names = tuple(feature_names)
    if arr.ndim != 2:
        raise ValueError(f"X must be 2-D, got shape {arr.shape}.")
    if arr.shape[0] != labels.size:
        raise ValueError(f"X has {arr.shape[0]} rows but y has {labels.size}.")
    if len(names) != arr.shape[1] or len(set(names)) != len(names) or not all(names):
        raise ValueError("feature_names must be unique, non-empty and one per column of X.")
    if not np.isin(labels, (0, 1)).all():
        raise ValueError("y must contain only 0 (legitimate) and 1 (fraud).")
    if not 0.0 < valid_fraction < 0.5:
        raise ValueError(f"valid_fraction {valid_fraction} not in (0, 0.5).")
    if num_boost_round < 8 or n_jobs < 1:
        raise ValueError("num_boost_round must be >= 8 and n_jobs >= 1.")
    labels = labels.astype(np.int64)
    if times is not None:
        t = np.asarray(times).ravel()
        if t.size != labels.size:
            raise ValueError("times must have one value per row.")
        order = np.argsort(t, kind="stable")
        arr, labels = arr[order], labels[order]
    _check_last_block(labels, valid_fraction)
    return arr, labels, names


def _check_last_block(labels: npt.NDArray[np.int64], valid_fraction: float) -> None:
    """Raise ValueError unless the rows before the last validation block hold both classes
    and the block a fraud."""
    n = labels.size
    n_fit = n - max(1, round(n * valid_fraction))
    if n_fit < 2 or labels[:n_fit].min() == labels[:n_fit].max():
        raise ValueError("the fitting split needs both fraud and legitimate rows.")
    if not labels[n_fit:].any():
        raise ValueError(
            "the validation split (latest rows) has no fraud; give more data or a larger "
            "valid_fraction."
        )


def _fit_candidate(
    cand: Candidate,
    X: npt.NDArray[np.float64],
    y: npt.NDArray[np.int64],
    *,
    grid: Mapping[str, Mapping[str, Any]],
    seed: int,
    n_jobs: int,
    names: Sequence[str],
) -> tuple[lgb.Booster | None, LinearPart | None, float]:
    """Fit ``cand`` on all of ``X``: its booster, its linear part and LightGBM's weight."""
    booster = linear = None
    if cand.family in ("lightgbm", "blend") and cand.params is not None and cand.trees:
        booster = fit_booster(
            X, y, params=grid[cand.params], trees=cand.trees, seed=seed, n_jobs=n_jobs, names=names
        )
    if cand.family in ("logistic", "blend") and cand.C is not None:
        linear = fit_linear(X, y, C=cand.C)
    weight = cand.weight if cand.weight is not None else (1.0 if linear is None else 0.0)
    return booster, linear, weight


def _calibrated(
    chosen: Selection, costs: Costs
) -> tuple[Calibrator, npt.NDArray[np.float64], Thresholds, dict[str, Any]]:
    """Calibrate the chosen candidate on the last block and set thresholds from ``costs``;
    return the calibrator, the block's probabilities, the thresholds and their card entries."""
    calibrator, calibration = fit_calibrator(chosen.last_raw, chosen.last_y)
    p_val = calibrator(chosen.last_raw)
    review, reject, cost_info = cost_thresholds(chosen.last_y, p_val, costs)
    thresholds = Thresholds(review, reject)
    return (
        calibrator,
        p_val,
        thresholds,
        {
            "calibration": calibration,
            "costs": costs.to_dict(),
            "cost": {k: round(v, 6) for k, v in cost_info.items()},
            "thresholds": {"review": review, "reject": reject},
        },
    )


def _card(
    chosen: Selection,
    p_val: npt.NDArray[np.float64],
    labels: npt.NDArray[np.int64],
    extra: dict[str, Any],
) -> dict[str, Any]:
    """The model card: the choice and every candidate's validation scores, the last
    block's metrics and reliability, then ``extra`` (costs, thresholds, parameters...)."""
    metrics = _metrics(chosen.last_y, p_val)
    return {
        "model": chosen.chosen.name,
        "family": chosen.chosen.family,
        "lightgbm_version": lgb.__version__,
        "n_samples": int(labels.size),
        "n_fraud": int(labels.sum()),
        "n_validation": int(chosen.last_y.size),
        "n_validation_fraud": int(chosen.last_y.sum()),
        "validation": "latest rows, scored by the model fitted on every earlier row",
        "validation_pr_auc": chosen.score_of(chosen.chosen.name),
        "folds": chosen.folds,
        "candidates": chosen.scores,
        "roc_auc": metrics["roc_auc"],
        "pr_auc": metrics["pr_auc"],
        "reliability": reliability(chosen.last_y, p_val),
        "refit_on_all_rows": True,
        **extra,
    }


def train(
    X: npt.ArrayLike,
    y: npt.ArrayLike,
    *,
    seed: int,
    feature_names: Sequence[str],
    times: npt.ArrayLike | None = None,
    costs: Costs = DEFAULT_COSTS,
    valid_fraction: float = 0.25,
    folds: int = 3,
    families: Sequence[str] = FAMILIES,
    num_boost_round: int = 500,
    params: Mapping[str, Any] | None = None,
    n_jobs: int = 1,
    data_period: tuple[str, str] | None = None,
) -> FraudModel:
    """Return a ``FraudModel`` chosen, calibrated and thresholded on rows ``X`` with 0/1
    labels ``y`` (1 = fraud), in time order unless ``times`` is given (module docstring):
    ``folds`` blocks of ``valid_fraction`` of the rows; LightGBM with ``num_boost_round``
    trees and 1/2, 1/4, 1/8 of it, on its grid or ``params`` (over ``DEFAULT_PARAMS``).

    Raises ValueError on shape mismatches, bad feature names, labels other than 0/1,
    ``valid_fraction`` outside (0, 0.5), unknown ``families``, a past without both classes or
    a last block without a fraud."""
    arr, labels, names = _checked_rows(
        X,
        y,
        feature_names,
        times,
        valid_fraction=valid_fraction,
        num_boost_round=num_boost_round,
        n_jobs=n_jobs,
    )
    if not families or set(families) - set(FAMILIES):
        raise ValueError(f"families must be among {', '.join(FAMILIES)}.")
    started = time.perf_counter()
    grid = {"custom": {**DEFAULT_PARAMS, **params}} if params else dict(LIGHTGBM_GRID)
    trees = tuple(sorted({max(1, num_boost_round // d) for d in (8, 4, 2, 1)}))
    chosen = select(
        arr,
        labels,
        names,
        seed=seed,
        folds=folds,
        valid_fraction=valid_fraction,
        families=families,
        lgb_grid=grid,
        trees=trees,
        n_jobs=n_jobs,
    )
    calibrator, p_val, thresholds, decided = _calibrated(chosen, costs)
    booster, linear, weight = _fit_candidate(
        chosen.chosen, arr, labels, grid=grid, seed=seed, n_jobs=n_jobs, names=names
    )
    card = _card(
        chosen,
        p_val,
        labels,
        {
            **decided,
            "seed": seed,
            "params": grid.get(chosen.chosen.params or "", None),
            "feature_names": list(names),
            "data_period": list(data_period) if data_period else None,
            "train_seconds": round(time.perf_counter() - started, 3),
        },
    )
    validation = ([round(float(v), 6) for v in p_val], [int(v) for v in chosen.last_y])
    return FraudModel(
        booster,
        names,
        thresholds,
        card,
        linear=linear,
        weight=weight,
        calibrator=calibrator,
        validation=validation,
    )


@dataclass(frozen=True, slots=True)
class Assessment:
    """The combined verdict of the model (if any) and the rules on one order.

    Attributes:
        decision: the more severe of the model's and the rules' decisions.
        probability: the model's fraud probability, or the rules score without a model.
        reasons: fired rule reasons first, then the model's top contributions.
        rules: the rules layer's result.
        model: the model's score, or ``None`` when no model was given.
    """

    decision: Decision
    probability: float
    reasons: tuple[str, ...]
    rules: RuleResult
    model: Score | None


def assess(
    features: OrderFeatures,
    *,
    model: FraudModel | None = None,
    rules: RuleSet = DEFAULT_RULES,
) -> Assessment:
    """Return the ``Assessment`` of one order by ``model`` and ``rules`` together.

    Without a model, the rules decide alone (``rules.review_at`` / ``rules.reject_at``).
    With one, the decision is the more severe of the two: rules can escalate, never clear.

    Raises:
        ValueError: if ``model`` was not trained on ``OrderFeatures``.
    """
    rule_result = rules.evaluate(features)
    rule_decision = Decision(rules.decision(rule_result.score))
    if model is None:
        return Assessment(rule_decision, rule_result.score, rule_result.reasons, rule_result, None)
    s = model.score(features)
    decision = max(s.decision, rule_decision, key=_SEVERITY.__getitem__)
    reasons = rule_result.reasons + tuple(
        f"model: {c.feature}={c.value:g} (+{c.contribution:.2f} log-odds)" for c in s.top_reasons
    )
    return Assessment(decision, s.probability, reasons, rule_result, s)
