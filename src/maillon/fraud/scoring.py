"""A trained LightGBM fraud model, its thresholds, and its combination with the rules.

``train(X, y, *, seed, feature_names)`` fits a gradient-boosted classifier and returns a
``FraudModel``:

* Rows are taken in time order (pass ``times`` to sort them); the last ``valid_fraction``
  is the validation split.  The booster is fitted on the earlier rows with early stopping
  on the validation split, and the routing thresholds are chosen on that split's scores:
  ``reject`` is the lowest score whose precision reaches ``target_precision`` (orders
  above it are rejected automatically), ``review`` the highest score whose recall still
  reaches ``target_recall`` (orders between the two go to a human).  With ``refit=True``
  the booster is then refitted on all rows with the same number of trees (off by default:
  on the time-ordered credit-card benchmark the unrefitted booster scores slightly better,
  and its thresholds match the scores they were chosen on).
* ``FraudModel.score(x)`` returns a ``Score``: the fraud probability, the routing
  ``Decision`` and the ``top_reasons``, the features that pushed this prediction towards
  fraud the most according to LightGBM's per-prediction contributions
  (``pred_contrib=True``, SHAP values in log-odds).  One call costs one booster predict on
  one row (a few hundred microseconds); no pandas.
* ``assess(features, model=..., rules=...)`` combines a model with the rules layer: the
  rules can only escalate the model's decision; without a model the rules decide alone.
* ``FraudModel.save`` / ``FraudModel.load`` write and read one JSON file holding the booster
  text, the thresholds and the model card (``card``: data period, validation ROC-AUC and
  PR-AUC, thresholds, sample counts, parameters).
"""

from __future__ import annotations

import json
import math
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

from maillon.fraud.features import FEATURE_NAMES, OrderFeatures
from maillon.fraud.rules import DEFAULT_RULES, RuleResult, RuleSet

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

FORMAT = "maillon-fraud-model/1"

DEFAULT_PARAMS: dict[str, Any] = {
    "objective": "binary",
    "learning_rate": 0.05,
    "num_leaves": 15,
    "min_data_in_leaf": 20,
    "feature_fraction": 0.5,
    "bagging_fraction": 0.8,
    "bagging_freq": 1,
    "lambda_l2": 1.0,
    "max_bin": 255,
}
"""LightGBM parameters used by ``train`` unless overridden."""


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
    """A trained booster with its feature names, thresholds and model card.

    Build one with ``train`` or ``FraudModel.load``.

    Raises:
        ValueError: if the booster's number of features differs from ``feature_names``.
    """

    __slots__ = ("_booster", "_index", "card", "feature_names", "thresholds")

    def __init__(
        self,
        booster: lgb.Booster,
        feature_names: Sequence[str],
        thresholds: Thresholds,
        card: Mapping[str, Any] | None = None,
    ) -> None:
        names = tuple(feature_names)
        if booster.num_feature() != len(names):
            raise ValueError(
                f"booster has {booster.num_feature()} features but {len(names)} names given."
            )
        self._booster = booster
        self.feature_names = names
        self.thresholds = thresholds
        self.card: dict[str, Any] = dict(card or {})
        self._index = np.arange(len(names))

    def _row(self, x: OrderFeatures | Sequence[float] | npt.ArrayLike) -> npt.NDArray[np.float64]:
        if isinstance(x, OrderFeatures):
            if self.feature_names != FEATURE_NAMES:
                raise ValueError("this model was not trained on OrderFeatures.")
            return x.as_array()
        row = np.asarray(x, dtype=np.float64).reshape(1, -1)
        if row.shape[1] != len(self.feature_names):
            raise ValueError(f"expected {len(self.feature_names)} features, got {row.shape[1]}.")
        return row

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
        contrib = self._booster.predict(row, pred_contrib=True, num_threads=1)[0]
        raw = float(contrib.sum())
        probability = 1.0 / (1.0 + math.exp(-raw)) if raw > -700 else 0.0
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

    def predict_proba(self, X: npt.ArrayLike) -> npt.NDArray[np.float64]:
        """Return fraud probabilities for a 2-D array of rows (batch scoring).

        Raises:
            ValueError: if ``X`` does not have ``len(feature_names)`` columns.
        """
        arr = np.asarray(X, dtype=np.float64)
        if arr.ndim != 2 or arr.shape[1] != len(self.feature_names):
            raise ValueError(f"X must be 2-D with {len(self.feature_names)} columns.")
        out: npt.NDArray[np.float64] = np.asarray(self._booster.predict(arr), dtype=np.float64)
        return out

    def to_json(self) -> str:
        """Return the model (booster, names, thresholds, card) as JSON text."""
        return json.dumps(
            {
                "format": FORMAT,
                "feature_names": list(self.feature_names),
                "thresholds": {"review": self.thresholds.review, "reject": self.thresholds.reject},
                "card": self.card,
                "booster": self._booster.model_to_string(),
            }
        )

    @classmethod
    def from_json(cls, text: str) -> FraudModel:
        """Return the model stored in JSON ``text`` (see ``to_json``).

        Raises:
            ValueError: if the text is not a saved Maillon fraud model.
        """
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"not a saved fraud model: {exc}") from exc
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ValueError(f"not a saved fraud model (expected format {FORMAT!r}).")
        booster = lgb.Booster(model_str=data["booster"])
        th = data["thresholds"]
        return cls(
            booster,
            data["feature_names"],
            Thresholds(float(th["review"]), float(th["reject"])),
            data.get("card", {}),
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
    early_stopping_rounds: int,
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
    if not 0.0 < valid_fraction < 0.9:
        raise ValueError(f"valid_fraction {valid_fraction} not in (0, 0.9).")
    if num_boost_round < 1 or early_stopping_rounds < 1 or n_jobs < 1:
        raise ValueError("num_boost_round, early_stopping_rounds and n_jobs must be >= 1.")
    labels = labels.astype(np.int64)
    if times is not None:
        t = np.asarray(times).ravel()
        if t.size != labels.size:
            raise ValueError("times must have one value per row.")
        order = np.argsort(t, kind="stable")
        arr, labels = arr[order], labels[order]
    return arr, labels, names


def _time_split(
    arr: npt.NDArray[np.float64], labels: npt.NDArray[np.int64], valid_fraction: float
) -> tuple[
    npt.NDArray[np.float64], npt.NDArray[np.int64], npt.NDArray[np.float64], npt.NDArray[np.int64]
]:
    """Return ``(X_fit, y_fit, X_val, y_val)``: the latest ``valid_fraction`` of rows validate.

    Raises ValueError unless the fitting part has both classes and the validation part a fraud.
    """
    n = labels.size
    n_valid = max(1, round(n * valid_fraction))
    n_fit = n - n_valid
    X_fit, y_fit, X_val, y_val = arr[:n_fit], labels[:n_fit], arr[n_fit:], labels[n_fit:]
    if n_fit < 2 or y_fit.min() == y_fit.max():
        raise ValueError("the fitting split needs both fraud and legitimate rows.")
    if not y_val.any():
        raise ValueError(
            "the validation split (latest rows) has no fraud; give more data or a larger "
            "valid_fraction."
        )
    return X_fit, y_fit, X_val, y_val


def _lgb_params(params: Mapping[str, Any] | None, *, seed: int, n_jobs: int) -> dict[str, Any]:
    """LightGBM's parameters: ``DEFAULT_PARAMS``, the caller's, then seed and threads."""
    return {
        **DEFAULT_PARAMS,
        **(params or {}),
        "seed": seed,
        "deterministic": True,
        "num_threads": n_jobs,
        "verbosity": -1,
    }


def _early_stopped(
    full_params: dict[str, Any],
    names: tuple[str, ...],
    split: tuple[
        npt.NDArray[np.float64],
        npt.NDArray[np.int64],
        npt.NDArray[np.float64],
        npt.NDArray[np.int64],
    ],
    num_boost_round: int,
    early_stopping_rounds: int,
) -> tuple[lgb.Booster, int]:
    """Boost on the fitting rows, stopping when the validation rows stop improving; return
    the booster and its best number of trees."""
    X_fit, y_fit, X_val, y_val = split
    d_fit = lgb.Dataset(X_fit, y_fit, feature_name=list(names), free_raw_data=True)
    d_val = lgb.Dataset(X_val, y_val, reference=d_fit)
    booster = lgb.train(
        full_params,
        d_fit,
        num_boost_round=num_boost_round,
        valid_sets=[d_val],
        callbacks=[lgb.early_stopping(early_stopping_rounds, verbose=False)],
    )
    return booster, int(booster.best_iteration) or num_boost_round


def _trimmed(booster: lgb.Booster, best: int) -> lgb.Booster:
    """The booster cut to its ``best`` trees, without its training data."""
    booster.free_dataset()
    return lgb.Booster(model_str=booster.model_to_string(num_iteration=best))


def train(
    X: npt.ArrayLike,
    y: npt.ArrayLike,
    *,
    seed: int,
    feature_names: Sequence[str],
    times: npt.ArrayLike | None = None,
    valid_fraction: float = 0.25,
    target_precision: float = 0.9,
    target_recall: float = 0.9,
    num_boost_round: int = 500,
    early_stopping_rounds: int = 50,
    params: Mapping[str, Any] | None = None,
    n_jobs: int = 1,
    refit: bool = False,
    data_period: tuple[str, str] | None = None,
) -> FraudModel:
    """Return a ``FraudModel`` trained on rows ``X`` with 0/1 labels ``y`` (1 = fraud).

    Rows are assumed in time order unless ``times`` is given (then they are sorted by it);
    the last ``valid_fraction`` of rows is the validation split (early stopping,
    thresholds, card metrics).  ``params`` override ``DEFAULT_PARAMS``; ``data_period`` is
    copied into the model card.

    Raises:
        ValueError: on shape mismatches, duplicate or missing feature names, labels other
            than 0/1, ``valid_fraction`` outside (0, 0.9), a split without both classes in
            the fitting part or without a fraud in the validation part.
    """
    arr, labels, names = _checked_rows(
        X,
        y,
        feature_names,
        times,
        valid_fraction=valid_fraction,
        num_boost_round=num_boost_round,
        early_stopping_rounds=early_stopping_rounds,
        n_jobs=n_jobs,
    )
    n = labels.size
    X_fit, y_fit, X_val, y_val = _time_split(arr, labels, valid_fraction)
    n_fit = y_fit.size
    n_valid = n - n_fit
    full_params = _lgb_params(params, seed=seed, n_jobs=n_jobs)
    started = time.perf_counter()
    booster, best = _early_stopped(
        full_params, names, (X_fit, y_fit, X_val, y_val), num_boost_round, early_stopping_rounds
    )
    p_val = np.asarray(booster.predict(X_val, num_iteration=best), dtype=np.float64)
    thresholds = choose_thresholds(
        y_val, p_val, target_precision=target_precision, target_recall=target_recall
    )
    metrics = _metrics(y_val, p_val)
    if refit:
        d_all = lgb.Dataset(arr, labels, feature_name=list(names))
        booster = lgb.train(full_params, d_all, num_boost_round=best)
    else:
        booster = _trimmed(booster, best)
    card: dict[str, Any] = {
        "model": "lightgbm.gbdt",
        "lightgbm_version": lgb.__version__,
        "data_period": list(data_period) if data_period else None,
        "n_samples": int(n),
        "n_fraud": int(labels.sum()),
        "n_fit": int(n_fit),
        "n_validation": int(n_valid),
        "n_validation_fraud": int(y_val.sum()),
        "validation": "latest rows (time-ordered)",
        "roc_auc": metrics["roc_auc"],
        "pr_auc": metrics["pr_auc"],
        "thresholds": {"review": thresholds.review, "reject": thresholds.reject},
        "targets": {"precision": target_precision, "recall": target_recall},
        "num_trees": best,
        "refit_on_all_rows": refit,
        "seed": seed,
        "params": {k: v for k, v in full_params.items() if k != "num_threads"},
        "feature_names": list(names),
        "train_seconds": round(time.perf_counter() - started, 3),
    }
    return FraudModel(booster, names, thresholds, card)


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
