"""Offline FAQ assistant: find the knowledge-base entry that answers a customer's question.

``FaqIndex.build(entries)`` indexes :class:`FaqEntry` question/answer pairs (French and
English; each entry may carry alternate wordings of its question); ``index.answer(question)``
returns an :class:`Answer` with the best entry, its score in [0, 1] and ``confident`` (score at
or above the index threshold; below it the service hands over to a human agent).

Retrieval is lexical and runs anywhere: questions are normalised (accents, case, numbers),
expanded with a small bilingual thesaurus ("colis" / "parcel" -> "order", "remboursé" ->
"refund"...), and compared by the cosine of word (1-2) and character (2-5) TF-IDF vectors,
averaged; an entry scores as its best-matching wording, blended (weight ``answer_weight``,
0.3 by default) with the word cosine of its answer text (stop words removed), which brings in
vocabulary the question lacks.  Entries in the question's language
(:func:`detect_language`) are preferred.  An optional :class:`~maillon.care.intents.
SentenceEncoder` (e.g. MiniLM) adds a third, semantic cosine to the average.

Questions about one's *own* order ("where is my order?", "où est mon colis ?") cannot be
answered from the FAQ: :func:`live_intent` detects them, and ``Answer.live_intent`` is then
``"track_order"`` so the service answers from live tracking data instead.

Pure: stdlib, numpy, scikit-learn.  The shipped knowledge base is ``faq_kb.json`` beside
this module (:func:`load_kb`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfVectorizer

from maillon.care.intents import IntentModel, SentenceEncoder, normalise

__all__ = [
    "DEFAULT_THRESHOLD",
    "LANGUAGES",
    "LIVE_TRACK_ORDER",
    "Answer",
    "FaqEntry",
    "FaqIndex",
    "detect_language",
    "live_intent",
    "load_kb",
    "prepare",
]

DEFAULT_THRESHOLD = 0.3
"""Score under which ``Answer.confident`` is False (hand the question over)."""

LANGUAGES = ("en", "fr")
"""Languages an entry may be written in."""

LIVE_TRACK_ORDER = "track_order"
"""``Answer.live_intent`` for questions about the customer's own order (live data needed)."""


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_FR_WORDS = _words(
    "le la les un une des du de en fois mon ma mes ton ta vos votre est et ou pas je j vous "
    "nous il elle ce cette que qui quoi quand comment pourquoi combien puis peux avec pour sur "
    "dans commande colis livraison remboursement retour paiement compte"
)
_EN_WORDS = _words(
    "the a an my your is are and or not i you we it this that what when how why can could "
    "with for on in to of do does order parcel delivery refund return payment account"
)

_DOMAIN_WORDS = _words("commande colis livraison remboursement retour paiement compte")
_STOP_WORDS = sorted(ENGLISH_STOP_WORDS | (_FR_WORDS - _DOMAIN_WORDS))
"""Removed from answer texts only (questions keep every word)."""

# Bilingual thesaurus on normalised text: matches append canonical (English) words, so French
# and English wordings of one idea share features.  Original words are kept.
_THESAURUS_SOURCE: tuple[tuple[str, str], ...] = (
    (r"colis|paquets?|parcels?|packages?|shipments?|envois?|achats?|purchases?", "order"),
    (r"commandes?|commander|orders?|ordered", "order"),
    (r"rembours\w*|refunds?|reimburs\w*|money back|argent", "refund"),
    (r"retour\w*|renvo\w*|send (?:it |\w+ )?back|returns?|returning", "return"),
    (r"echang\w*|exchang\w*|swap\w*", "exchange"),
    (r"livr\w*|deliver\w*|shipping|expedi\w*|ship|ships|envoi", "delivery"),
    (r"frais de port|shipping costs?|postage|delivery fees?|frais", "fee cost"),
    (r"gratuit\w*|free", "free"),
    (r"annul\w*|cancel\w*|call off", "cancel"),
    (r"modifi\w*|chang\w*|amend\w*|edit\w*", "change"),
    (r"adresse|address", "address"),
    (r"paie\w*|paye\w*|pay|payment|payer|carte|card", "payment"),
    (r"refus\w*|declin\w*|echou\w*|fail\w*|rejected", "declined"),
    (r"factur\w*|invoices?|receipts?|bills?|justificatif", "invoice"),
    (r"suivi|suivre|track\w*|follow", "track"),
    (r"retard\w*|late|delay\w*|toujours pas|not (?:yet )?(?:arrived|received)", "late"),
    (r"cass\w*|endommag\w*|abim\w*|ecras\w*|damag\w*|broken|crushed|defect\w*", "damaged"),
    (r"mauvais|wrong|erreur|different", "wrong"),
    (r"etranger|international\w*|abroad|pays|countr\w*|outside", "international"),
    (r"delais?|combien de temps|how long|quand|when", "time"),
    (r"contact\w*|joindre|telephone|phone|appeler|call|conseiller|agent|person", "contact"),
    (r"compte|account|inscri\w*|sign up|register", "account"),
    (r"mot de passe|password|connecter|log ?in", "password"),
    (r"cadeau|gift", "gift"),
    (r"garantie|guarantee|warranty|panne|stopped working", "warranty"),
    (r"securi\w*|secure|safe|protege\w*", "secure"),
    (r"point relais|relay|pick ?up point|retrait|collect", "relay"),
)
_THESAURUS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(rf"\b(?:{pattern})\b"), words) for pattern, words in _THESAURUS_SOURCE
)

# Questions about the customer's own order: answered from live tracking data, not the FAQ.
_LIVE_PATTERNS: tuple[re.Pattern[str], ...] = tuple(
    re.compile(p)
    for p in (
        r"\bwhere (?:is|s|are) (?:my|our|the) (?:\w+ )?(?:order|parcel|package|delivery|"
        r"shipment|stuff|item)s?\b",
        r"\b(?:status|whereabouts) of (?:my|our) (?:\w+ )?(?:order|parcel|package|shipment)",
        r"\b(?:my|our) (?:order|parcel|package|delivery|shipment) (?:has not|hasn t|did not|"
        r"didn t|is not|never|still (?:has not|hasn t|not)) ?(?:arrived|come|shown up|"
        r"been delivered|here|yet)",
        r"\bwhen (?:will|is|does) (?:my|our) (?:order|parcel|package|delivery|shipment)\b",
        r"\btrack(?:ing)? (?:my|our) (?:\w+ )?(?:order|parcel|package|shipment)\b",
        r"\bhas my (?:order|parcel|package|shipment) (?:been )?(?:shipped|sent|left|dispatched)",
        r"\bou (?:est|en est|sont) (?:ma|mon|mes|notre) (?:\w+ )?(?:commande|colis|"
        r"livraison|paquet|achat)s?\b",
        r"\b(?:suivre|suivi de|statut de|etat de) (?:ma|mon|mes) (?:\w+ )?(?:commande|colis|"
        r"livraison|paquet)s?\b",
        r"\b(?:ma|mon) (?:commande|colis|livraison|paquet) (?:n est|n a) (?:toujours |"
        r"pas encore |toujours pas )?(?:pas )?(?:arrive|livre|recu|expedie)e?",
        r"\bquand (?:vais je|est ce que je vais|vais je) (?:recevoir|etre livre)",
        r"\bje n ai (?:toujours )?pas (?:encore )?recu (?:ma|mon|mes) "
        r"(?:commande|colis|paquet)",
    )
)


# ... unless the question is hypothetical ("when will my parcel arrive if I order today?").
_NOT_LIVE = re.compile(r"\b(?:if i (?:order|buy|purchase)|si je (?:commande|passe|achete))\b")


def prepare(text: str) -> str:
    """Return ``text`` normalised (as :func:`maillon.care.intents.normalise`) and expanded.

    Apostrophes split words ("l'adresse" -> "l adresse"); thesaurus words are appended.
    Raises ``TypeError`` if ``text`` is not a string.
    """
    base = normalise(text)
    extra = [words for pattern, words in _THESAURUS if pattern.search(base)]
    return " ".join([base, *extra]) if extra else base


def detect_language(text: str) -> str:
    """Return ``"fr"`` or ``"en"``: which function-word list the text shares more words with.

    Ties (including no known word) return ``"en"``.  Raises ``TypeError`` for a non-string.
    """
    words = normalise(text).split()
    fr = sum(w in _FR_WORDS for w in words)
    en = sum(w in _EN_WORDS for w in words)
    if re.search(r"[éèêàçùôîœ]", text.lower()):
        fr += 1
    return "fr" if fr > en else "en"


def live_intent(text: str, intent_model: IntentModel | None = None) -> str | None:
    """Return ``LIVE_TRACK_ORDER`` if ``text`` asks about the customer's own order, else None.

    Bilingual patterns ("where is my order", "où est mon colis", "ma commande n'est pas
    arrivée"...) decide first; hypothetical questions ("... if I order today?") are not live;
    an optional ``intent_model`` adds its own confident ``track_order`` predictions.
    Raises ``TypeError`` if ``text`` is not a string.
    """
    base = normalise(text)
    if _NOT_LIVE.search(base):
        return None
    if any(p.search(base) for p in _LIVE_PATTERNS):
        return LIVE_TRACK_ORDER
    if intent_model is not None:
        [prediction] = intent_model.predict([text])
        if prediction.intent == LIVE_TRACK_ORDER and prediction.confidence >= (
            intent_model.threshold
        ):
            return LIVE_TRACK_ORDER
    return None


@dataclass(frozen=True, slots=True)
class FaqEntry:
    """One knowledge-base entry: id, language, question, answer, alternate wordings, topic and
    the intent it serves (:class:`maillon.care.model.Intent`, ``""`` when none).

    The constructor raises ``ValueError`` for an empty id, question or answer, or a language
    not in ``LANGUAGES``.
    """

    id: str
    question: str
    answer: str
    lang: str = "en"
    alternates: tuple[str, ...] = ()
    topic: str = ""
    intent: str = ""

    def __post_init__(self) -> None:
        for name in ("id", "question", "answer"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value.strip():
                raise ValueError(f"FaqEntry.{name} must be a non-empty string.")
        if self.lang not in LANGUAGES:
            raise ValueError(f"FaqEntry.lang must be one of {LANGUAGES}, got {self.lang!r}.")
        if any(not isinstance(a, str) or not a.strip() for a in self.alternates):
            raise ValueError(f"FaqEntry {self.id!r} has an empty alternate question.")

    @property
    def wordings(self) -> tuple[str, ...]:
        """Return the question followed by its alternates."""
        return (self.question, *self.alternates)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FaqEntry:
        """Return the entry described by ``data`` (keys as the fields; ``alternates`` a list).

        Raises ``ValueError`` if a required key is missing or a value is invalid.
        """
        try:
            return cls(
                id=str(data["id"]),
                question=str(data["question"]),
                answer=str(data["answer"]),
                lang=str(data.get("lang", "en")),
                alternates=tuple(str(a) for a in data.get("alternates", ())),
                topic=str(data.get("topic", "")),
                intent=str(data.get("intent", "")),
            )
        except KeyError as exc:
            raise ValueError(f"FAQ entry is missing the key {exc.args[0]!r}.") from exc


@dataclass(frozen=True, slots=True)
class Answer:
    """The best entry for a question (``None`` if the index is empty), its score and verdict.

    ``score`` is a cosine similarity in [0, 1]; ``confident`` is ``score >= threshold``;
    ``live_intent`` is ``LIVE_TRACK_ORDER`` when the question needs live order data.
    """

    entry: FaqEntry | None
    score: float
    confident: bool
    live_intent: str | None = None


def load_kb(path: str | Path | None = None) -> list[FaqEntry]:
    """Return the entries of a knowledge-base JSON file (default: the shipped ``faq_kb.json``).

    The file holds ``{"entries": [{"id", "lang", "question", "answer", "alternates",
    "topic"}, ...]}``.  Raises ``FileNotFoundError`` if it is missing, ``ValueError`` if it is
    malformed or two entries share an id.
    """
    if path is None:
        text = resources.files("maillon.care").joinpath("faq_kb.json").read_text("utf-8")
    else:
        text = Path(path).read_text(encoding="utf-8")
    data = json.loads(text)
    if not isinstance(data, dict) or not isinstance(data.get("entries"), list):
        raise ValueError("a knowledge base is a JSON object with an 'entries' list.")
    entries = [FaqEntry.from_dict(item) for item in data["entries"]]
    ids = [e.id for e in entries]
    if len(set(ids)) != len(ids):
        raise ValueError("knowledge-base entry ids must be unique.")
    return entries


def _l2(matrix: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return np.asarray(matrix / np.where(norms == 0.0, 1.0, norms), dtype=np.float64)


@dataclass(slots=True)
class FaqIndex:
    """A searchable knowledge base.  Build it with :meth:`build`, query it with :meth:`answer`.

    Holds the entries, one row per wording (``owners[row]`` is the entry index), the fitted
    vectorisers and their matrices.  Direct construction is for :meth:`build` only.
    """

    entries: tuple[FaqEntry, ...]
    owners: npt.NDArray[np.int64]
    word: TfidfVectorizer
    char: TfidfVectorizer
    word_matrix: Any
    char_matrix: Any
    answer_vectoriser: TfidfVectorizer
    answer_matrix: Any
    threshold: float = DEFAULT_THRESHOLD
    answer_weight: float = 0.3
    prefer_language: bool = True
    encoder: SentenceEncoder | None = field(default=None, repr=False)
    dense_matrix: npt.NDArray[np.float64] | None = field(default=None, repr=False)
    intent_model: IntentModel | None = field(default=None, repr=False)

    @classmethod
    def build(
        cls,
        entries: Iterable[FaqEntry],
        *,
        threshold: float = DEFAULT_THRESHOLD,
        answer_weight: float = 0.3,
        prefer_language: bool = True,
        encoder: SentenceEncoder | None = None,
        intent_model: IntentModel | None = None,
    ) -> FaqIndex:
        """Return an index over ``entries`` (every wording of every entry).

        ``threshold`` sets ``Answer.confident``; ``answer_weight`` is the share of the answer
        text's cosine in the score (0 ignores answers); ``prefer_language`` restricts the search to
        entries in the question's language when there are any; ``encoder`` adds a semantic
        cosine; ``intent_model`` helps :func:`live_intent`.  Raises ``ValueError`` if there are
        no entries, ids repeat, or the threshold or answer weight is outside [0, 1].
        """
        items = tuple(entries)
        if not items:
            raise ValueError("a FAQ index needs at least one entry.")
        if len({e.id for e in items}) != len(items):
            raise ValueError("FAQ entry ids must be unique.")
        if not 0.0 <= threshold <= 1.0:
            raise ValueError(f"threshold must be in [0, 1], got {threshold}.")
        if not 0.0 <= answer_weight <= 1.0:
            raise ValueError(f"answer_weight must be in [0, 1], got {answer_weight}.")
        texts: list[str] = []
        owners: list[int] = []
        for position, entry in enumerate(items):
            for wording in entry.wordings:
                texts.append(prepare(wording))
                owners.append(position)
        word = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, token_pattern=r"(?u)\b\w+\b")
        char = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True)
        word_matrix = word.fit_transform(texts)
        char_matrix = char.fit_transform(texts)
        answers = TfidfVectorizer(sublinear_tf=True, stop_words=_STOP_WORDS)
        answer_matrix = answers.fit_transform([prepare(e.answer) for e in items])
        dense = None
        if encoder is not None:
            raw = [w for e in items for w in e.wordings]
            dense = _l2(np.asarray(encoder.encode([normalise(t) for t in raw]), dtype=np.float64))
        return cls(
            entries=items,
            owners=np.asarray(owners, dtype=np.int64),
            word=word,
            char=char,
            word_matrix=word_matrix,
            char_matrix=char_matrix,
            answer_vectoriser=answers,
            answer_matrix=answer_matrix,
            threshold=threshold,
            answer_weight=answer_weight,
            prefer_language=prefer_language,
            encoder=encoder,
            dense_matrix=dense,
            intent_model=intent_model,
        )

    def scores(self, question: str) -> npt.NDArray[np.float64]:
        """Return one score in [0, 1] per entry (its best wording) for ``question``.

        Raises ``TypeError`` if ``question`` is not a string.
        """
        text = prepare(question)
        word = (self.word_matrix @ self.word.transform([text]).T).toarray().ravel()
        char = (self.char_matrix @ self.char.transform([text]).T).toarray().ravel()
        parts = [word, char]
        if self.encoder is not None and self.dense_matrix is not None:
            query = _l2(np.asarray(self.encoder.encode([normalise(question)]), dtype=np.float64))
            parts.append(np.clip(self.dense_matrix @ query[0], 0.0, 1.0))
        per_wording = np.mean(parts, axis=0)
        best = np.zeros(len(self.entries), dtype=np.float64)
        np.maximum.at(best, self.owners, per_wording)
        if self.answer_weight > 0.0:
            query = self.answer_vectoriser.transform([text]).T
            answer = (self.answer_matrix @ query).toarray().ravel()
            best = (1.0 - self.answer_weight) * best + self.answer_weight * answer
        return np.clip(best, 0.0, 1.0)

    def search(
        self, question: str, k: int = 3, *, intent: str | None = None
    ) -> list[tuple[FaqEntry, float]]:
        """Return the ``k`` best ``(entry, score)`` pairs, best first (language preference on).

        With ``intent`` (the question's, from the classifier), entries serving another intent
        score half when some entry serves it. Raises ``ValueError`` if ``k < 1`` and
        ``TypeError`` for a non-string question.
        """
        if k < 1:
            raise ValueError(f"k must be >= 1, got {k}.")
        scores = self.scores(question)
        if intent:
            serves = np.array([e.intent == intent for e in self.entries])
            if serves.any():
                scores = np.where(serves, scores, scores * 0.5)
        if self.prefer_language:
            lang = detect_language(question)
            same = np.array([e.lang == lang for e in self.entries])
            if same.any():
                scores = np.where(same, scores, scores * 0.5)
        order = np.argsort(-scores, kind="stable")[:k]
        return [(self.entries[int(i)], float(scores[int(i)])) for i in order]

    def answer(self, question: str, *, intent: str | None = None) -> Answer:
        """Return the best entry for ``question`` with its score and confidence verdict.

        ``Answer.live_intent`` flags questions about the customer's own order; ``intent``
        prefers the entries serving it (:meth:`search`).  Raises ``TypeError`` if
        ``question`` is not a string.
        """
        if not isinstance(question, str):
            raise TypeError(f"question must be a str, got {type(question).__name__}.")
        live = live_intent(question, self.intent_model)
        if not normalise(question):
            return Answer(None, 0.0, False, live)
        [(entry, score)] = self.search(question, k=1, intent=intent)
        return Answer(entry, score, score >= self.threshold, live)

    def answer_many(self, questions: Sequence[str]) -> list[Answer]:
        """Return ``answer(q)`` for each question, in order.  Raises as :meth:`answer`."""
        return [self.answer(q) for q in questions]
