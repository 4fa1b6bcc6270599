"""Feedback and training: chargebacks and analyst decisions label orders, ``train_model``
fits LightGBM on the features recorded at intake, writes a card and the model scores."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from maillon.core import clock
from maillon.core.db import Database
from maillon.core.errors import NotFound
from maillon.fraud import service as fraud
from maillon.fraud.service import training
from maillon.fraud.tables import FraudAssessment
from maillon.orders import service as orders
from tests.helpers import order_draft
from tests.helpers.fraud import START, build_history


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
