"""Review and reject thresholds from decision costs (maillon.fraud.costs)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from maillon.fraud.costs import MIN_BAND_LOGIT, Costs, bayes_thresholds, cost_thresholds


def logit(p: float) -> float:
    return math.log(p / (1.0 - p))


def observed(y: np.ndarray, p: np.ndarray, review: float, reject: float, c: Costs) -> float:
    accepted, rejected = p < review, p >= reject
    reviewed = ~accepted & ~rejected
    return (
        c.missed_fraud * y[accepted].sum()
        + c.review * reviewed.sum()
        + c.refused_good * (1 - y[rejected]).sum()
    )


def test_bayes_thresholds_follow_the_costs() -> None:
    review, reject = bayes_thresholds(Costs(missed_fraud=100.0, review=5.0, refused_good=30.0))
    assert review == pytest.approx(0.05)
    assert reject == pytest.approx(1.0 - 5.0 / 30.0)


def test_bayes_band_is_widened_when_reviews_cost_too_much() -> None:
    review, reject = bayes_thresholds(Costs(missed_fraud=10.0, review=9.0, refused_good=10.0))
    assert logit(reject) - logit(review) == pytest.approx(MIN_BAND_LOGIT)


def test_chosen_pair_is_the_cheapest_with_a_band() -> None:
    rng = np.random.default_rng(0)
    y = (rng.random(2000) < 0.05).astype(np.int64)
    p = np.clip(np.where(y == 1, rng.beta(5, 2, y.size), rng.beta(1, 30, y.size)), 1e-6, 1)
    costs = Costs(missed_fraud=120.0, review=4.0, refused_good=40.0)
    review, reject, info = cost_thresholds(y, p, costs)
    assert review < reject
    assert logit(reject) - logit(review) >= MIN_BAND_LOGIT - 1e-6
    best = observed(y, p, review, reject, costs)
    assert info["cost_per_order"] == pytest.approx(best / y.size)
    assert best < costs.missed_fraud * y.sum()  # cheaper than accepting everything
    # no pair of cut points on the observed probabilities with the same band does better
    cuts = np.quantile(p, np.linspace(0.0, 1.0, 60))
    for lo in cuts:
        for hi in cuts:
            if 0 < lo < hi < 1 and logit(hi) - logit(lo) >= MIN_BAND_LOGIT:
                assert observed(y, p, lo, hi, costs) >= best - 1e-9


@pytest.mark.parametrize(
    ("y", "p"),
    [
        ([0, 0, 1, 1], [0.0, 0.0, 1.0, 1.0]),  # separable: any cut in between costs 0
        ([0, 1, 0, 1], [0.5, 0.5, 0.5, 0.5]),  # one value for every order
        ([0, 0, 0, 0], [0.1, 0.2, 0.3, 0.4]),  # no fraud at all
        ([], []),  # nothing
    ],
)
def test_review_band_survives_degenerate_data(y: list[int], p: list[float]) -> None:
    review, reject, _ = cost_thresholds(y, p)
    assert 0.0 < review < reject < 1.0
    assert logit(reject) - logit(review) >= MIN_BAND_LOGIT - 1e-6


def test_separable_data_takes_the_bayes_pair() -> None:
    review, reject, info = cost_thresholds([0, 0, 1, 1], [0.0, 0.0, 1.0, 1.0])
    assert logit(review) == pytest.approx(logit(info["bayes_review"]), abs=0.05)
    assert logit(reject) == pytest.approx(logit(info["bayes_reject"]), abs=0.05)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"review": -1}, "review"),
        ({"missed_fraud": "a lot"}, "missed_fraud"),
        ({"refused_good": 3.0, "review": 5.0}, "review"),
        ({"fraud": 1.0}, "fraud: unknown"),
        ({"review": float("nan")}, "review"),
    ],
)
def test_costs_name_the_bad_field(data: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Costs.from_dict(data)  # type: ignore[arg-type]


def test_costs_round_trip() -> None:
    c = Costs(missed_fraud=80.0, review=2.5, refused_good=15.0)
    assert Costs.from_dict(c.to_dict()) == c
    assert Costs.from_dict({}) == Costs()
