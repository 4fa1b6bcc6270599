"""The e-commerce intent classifier as shipped, and the protocol that chose it (pure).

The classifier reads a customer message (French or English) and returns one of
:class:`maillon.care.model.Intent`; when unsure it returns ``other``, which the desk routes to
the human triage queue, never to a specialised one.

* **Model**: word (1-2) and character (2-5, within words) TF-IDF of the normalised text
  (:func:`maillon.care.intents.normalise`: accents stripped, lower case, numbers as ``num``),
  optionally with the English thesaurus words appended (:func:`maillon.care.intents.expand`),
  and a linear SVM whose scores are calibrated into probabilities (Platt scaling,
  ``CalibratedClassifierCV`` with 3 internal folds). Classes are balanced. Training on the
  shipped data takes about two seconds, so the model is trained at first use in a process from
  the shipped text (:func:`load_training`, :func:`shipped_config`): no pickle to go stale, no
  download.
* **Routing**: the most probable intent when its probability reaches ``threshold``, else
  ``other``.
* **Protocol** (:func:`select`): every choice (C, the thesaurus, whether the secondary rows
  such as Bitext's are added, the threshold) is made by stratified k-fold validation on the
  *primary* rows of the training data only; secondary rows are only ever added to a fold's
  training part, so validation is on our own written messages. The threshold minimises, on the
  out-of-fold predictions of the chosen configuration, ``wrong_cost`` x (messages routed to a
  wrong specialised queue) + (messages handed to a human): a wrong queue costs three triages by
  default. The chosen configuration is written to ``data/intents_config.json`` with its
  validation table (``python bench/intents.py --select``).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from importlib import resources
from typing import Any

import joblib
import numpy as np
import numpy.typing as npt
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.svm import LinearSVC

from maillon.care.intents import Prediction, expand, normalise
from maillon.care.model import INTENTS, Intent

__all__ = [
    "GRID",
    "PRIMARY",
    "Choice",
    "IntentClassifier",
    "Selection",
    "TrainingSet",
    "choose_threshold",
    "fit",
    "load_training",
    "metrics",
    "select",
    "shipped_config",
]

PRIMARY = "maillon"
"""``source`` of the rows written for Maillon (validation folds are made of these only)."""

OTHER = Intent.OTHER.value
_FORMAT = 2


@dataclass(frozen=True, slots=True)
class Choice:
    """One configuration of the classifier.

    ``c`` is the SVM's inverse regularisation; ``thesaurus`` appends the thesaurus words;
    ``extra_sources`` adds the secondary rows (Bitext's) to the training rows; ``threshold``
    is the probability under which a message goes to ``other``. Raises ``ValueError`` for
    ``c <= 0`` or a threshold outside [0, 1].
    """

    c: float = 0.3
    thesaurus: bool = False
    extra_sources: bool = True
    threshold: float = 0.4

    def __post_init__(self) -> None:
        if not self.c > 0:
            raise ValueError(f"c must be > 0, got {self.c}.")
        if not 0.0 <= self.threshold <= 1.0:
            raise ValueError(f"threshold must be in [0, 1], got {self.threshold}.")


GRID: tuple[Choice, ...] = tuple(
    Choice(c=c, thesaurus=t, extra_sources=e)
    for c in (0.1, 0.3, 1.0, 3.0)
    for t in (False, True)
    for e in (False, True)
)
"""The configurations :func:`select` compares (the threshold is chosen afterwards)."""

THRESHOLDS: tuple[float, ...] = tuple(round(0.1 + 0.05 * k, 2) for k in range(15))
"""Thresholds :func:`choose_threshold` considers (0.10 to 0.80)."""


@dataclass(frozen=True, slots=True)
class TrainingSet:
    """Texts, intents, languages and sources, one per row (same lengths).

    Raises ``ValueError`` if the lengths differ or a label is not an intent.
    """

    texts: tuple[str, ...]
    labels: tuple[str, ...]
    langs: tuple[str, ...]
    sources: tuple[str, ...]

    def __post_init__(self) -> None:
        n = len(self.texts)
        if not len(self.labels) == len(self.langs) == len(self.sources) == n:
            raise ValueError("texts, labels, langs and sources must have the same length.")
        unknown = sorted(set(self.labels) - set(INTENTS))
        if unknown:
            raise ValueError(f"unknown intents {unknown}; use {', '.join(INTENTS)}.")

    @classmethod
    def from_csv(cls, text: str, *, text_column: str = "utterance") -> TrainingSet:
        """Return the rows of a CSV with ``utterance``, ``intent`` and optional ``lang`` and
        ``source`` columns (missing: ``""`` and ``maillon``). Raises ``ValueError`` as the
        constructor, or for a missing column."""
        reader = csv.DictReader(io.StringIO(text))
        fields = reader.fieldnames or []
        for name in (text_column, "intent"):
            if name not in fields:
                raise ValueError(f"the CSV has no {name!r} column.")
        rows = list(reader)
        return cls(
            texts=tuple(r[text_column] for r in rows),
            labels=tuple(r["intent"].strip() for r in rows),
            langs=tuple(r.get("lang") or "" for r in rows),
            sources=tuple(r.get("source") or PRIMARY for r in rows),
        )

    def subset(self, rows: Sequence[int]) -> TrainingSet:
        """Return the rows at ``rows``, in that order."""
        return TrainingSet(
            texts=tuple(self.texts[i] for i in rows),
            labels=tuple(self.labels[i] for i in rows),
            langs=tuple(self.langs[i] for i in rows),
            sources=tuple(self.sources[i] for i in rows),
        )

    def __add__(self, other: TrainingSet) -> TrainingSet:
        return TrainingSet(
            self.texts + other.texts,
            self.labels + other.labels,
            self.langs + other.langs,
            self.sources + other.sources,
        )


def load_training() -> TrainingSet:
    """Return the shipped training rows (``data/intents_train.csv``, see its README)."""
    path = resources.files("maillon.care").joinpath("data/intents_train.csv")
    return TrainingSet.from_csv(path.read_text("utf-8"))


def shipped_config() -> Choice:
    """Return the configuration chosen by the protocol (``data/intents_config.json``)."""
    path = resources.files("maillon.care").joinpath("data/intents_config.json")
    return Choice(**json.loads(path.read_text("utf-8"))["choice"])


@dataclass(slots=True)
class IntentClassifier:
    """A fitted classifier: the pipeline (features + calibrated SVM) and its choice."""

    pipeline: Pipeline
    choice: Choice
    intents: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        self.intents = tuple(str(c) for c in self.pipeline.classes_)

    @property
    def threshold(self) -> float:
        """Return the probability under which a message is routed to ``other``."""
        return self.choice.threshold

    def prepare(self, text: str) -> str:
        """Return ``text`` as the features read it."""
        return expand(text) if self.choice.thesaurus else normalise(text)

    def predict_proba(self, texts: Sequence[str]) -> npt.NDArray[np.float64]:
        """Return an (n, n_intents) array of probabilities, columns as ``intents``.

        Raises ``TypeError`` for a bare string or a non-string item."""
        if isinstance(texts, str):
            raise TypeError("texts must be a sequence of strings, not a single string.")
        if not texts:
            return np.zeros((0, len(self.intents)), dtype=np.float64)
        proba = self.pipeline.predict_proba([self.prepare(t) for t in texts])
        return np.asarray(proba, dtype=np.float64)

    def predict(self, texts: Sequence[str]) -> list[Prediction]:
        """Return the most probable intent of each text and its probability."""
        proba = self.predict_proba(texts)
        return [
            Prediction(self.intents[int(k)], float(min(1.0, max(0.0, row[k]))))
            for row, k in zip(proba, proba.argmax(axis=1), strict=True)
        ]

    def route(self, texts: Sequence[str]) -> list[str]:
        """Return each text's intent, or ``other`` below the threshold."""
        return [routed(p, self.threshold) for p in self.predict(texts)]

    def to_bytes(self) -> bytes:
        """Return the classifier as joblib bytes (load only what Maillon wrote)."""
        buffer = io.BytesIO()
        joblib.dump(
            {"format": _FORMAT, "pipeline": self.pipeline, "choice": asdict(self.choice)},
            buffer,
            compress=3,
        )
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> IntentClassifier:
        """Return the classifier :meth:`to_bytes` wrote. Raises ``ValueError`` for anything
        else (a model of the former format included)."""
        payload: Any = joblib.load(io.BytesIO(data))
        if not isinstance(payload, dict) or payload.get("format") != _FORMAT:
            raise ValueError("not an intent classifier written by IntentClassifier.to_bytes.")
        return cls(pipeline=payload["pipeline"], choice=Choice(**payload["choice"]))


def routed(prediction: Prediction, threshold: float) -> str:
    """Return the prediction's intent, or ``other`` when its probability is under
    ``threshold``."""
    return prediction.intent if prediction.confidence >= threshold else OTHER


def _pipeline(choice: Choice, seed: int) -> Pipeline:
    features = FeatureUnion(
        [
            (
                "word",
                TfidfVectorizer(
                    ngram_range=(1, 2), sublinear_tf=True, token_pattern=r"(?u)\b\w+\b"
                ),
            ),
            ("char", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True)),
        ]
    )
    svm = LinearSVC(C=choice.c, class_weight="balanced", random_state=seed)
    calibrated = CalibratedClassifierCV(svm, method="sigmoid", cv=3)
    return Pipeline([("features", features), ("clf", calibrated)])


def fit(data: TrainingSet, choice: Choice, *, seed: int = 0) -> IntentClassifier:
    """Return the classifier of ``choice`` trained on ``data`` (secondary rows only when
    ``choice.extra_sources``). Deterministic for a seed. Raises ``ValueError`` with fewer than
    two intents or fewer than 3 rows of an intent (the calibration's folds)."""
    keep = [i for i, s in enumerate(data.sources) if choice.extra_sources or s == PRIMARY]
    rows = data.subset(keep)
    counts = {y: rows.labels.count(y) for y in set(rows.labels)}
    if len(counts) < 2:
        raise ValueError("the training data needs at least two intents.")
    thin = sorted(y for y, n in counts.items() if n < 3)
    if thin:
        raise ValueError(f"intents with fewer than 3 training rows: {', '.join(thin)}.")
    pipeline = _pipeline(choice, seed)
    texts = [expand(t) if choice.thesaurus else normalise(t) for t in rows.texts]
    pipeline.fit(texts, list(rows.labels))
    return IntentClassifier(pipeline=pipeline, choice=choice)


def metrics(truth: Sequence[str], predicted: Sequence[str]) -> dict[str, float]:
    """Return ``accuracy``, ``macro_f1`` and ``human_rate`` (share routed to ``other``)."""
    n = max(1, len(truth))
    return {
        "accuracy": round(float(accuracy_score(truth, predicted)), 4),
        "macro_f1": round(float(f1_score(truth, predicted, average="macro", zero_division=0)), 4),
        "human_rate": round(sum(p == OTHER for p in predicted) / n, 4),
    }


def choose_threshold(
    predictions: Sequence[Prediction], truth: Sequence[str], *, wrong_cost: float = 3.0
) -> float:
    """Return the threshold of :data:`THRESHOLDS` with the lowest cost on these predictions:
    ``wrong_cost`` per message sent to a wrong specialised queue, 1 per message handed to a
    human although a specialised queue was right (ties: the lowest threshold)."""

    def cost(threshold: float) -> float:
        total = 0.0
        for prediction, label in zip(predictions, truth, strict=True):
            intent = routed(prediction, threshold)
            if intent == label:
                continue
            total += 1.0 if intent == OTHER else wrong_cost
        return total

    return min(THRESHOLDS, key=lambda t: (cost(t), t))


@dataclass(frozen=True, slots=True)
class Selection:
    """What :func:`select` chose and the validation table it chose on."""

    choice: Choice
    validation: dict[str, float]
    table: tuple[dict[str, Any], ...]
    folds: int


def _out_of_fold(
    data: TrainingSet, choice: Choice, folds: list[tuple[list[int], list[int]]], seed: int
) -> tuple[list[int], list[Prediction]]:
    """Predictions on each validation fold of a model trained on the rest (+ secondary rows)."""
    secondary = [i for i, s in enumerate(data.sources) if s != PRIMARY]
    rows: list[int] = []
    predictions: list[Prediction] = []
    for train_rows, test_rows in folds:
        model = fit(data.subset(train_rows + secondary), choice, seed=seed)
        predictions += model.predict([data.texts[i] for i in test_rows])
        rows += test_rows
    return rows, predictions


def select(
    data: TrainingSet,
    *,
    grid: Sequence[Choice] = GRID,
    folds: int = 5,
    seed: int = 0,
    wrong_cost: float = 3.0,
) -> Selection:
    """Choose the configuration by stratified ``folds``-fold validation on the primary rows.

    Each candidate is scored by the macro-F1 of its routed out-of-fold predictions at its own
    best threshold; the best candidate (ties: the first of ``grid``) keeps that threshold.
    Candidates adding secondary rows are skipped when ``data`` has none. Raises ``ValueError``
    when an intent has fewer primary rows than ``folds``.
    """
    primary = [i for i, s in enumerate(data.sources) if s == PRIMARY]
    has_secondary = len(primary) < len(data.texts)
    labels = [data.labels[i] for i in primary]
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    split = [
        ([primary[i] for i in tr], [primary[i] for i in te])
        for tr, te in splitter.split(np.zeros(len(primary)), labels)
    ]
    table: list[dict[str, Any]] = []
    best: tuple[float, Choice, dict[str, float]] | None = None
    for candidate in grid:
        if candidate.extra_sources and not has_secondary:
            continue
        rows, predictions = _out_of_fold(data, candidate, split, seed)
        truth = [data.labels[i] for i in rows]
        threshold = choose_threshold(predictions, truth, wrong_cost=wrong_cost)
        scores = metrics(truth, [routed(p, threshold) for p in predictions])
        chosen = Choice(candidate.c, candidate.thesaurus, candidate.extra_sources, threshold)
        table.append({**asdict(chosen), **scores})
        if best is None or scores["macro_f1"] > best[0]:
            best = (scores["macro_f1"], chosen, scores)
    if best is None:
        raise ValueError("no candidate configuration to validate.")
    return Selection(choice=best[1], validation=best[2], table=tuple(table), folds=folds)
