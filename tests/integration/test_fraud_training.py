"""Feedback and training: chargebacks and analyst decisions label orders, ``train_model``
fits LightGBM on the features recorded at intake, writes a card and the model scores."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from maillon.core import clock
from maillon.core.db import Database
from maillon.core.errors import NotFound
from maillon.fraud import service as fraud
from maillon.fraud import training
from maillon.fraud.tables import FraudAssessment
from maillon.orders import service as orders
from tests.helpers import order_draft

START = datetime.now(UTC) - timedelta(days=120)


def build_history(db: Database, *, n: int = 160, seed: int = 7) -> list[str]:
    """Orders over 80 days, 120 to 40 days ago: regular customers, and every fifth order a
    ring buying on a shared device and card with throw-away e-mails at night, which is
    charged back 10 days later. Returns the fraud order numbers."""
    rng = random.Random(seed)
    fraud_numbers: list[str] = []
    t = START
    for i in range(n):
        t += timedelta(minutes=rng.randint(300, 1000))
        is_fraud = i % 5 == 4
        if is_fraud:
            ring = i // 25
            at = t.replace(hour=rng.choice([1, 2, 3]))
            email = f"buyer{i}@{rng.choice(['yopmail.com', 'mailinator.com', 'example.org'])}"
            signals = {"device_id": f"ring-dev-{ring}", "card_fingerprint": f"ring-card-{ring}"}
            lines: tuple[tuple[str, int], ...] = (("LAMP-02", rng.randint(2, 4)),)
        else:
            at = t.replace(hour=rng.randint(9, 20))
            who = rng.randint(0, 40)
            email = f"client{who}@example.fr"
            signals = {"device_id": f"dev-{who}", "card_fingerprint": f"card-{who}"}
            lines = (("MUG-01", rng.randint(1, 2)),)
        with clock.frozen_at(at):
            order, _ = orders.place_order(
                db,
                order_draft(list(lines), email=email, signals=signals, external_id=f"H{i}"),
                actor="history",
            )
        if is_fraud:
            fraud_numbers.append(order.number)
            with clock.frozen_at(at + timedelta(days=10)), db.transaction() as s:
                fraud.record_chargeback(
                    session=s, number=order.number, amount_cents=order.total_cents, actor="psp"
                )
    return fraud_numbers


def test_train_writes_a_card_activates_the_model_and_scores_new_orders(
    seeded: Database, tmp_path: Path
) -> None:
    frauds = build_history(seeded)
    with seeded.reader() as s:
        data = training.labelled_orders(session=s, mature_days=30)
    assert data.n_fraud == len(frauds) == 32 and len(data.labels) == 160
    result = training.train_model(seeded, actor="test", seed=1, out_dir=tmp_path / "cards")
    card = result.card
    assert card["roc_auc"] is not None and card["roc_auc"] > 0.9
    assert card["pr_auc"] is not None and card["pr_auc"] > 0.7
    assert card["n_samples"] == 160 and card["n_fraud"] == 32
    first = datetime.fromisoformat(card["data_period"][0])
    assert START < first < START + timedelta(days=1)
    assert 0.0 <= card["thresholds"]["review"] <= card["thresholds"]["reject"] <= 1.0
    assert "ROC-AUC" in result.markdown and "PR-AUC" in result.markdown
    written = sorted(p.name for p in (tmp_path / "cards").iterdir())
    assert written == sorted(
        f"fraud-model-{result.version}{x}" for x in (".json", ".md", ".model.json")
    )
    with seeded.reader() as s:
        active = training.active_model(session=s)
        assert active is not None and active.version == result.version

    with clock.frozen_at(datetime.now(UTC).replace(hour=12)):  # not a risky hour (0-6 a.m.)
        clean, _ = orders.place_order(
            seeded,
            order_draft(
                email="client3@example.fr",
                signals={"device_id": "dev-3", "card_fingerprint": "card-3"},
            ),
            actor="t",
        )
    with clock.frozen_at(datetime.now(UTC).replace(hour=2) + timedelta(days=1)):
        bad, _ = orders.place_order(
            seeded,
            order_draft(
                [("LAMP-02", 3)],
                email="new@yopmail.com",
                signals={"device_id": "ring-dev-1", "card_fingerprint": "ring-card-1"},
            ),
            actor="t",
        )
    with seeded.reader() as s:
        a_clean = s.get(FraudAssessment, clean.id)
        a_bad = s.get(FraudAssessment, bad.id)
    assert a_clean is not None and a_bad is not None
    assert a_clean.model_version == a_bad.model_version == result.version
    assert a_bad.score > a_clean.score
    assert a_bad.decision in ("review", "reject") and a_clean.decision == "accept"
    assert any(r.startswith("model: ") for r in a_bad.reasons)


def test_analyst_decisions_are_labels(seeded: Database) -> None:
    with clock.frozen_at(datetime.now(UTC) - timedelta(days=2)):
        kept, _ = orders.place_order(seeded, order_draft(email="a@yopmail.com"), actor="t")
        dropped, _ = orders.place_order(seeded, order_draft(email="b@yopmail.com"), actor="t")
        young, _ = orders.place_order(seeded, order_draft(email="c@example.fr"), actor="t")
    with seeded.transaction() as s:  # send both to review by hand (the rules said accept)
        for number in (kept.number, dropped.number):
            fraud.get_assessment(session=s, number=number).assessment.review_status = "open"
    with seeded.transaction() as s:
        fraud.decide(session=s, number=kept.number, decision="approve", analyst="ana")
        fraud.decide(session=s, number=dropped.number, decision="reject", analyst="ana")
    with seeded.reader() as s:
        data = training.labelled_orders(session=s, mature_days=30)
    # the young order is neither reviewed nor mature: not a label yet
    assert dict(zip(data.order_ids, data.labels, strict=True)) == {kept.id: 0, dropped.id: 1}
    assert young.id not in data.order_ids


def test_without_enough_labels_training_says_so_and_the_rules_run(seeded: Database) -> None:
    build_history(seeded, n=20)
    with pytest.raises(training.NotEnoughLabels, match="not enough labels"):
        training.train_model(seeded, actor="test")
    with seeded.reader() as s:
        assert training.active_model(session=s) is None
        assert training.list_models(session=s) == []
    order, _ = orders.place_order(seeded, order_draft(email="z@example.fr"), actor="t")
    with seeded.reader() as s:
        a = s.get(FraudAssessment, order.id)
        assert a is not None and a.model_version is None and a.decision == "accept"
        assert (
            s.scalar(select(FraudAssessment.order_id).where(FraudAssessment.error.is_not(None)))
            is None
        )


def test_going_back_to_the_rules_alone(seeded: Database) -> None:
    build_history(seeded)
    result = training.train_model(seeded, actor="test", seed=1)
    with seeded.transaction() as s:
        training.activate_model(session=s, version=None)
    order, _ = orders.place_order(seeded, order_draft(email="after@example.fr"), actor="t")
    with seeded.reader() as s:
        a = s.get(FraudAssessment, order.id)
        assert a is not None and a.model_version is None
    with seeded.transaction() as s:
        assert training.activate_model(session=s, version=result.version) is not None
    with pytest.raises(NotFound), seeded.transaction() as s:
        training.activate_model(session=s, version="v99")
