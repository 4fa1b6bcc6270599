"""Tests of the fraud rules layer (maillon.fraud.rules)."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from maillon.fraud.features import FEATURE_NAMES, ActivityCounters, Order, compute_features
from maillon.fraud.rules import DEFAULT_RULES, OPERATORS, Rule, RuleSet, evaluate

T0 = datetime(2026, 3, 10, 14, 0, tzinfo=UTC)


def values(**overrides: float) -> list[float]:
    out = [0.0] * len(FEATURE_NAMES)
    for name, v in overrides.items():
        out[FEATURE_NAMES.index(name)] = v
    return out


def test_clean_order_scores_zero_and_is_accepted() -> None:
    f = compute_features(Order("o", "a@example.com", 30.0, T0, customer_id="c"))
    result = evaluate(f)
    assert result.score == 0.0
    assert result.reasons == ()
    assert DEFAULT_RULES.decision(result.score) == "accept"


def test_card_testing_pattern_is_rejected_with_reasons() -> None:
    order = Order("o", "x@mailinator.com", 30.0, T0, card_fingerprint="k")
    act = ActivityCounters(card=(4, 6, 6), ip=(6, 6, 6), card_accounts=3)
    result = evaluate(compute_features(order, None, act))
    assert {
        "card_velocity_1h",
        "card_shared_accounts",
        "ip_velocity_1h",
        "disposable_email",
    } <= set(result.fired)
    assert result.score >= DEFAULT_RULES.reject_at
    assert DEFAULT_RULES.decision(result.score) == "reject"
    # heaviest first
    weights = {r.name: r.weight for r in DEFAULT_RULES.rules}
    fired_w = [weights[n] for n in result.fired]
    assert fired_w == sorted(fired_w, reverse=True)


def test_noisy_or_combination() -> None:
    rules = RuleSet(
        (
            Rule("a", "amount", ">", 10, 0.5, "big"),
            Rule("b", "n_items", ">=", 2, 0.5, "many"),
        )
    )
    assert rules.evaluate(values(amount=20.0, n_items=3.0)).score == pytest.approx(0.75)
    assert rules.evaluate(values(amount=20.0)).score == pytest.approx(0.5)


@pytest.mark.parametrize(
    ("op", "value", "fires"),
    [
        (">", 5.0, False),
        (">=", 5.0, True),
        ("<", 4.0, True),
        ("<=", 6.0, False),
        ("==", 5.0, True),
        ("!=", 5.0, False),
    ],
)
def test_operators(op: str, value: float, fires: bool) -> None:
    assert Rule("r", "amount", op, 5.0, 0.2, "x").fires(value) is fires


def test_nan_never_fires() -> None:
    for op in OPERATORS:
        assert not Rule("r", "amount_zscore", op, 0.0, 0.2, "x").fires(math.nan)


def test_round_trip_through_json() -> None:
    text = json.dumps(DEFAULT_RULES.to_dict())
    again = RuleSet.from_json(text)
    assert again == DEFAULT_RULES


@pytest.mark.parametrize(
    ("data", "match"),
    [
        (
            {
                "name": "r",
                "feature": "nope",
                "op": ">",
                "threshold": 1,
                "weight": 0.1,
                "reason": "x",
            },
            "unknown feature",
        ),
        (
            {
                "name": "r",
                "feature": "amount",
                "op": "~",
                "threshold": 1,
                "weight": 0.1,
                "reason": "x",
            },
            "operator",
        ),
        (
            {
                "name": "r",
                "feature": "amount",
                "op": ">",
                "threshold": 1,
                "weight": 1.5,
                "reason": "x",
            },
            "weight",
        ),
        (
            {
                "name": "r",
                "feature": "amount",
                "op": ">",
                "threshold": 1,
                "weight": 0.1,
                "reason": "",
            },
            "reason",
        ),
        (
            {"name": "r", "feature": "amount", "op": ">", "threshold": 1, "weight": 0.1},
            "missing keys",
        ),
    ],
)
def test_invalid_rules_are_rejected(data: dict[str, object], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        Rule.from_dict(data)


def test_invalid_rule_sets_are_rejected() -> None:
    r = Rule("r", "amount", ">", 1, 0.1, "x")
    with pytest.raises(ValueError, match="duplicate"):
        RuleSet((r, r))
    with pytest.raises(ValueError, match="review_at"):
        RuleSet((r,), review_at=0.9, reject_at=0.5)
    with pytest.raises(ValueError, match="JSON"):
        RuleSet.from_json("{not json")
    with pytest.raises(ValueError, match="'rules'"):
        RuleSet.from_dict({})
    with pytest.raises(ValueError, match="feature values"):
        DEFAULT_RULES.evaluate([1.0, 2.0])


_values = st.lists(
    st.one_of(st.floats(-10, 5000, allow_nan=False), st.just(math.nan)),
    min_size=len(FEATURE_NAMES),
    max_size=len(FEATURE_NAMES),
)


@settings(max_examples=150, deadline=None)
@given(vals=_values)
def test_reasons_match_fired_rules(vals: list[float]) -> None:
    result = DEFAULT_RULES.evaluate(vals)
    expected = {
        r.name for r in DEFAULT_RULES.rules if r.fires(vals[FEATURE_NAMES.index(r.feature)])
    }
    assert set(result.fired) == expected
    by_name = {r.name: r for r in DEFAULT_RULES.rules}
    assert result.reasons == tuple(by_name[n].reason for n in result.fired)
    assert 0.0 <= result.score <= 1.0
    assert (result.score > 0) == bool(expected)
    # each fired rule alone scores at most the combination
    assert all(by_name[n].weight <= result.score + 1e-12 for n in result.fired)
