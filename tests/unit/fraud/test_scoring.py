"""Tests of the trained fraud model (maillon.fraud.scoring), on tiny synthetic data."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
from sklearn.metrics import roc_auc_score

from maillon.fraud.costs import Costs
from maillon.fraud.features import FEATURE_NAMES, ActivityCounters, Order, compute_features
from maillon.fraud.rules import DEFAULT_RULES, Rule, RuleSet
from maillon.fraud.scoring import (
    Decision,
    FraudModel,
    Thresholds,
    assess,
    choose_thresholds,
    train,
)

CARD = FEATURE_NAMES.index("card_orders_1h")
AMOUNT = FEATURE_NAMES.index("amount")
T0 = datetime(2026, 3, 10, 14, 0, tzinfo=UTC)


def synthetic(n: int, seed: int) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64]]:
    """Random order features; fraud = card used 3+ times in the hour AND amount > 300."""
    rng = np.random.default_rng(seed)
    X = rng.random((n, len(FEATURE_NAMES))) * 2.0
    X[:, AMOUNT] = rng.gamma(2.0, 100.0, n)
    X[:, CARD] = rng.poisson(0.8, n)
    y = ((X[:, CARD] >= 3) & (X[:, AMOUNT] > 300)).astype(np.int64)
    # make the pattern common enough in a small sample
    idx = rng.choice(n, n // 12, replace=False)
    X[idx, CARD] = rng.integers(3, 8, idx.size)
    X[idx, AMOUNT] = rng.uniform(320, 900, idx.size)
    y[idx] = 1
    return X, y


@pytest.fixture(scope="module")
def model() -> FraudModel:
    X, y = synthetic(1500, seed=1)
    return train(
        X,
        y,
        seed=7,
        feature_names=FEATURE_NAMES,
        num_boost_round=120,
        n_jobs=1,
        data_period=("2026-01-01", "2026-02-28"),
    )


def fraud_row() -> list[float]:
    row = [1.0] * len(FEATURE_NAMES)
    row[CARD], row[AMOUNT] = 5.0, 600.0
    return row


def legit_row() -> list[float]:
    row = [1.0] * len(FEATURE_NAMES)
    row[CARD], row[AMOUNT] = 0.0, 80.0
    return row


def test_model_separates_the_obvious_pattern(model: FraudModel) -> None:
    X, y = synthetic(800, seed=2)
    p = model.predict_proba(X)
    assert roc_auc_score(y, p) > 0.97
    assert model.score(fraud_row()).probability > 0.8
    assert model.score(legit_row()).probability < 0.1


def test_top_reasons_come_from_contributions(model: FraudModel) -> None:
    s = model.score(fraud_row(), top_k=3)
    assert 1 <= len(s.top_reasons) <= 3
    assert {"card_orders_1h", "amount"} & {c.feature for c in s.top_reasons}
    contribs = [c.contribution for c in s.top_reasons]
    assert all(c > 0 for c in contribs)
    assert contribs == sorted(contribs, reverse=True)
    top = s.top_reasons[0]
    assert top.value == fraud_row()[FEATURE_NAMES.index(top.feature)]
    assert model.score(fraud_row(), top_k=0).top_reasons == ()


def test_single_score_agrees_with_batch(model: FraudModel) -> None:
    X, _ = synthetic(20, seed=3)
    batch = model.predict_proba(X)
    single = [model.score(row).probability for row in X]
    np.testing.assert_allclose(single, batch, rtol=1e-9, atol=1e-12)


def test_scores_order_features_directly(model: FraudModel) -> None:
    order = Order("o", "a@example.com", 650.0, T0, card_fingerprint="k")
    f = compute_features(order, None, ActivityCounters(card=(5, 5, 5)))
    assert model.score(f).probability == pytest.approx(model.score(f.values()).probability)


def test_model_card(model: FraudModel) -> None:
    card = model.card
    assert card["data_period"] == ["2026-01-01", "2026-02-28"]
    assert card["n_samples"] == 1500
    assert card["n_validation"] == 375  # the latest quarter calibrates and sets thresholds
    assert card["roc_auc"] > 0.95
    assert card["validation_pr_auc"] > 0.9
    assert card["model"] in {c["candidate"] for c in card["candidates"]}
    assert card["calibration"]["kind"] in ("platt", "isotonic")
    assert 0.0 < card["pr_auc"] <= 1.0
    assert card["thresholds"] == {
        "review": model.thresholds.review,
        "reject": model.thresholds.reject,
    }
    json.dumps(card)  # JSON-ready


def test_thresholds_route_in_order(model: FraudModel) -> None:
    th = model.thresholds
    assert 0.0 <= th.review <= th.reject <= 1.0
    assert model.score(legit_row()).decision is Decision.ACCEPT
    assert model.score(fraud_row()).decision is Decision.REJECT


def test_training_is_deterministic() -> None:
    X, y = synthetic(600, seed=4)
    kw = {"seed": 3, "feature_names": FEATURE_NAMES, "num_boost_round": 40, "n_jobs": 1}
    a = train(X, y, **kw)  # type: ignore[arg-type]
    b = train(X, y, **kw)  # type: ignore[arg-type]
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))


def test_times_sort_rows_before_the_split() -> None:
    X, y = synthetic(600, seed=5)
    perm = np.random.default_rng(0).permutation(600)
    times = np.empty(600)
    times[perm] = np.arange(600)  # row perm[k] happened at time k
    kw = {"seed": 3, "feature_names": FEATURE_NAMES, "num_boost_round": 30, "n_jobs": 1}
    a = train(X[perm], y[perm], **kw)  # type: ignore[arg-type]
    b = train(X, y, times=times, **kw)  # type: ignore[arg-type]
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))


def test_save_and_load_round_trip(model: FraudModel, tmp_path: Path) -> None:
    path = tmp_path / "fraud.json"
    model.save(path)
    again = FraudModel.load(path)
    assert again.feature_names == model.feature_names
    assert again.thresholds == model.thresholds
    assert again.card == model.card
    assert again.score(fraud_row()) == model.score(fraud_row())
    assert again.calibrator == model.calibrator and again.weight == model.weight
    path.write_text('{"format": "something-else"}')
    with pytest.raises(ValueError, match="not a saved fraud model"):
        FraudModel.load(path)


def test_choose_thresholds_meets_targets() -> None:
    y = np.array([0, 0, 0, 0, 0, 0, 1, 0, 1, 1, 1, 1])
    s = np.linspace(0.0, 1.0, y.size)
    th = choose_thresholds(y, s, target_precision=1.0, target_recall=1.0)
    assert th.reject == pytest.approx(s[8])  # from here up every flagged row is fraud
    assert th.review == pytest.approx(s[6])  # highest cut that still catches all frauds
    flagged = s >= th.reject
    assert y[flagged].all()
    assert y[s >= th.review].sum() == y.sum()


def test_choose_thresholds_without_reachable_precision_never_rejects() -> None:
    th = choose_thresholds([1, 0, 1, 0], [0.5, 0.5, 0.5, 0.5], target_precision=0.9)
    assert th.reject == 1.0
    assert th.review <= th.reject


@pytest.mark.parametrize(("review", "reject"), [(-0.1, 0.5), (0.6, 0.5), (0.2, 1.2)])
def test_thresholds_validate(review: float, reject: float) -> None:
    with pytest.raises(ValueError, match="review"):
        Thresholds(review, reject)


def test_route() -> None:
    th = Thresholds(0.2, 0.7)
    assert [th.route(p) for p in (0.1, 0.2, 0.69, 0.7)] == [
        Decision.ACCEPT,
        Decision.REVIEW,
        Decision.REVIEW,
        Decision.REJECT,
    ]


def test_train_validates_inputs() -> None:
    X, y = synthetic(300, seed=6)
    with pytest.raises(ValueError, match="feature_names"):
        train(X, y, seed=0, feature_names=FEATURE_NAMES[:-1])
    with pytest.raises(ValueError, match="only 0"):
        train(X, y * 2, seed=0, feature_names=FEATURE_NAMES)
    with pytest.raises(ValueError, match="rows"):
        train(X, y[:-1], seed=0, feature_names=FEATURE_NAMES)
    y_late_clean = y.copy()
    y_late_clean[-100:] = 0
    with pytest.raises(ValueError, match="validation split"):
        train(X, y_late_clean, seed=0, feature_names=FEATURE_NAMES)
    with pytest.raises(ValueError, match="valid_fraction"):
        train(X, y, seed=0, feature_names=FEATURE_NAMES, valid_fraction=0.0)
    with pytest.raises(ValueError, match="families"):
        train(X, y, seed=0, feature_names=FEATURE_NAMES, families=("forest",))


def test_score_rejects_wrong_width(model: FraudModel) -> None:
    with pytest.raises(ValueError, match="features"):
        model.score([1.0, 2.0])


def test_assess_rules_alone_without_model() -> None:
    order = Order("o", "x@mailinator.com", 30.0, T0)
    f = compute_features(order, None, ActivityCounters(card=(4, 4, 4), card_accounts=2))
    a = assess(f)
    assert a.model is None
    assert a.probability == a.rules.score
    assert a.decision is Decision(DEFAULT_RULES.decision(a.rules.score))
    assert a.decision is not Decision.ACCEPT
    assert a.reasons == a.rules.reasons


def test_assess_rules_escalate_model(model: FraudModel) -> None:
    order = Order("o", "a@example.com", 40.0, T0, customer_id="c")
    f = compute_features(order)
    calm = assess(f, model=model, rules=RuleSet((Rule("big", "amount", ">", 1e9, 0.9, "x"),)))
    assert calm.decision is Decision.ACCEPT
    assert calm.model is not None and calm.probability == calm.model.probability
    strict = RuleSet((Rule("any", "amount", ">", 10, 0.9, "amount over 10"),), reject_at=0.85)
    escalated = assess(f, model=model, rules=strict)
    assert escalated.decision is Decision.REJECT
    assert escalated.reasons[0] == "amount over 10"


def test_thresholds_keep_a_review_band(model: FraudModel) -> None:
    th = model.thresholds
    assert th.review < th.reject
    assert model.card["thresholds"] == {"review": th.review, "reject": th.reject}


@pytest.mark.parametrize("family", ["logistic", "lightgbm", "blend"])
def test_each_family_trains_scores_and_round_trips(family: str) -> None:
    X, y = synthetic(600, seed=8)
    m = train(X, y, seed=1, feature_names=FEATURE_NAMES, num_boost_round=40, families=(family,))
    assert m.card["family"] == family
    assert all(c["family"] == family for c in m.card["candidates"])
    s = m.score(fraud_row())
    assert s.probability > m.score(legit_row()).probability
    assert s.probability == pytest.approx(float(m.predict_proba([fraud_row()])[0]), abs=1e-9)
    assert s.top_reasons and all(c.contribution > 0 for c in s.top_reasons)
    again = FraudModel.from_json(m.to_json())
    assert again.score(fraud_row()) == s


def test_new_costs_move_the_thresholds_without_retraining(model: FraudModel) -> None:
    cheap_reviews = model.thresholds_for(Costs(missed_fraud=500.0, review=1.0, refused_good=50.0))
    dear_reviews = model.thresholds_for(Costs(missed_fraud=100.0, review=20.0, refused_good=30.0))
    assert cheap_reviews.review < dear_reviews.review
    assert cheap_reviews.review < cheap_reviews.reject and dear_reviews.review < dear_reviews.reject


def test_a_format_1_model_still_loads() -> None:
    X, y = synthetic(600, seed=9)
    gbm = train(
        X, y, seed=1, feature_names=FEATURE_NAMES, num_boost_round=40, families=["lightgbm"]
    )
    data = json.loads(gbm.to_json())
    old = {k: data[k] for k in ("feature_names", "thresholds", "card", "booster")}
    old["format"] = "maillon-fraud-model/1"
    loaded = FraudModel.from_json(json.dumps(old))
    assert 0.0 <= loaded.score(fraud_row()).probability <= 1.0
    assert loaded.validation is None and loaded.thresholds_for(Costs()) == loaded.thresholds
