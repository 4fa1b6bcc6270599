"""Intent classification of tickets: which model is in use, and retraining it on the merchant's
own labelled tickets.

Without a retrained model, the classifier is trained at first use in each process on the
packaged Bitext sample (``intents_sample.json``, see ``INTENTS_SAMPLE.md``: version-independent
text rather than a pickle; about 4 seconds). French messages are read with the English words of
the FAQ's bilingual thesaurus appended (:func:`model_text`). ``retrain`` adds the tickets whose
intent an agent set, measures the accuracy on a held-out share of them, and stores the new model in
``care_intent_models``; every process then loads the newest row (cached by id).
"""

from __future__ import annotations

import json
import random
import tempfile
import threading
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from maillon.care import faq, intents
from maillon.care.intents import IntentModel, Prediction
from maillon.care.tables import IntentModelRecord, Ticket
from maillon.core import clock
from maillon.core.errors import Conflict

SEED = 0
MIN_MERCHANT_EXAMPLES = 5
"""Labelled tickets needed before ``retrain`` agrees to run."""

_models: dict[int, IntentModel] = {}  # record id -> model; 0 is the packaged sample
_lock = threading.Lock()


def load_sample() -> tuple[list[str], list[str]]:
    """Return the packaged training texts and intents (the Bitext sample)."""
    text = resources.files("maillon.care").joinpath("intents_sample.json").read_text("utf-8")
    rows = json.loads(text)["rows"]
    return [str(r[0]) for r in rows], [str(r[1]) for r in rows]


def sample_model() -> IntentModel:
    """Return the model trained on the packaged sample (trained once per process)."""
    with _lock:
        model = _models.get(0)
        if model is None:
            texts, labels = load_sample()
            model = intents.train(texts, labels, seed=SEED)
            _models[0] = model
        return model


def current_model(*, session: Session) -> IntentModel:
    """Return the model in use: the newest retrained one, else the packaged sample's."""
    newest = session.scalar(select(func.max(IntentModelRecord.id)))
    if newest is None:
        return sample_model()
    with _lock:
        cached = _models.get(newest)
    if cached is not None:
        return cached
    record = session.get(IntentModelRecord, newest)
    assert record is not None
    model = _from_bytes(record.model)
    with _lock:
        _models[newest] = model
    return model


def model_text(text: str) -> str:
    """Return ``text`` as the model reads it: French messages get the English words of the FAQ
    thesaurus appended ("remboursé" -> "refund"), since the training corpus is English."""
    return faq.prepare(text) if faq.detect_language(text) == "fr" else text


def classify(*, session: Session, text: str) -> Prediction:
    """Return the intent of ``text`` and its confidence (the current model)."""
    [prediction] = current_model(session=session).predict([model_text(text)])
    return prediction


def ticket_text(ticket: Ticket) -> str:
    """Return what the classifier reads of a ticket: subject and first customer message."""
    first = next((m.body for m in ticket.messages if m.kind == "customer"), "")
    return f"{ticket.subject}\n{first}".strip()


def labelled_tickets(*, session: Session) -> tuple[list[str], list[str]]:
    """Return the texts and intents of the tickets whose intent an agent set."""
    tickets = session.scalars(
        select(Ticket)
        .where(Ticket.intent_labelled.is_(True), Ticket.intent.is_not(None))
        .order_by(Ticket.id)
    ).all()
    texts = [model_text(ticket_text(t)) for t in tickets]
    return texts, [str(t.intent) for t in tickets]


@dataclass(frozen=True)
class RetrainReport:
    """What ``retrain`` did: examples used, held-out accuracy of the new and previous models."""

    model_id: int
    examples: int
    merchant_examples: int
    held_out: int
    accuracy: float | None
    previous_accuracy: float | None
    intents: tuple[str, ...]


def _accuracy(model: IntentModel, texts: Sequence[str], labels: Sequence[str]) -> float | None:
    if not texts:
        return None
    predicted = model.predict(list(texts))
    return round(sum(p.intent == y for p, y in zip(predicted, labels, strict=True)) / len(texts), 4)


def _split(texts: list[str], labels: list[str], share: float) -> tuple[list[int], list[int]]:
    """Indices (train, test): ``share`` of each intent with 2+ examples held out, seeded."""
    rng = random.Random(SEED)
    by_label: dict[str, list[int]] = {}
    for i, label in enumerate(labels):
        by_label.setdefault(label, []).append(i)
    train: list[int] = []
    test: list[int] = []
    for label in sorted(by_label):
        rows = by_label[label]
        rng.shuffle(rows)
        k = int(len(rows) * share) if len(rows) >= 2 else 0
        test += rows[:k]
        train += rows[k:]
    return sorted(train), sorted(test)


def _to_bytes(model: IntentModel) -> bytes:
    with tempfile.TemporaryDirectory() as folder:
        path = model.save(Path(folder) / "model.joblib")
        return path.read_bytes()


def _from_bytes(data: bytes) -> IntentModel:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "model.joblib"
        path.write_bytes(data)
        return IntentModel.load(path)


def retrain(*, session: Session, actor: str, holdout: float = 0.2) -> RetrainReport:
    """Retrain on the packaged sample plus the merchant's labelled tickets and store the model.

    The accuracy is measured on ``holdout`` of the labelled tickets (per intent), for the new
    model trained without them and for the model in use before. The stored model is then
    trained on everything. Raises Conflict with fewer than ``MIN_MERCHANT_EXAMPLES`` labelled
    tickets.
    """
    texts, labels = labelled_tickets(session=session)
    if len(texts) < MIN_MERCHANT_EXAMPLES:
        raise Conflict(
            f"only {len(texts)} ticket(s) have an intent set by an agent; label at least "
            f"{MIN_MERCHANT_EXAMPLES} (PATCH a ticket's intent) before retraining"
        )
    base_texts, base_labels = load_sample()
    train_idx, test_idx = _split(texts, labels, holdout)
    test_x = [texts[i] for i in test_idx]
    test_y = [labels[i] for i in test_idx]
    previous = _accuracy(current_model(session=session), test_x, test_y)
    accuracy = None
    if test_idx:
        trial = intents.train(
            base_texts + [texts[i] for i in train_idx],
            base_labels + [labels[i] for i in train_idx],
            seed=SEED,
        )
        accuracy = _accuracy(trial, test_x, test_y)
    model = intents.train(base_texts + texts, base_labels + labels, seed=SEED)
    record = IntentModelRecord(
        created_at=clock.now(),
        actor=actor,
        examples=len(base_texts) + len(texts),
        merchant_examples=len(texts),
        accuracy=accuracy,
        intents=list(model.intents),
        model=_to_bytes(model),
    )
    session.add(record)
    session.flush()
    with _lock:
        _models[record.id] = model
    return RetrainReport(
        model_id=record.id,
        examples=record.examples,
        merchant_examples=len(texts),
        held_out=len(test_idx),
        accuracy=accuracy,
        previous_accuracy=previous,
        intents=model.intents,
    )


def label_counts(*, session: Session) -> Counter[str]:
    """Return how many tickets agents labelled, per intent."""
    return Counter(labelled_tickets(session=session)[1])
