"""Intent classification of tickets: which classifier is in use, and retraining it on the
merchant's own labelled tickets.

Without a retrained one, the classifier is trained at first use in each process on the shipped
French and English data with the shipped configuration (:mod:`maillon.care.intent_protocol`,
``data/intents_train.csv`` and ``data/intents_config.json``: text, not a pickle; about two
seconds). ``retrain`` adds the tickets whose intent an agent set, measures the accuracy on a
held-out share of them, and stores the new classifier in ``care_intent_models``; every process
then loads the newest row (cached by id).
"""

from __future__ import annotations

import random
import threading
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from maillon.care import intent_protocol
from maillon.care.intent_protocol import IntentClassifier, TrainingSet
from maillon.care.intents import Prediction
from maillon.care.model import Intent, category_of_intent, intent_of_label
from maillon.care.tables import IntentModelRecord, Ticket
from maillon.core import clock
from maillon.core.errors import Conflict

SEED = 0
MIN_MERCHANT_EXAMPLES = 5
"""Labelled tickets needed before ``retrain`` agrees to run."""

_models: dict[int, IntentClassifier] = {}  # record id -> classifier; 0 is the shipped one
_lock = threading.Lock()


def sample_model() -> IntentClassifier:
    """Return the classifier as shipped (trained once per process)."""
    with _lock:
        model = _models.get(0)
        if model is None:
            model = intent_protocol.fit(
                intent_protocol.load_training(), intent_protocol.shipped_config(), seed=SEED
            )
            _models[0] = model
        return model


def current_model(*, session: Session) -> IntentClassifier:
    """Return the classifier in use: the newest retrained one, else the shipped one."""
    newest = session.scalar(select(func.max(IntentModelRecord.id)))
    if newest is None:
        return sample_model()
    with _lock:
        cached = _models.get(newest)
    if cached is not None:
        return cached
    record = session.get(IntentModelRecord, newest)
    assert record is not None
    model = IntentClassifier.from_bytes(record.model)
    with _lock:
        _models[newest] = model
    return model


def classify(*, session: Session, text: str) -> Prediction:
    """Return the most probable intent of ``text`` and its probability (the classifier in
    use); below ``current_model(...).threshold`` the message goes to ``other``."""
    [prediction] = current_model(session=session).predict([text])
    return prediction


@dataclass(frozen=True)
class Routing:
    """Where a message goes: its ``intent`` (``other`` when unsure), the classifier's
    ``best_guess`` and probability, whether a specialised queue takes it (``routed``) and the
    queue (``category``; ``other`` is the human triage queue)."""

    intent: str
    best_guess: str
    confidence: float
    routed: bool
    category: str


def route(*, session: Session, text: str) -> Routing:
    """Return where ``text`` goes: a specialised queue when the classifier is sure enough of
    an intent other than ``other``, else the human triage queue."""
    prediction = classify(session=session, text=text)
    threshold = current_model(session=session).threshold
    intent = intent_protocol.routed(prediction, threshold)
    routed = intent != Intent.OTHER
    return Routing(
        intent=intent,
        best_guess=prediction.intent,
        confidence=round(prediction.confidence, 4),
        routed=routed,
        category=category_of_intent(intent) if routed else Intent.OTHER.value,
    )


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
    texts = [ticket_text(t) for t in tickets]
    return texts, [intent_of_label(t.intent) for t in tickets]


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


def _accuracy(model: IntentClassifier, texts: Sequence[str], labels: Sequence[str]) -> float | None:
    if not texts:
        return None
    predicted = model.route(list(texts))
    return round(sum(p == y for p, y in zip(predicted, labels, strict=True)) / len(texts), 4)


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


def _merchant_rows(texts: Sequence[str], labels: Sequence[str]) -> TrainingSet:
    return TrainingSet(tuple(texts), tuple(labels), tuple("" for _ in texts),
                       tuple(intent_protocol.PRIMARY for _ in texts))  # fmt: skip


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
    base = intent_protocol.load_training()
    choice = intent_protocol.shipped_config()
    train_idx, test_idx = _split(texts, labels, holdout)
    test_x = [texts[i] for i in test_idx]
    test_y = [labels[i] for i in test_idx]
    previous = _accuracy(current_model(session=session), test_x, test_y)
    accuracy = None
    if test_idx:
        rows = _merchant_rows([texts[i] for i in train_idx], [labels[i] for i in train_idx])
        trial = intent_protocol.fit(base + rows, choice, seed=SEED)
        accuracy = _accuracy(trial, test_x, test_y)
    model = intent_protocol.fit(base + _merchant_rows(texts, labels), choice, seed=SEED)
    record = IntentModelRecord(
        created_at=clock.now(),
        actor=actor,
        examples=len(base.texts) + len(texts),
        merchant_examples=len(texts),
        accuracy=accuracy,
        intents=list(model.intents),
        model=model.to_bytes(),
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
