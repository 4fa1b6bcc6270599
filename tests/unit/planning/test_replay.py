"""Policy comparison on a demand history: ours, min/max and (R, S) on the same demand."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from maillon.planning.policy import PolicyParams, design_batch
from maillon.planning.replay import (
    MIN_ERROR_VARIANCE,
    POLICY_NAMES,
    ComparisonInput,
    choose_prior,
    compare_on_history,
    rolling_forecast,
)
from maillon.planning.simulate import simulate


def inputs(matrix: np.ndarray, **kwargs: object) -> ComparisonInput:
    n = matrix.shape[0]
    base: dict[str, object] = {
        "skus": tuple(f"s{i}" for i in range(n)),
        "demand": matrix,
        "unit_price": np.full(n, 5.0),
        "lead_time_mean": np.full(n, 4.0),
        "lead_time_sd": np.zeros(n),
        "order_cost": 5.0,
        "warmup": 40,
    }
    base.update(kwargs)
    return ComparisonInput(**base)  # type: ignore[arg-type]


def poisson(n: int, periods: int, rate: float, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).poisson(rate, (n, periods)).astype(float)


def test_every_policy_is_replayed_on_the_measured_periods() -> None:
    result = compare_on_history(inputs(poisson(4, 160, 6.0)))
    assert [o.name for o in result.outcomes] == list(POLICY_NAMES)
    assert result.start == 40 and result.periods == 120
    for o in result.outcomes:
        assert len(o.on_hand) == len(o.short) == 120
        assert 0.0 <= o.fill_rate <= 1.0 and o.orders > 0
        assert o.avg_inventory == pytest.approx(np.mean(o.on_hand))
        assert o.total_cost == pytest.approx(o.holding_cost + o.ordering_cost + o.shortage_cost)
    assert [r["policy"] for r in result.rows()] == list(POLICY_NAMES)


def test_a_higher_target_keeps_more_stock_and_serves_better() -> None:
    demand = poisson(6, 200, 8.0, seed=4)
    low = compare_on_history(inputs(demand, service_level=0.8)).outcome("ours")
    high = compare_on_history(inputs(demand, service_level=0.99)).outcome("ours")
    assert high.avg_inventory > low.avg_inventory
    assert high.fill_rate > low.fill_rate


def test_steady_demand_with_a_fixed_lead_time_is_always_served() -> None:
    result = compare_on_history(inputs(np.full((2, 120), 5.0), lead_time_mean=np.full(2, 3.0)))
    for name in ("ours", "RS"):
        o = result.outcome(name)
        assert o.fill_rate == 1.0 and o.stockout_days == 0 and max(o.short) == 0.0
    with pytest.raises(KeyError):
        result.outcome("kanban")


@settings(max_examples=15, deadline=None)
@given(rate=st.floats(0.5, 20.0), seed=st.integers(0, 1000))
def test_stockout_days_count_the_periods_with_a_shortfall_of_one_sku(
    rate: float, seed: int
) -> None:
    result = compare_on_history(inputs(poisson(1, 90, rate, seed)))
    for o in result.outcomes:
        assert o.stockout_days == sum(1 for v in o.short if v > 0)
        assert all(v >= 0 for v in o.on_hand)


def test_simulate_records_the_shortfall_per_period() -> None:
    demand = poisson(3, 60, 4.0, seed=9)
    batch = design_batch(
        skus=["a", "b", "c"],
        forecast_mean=[4.0, 4.0, 4.0],
        forecast_sigma=[0.5, 0.5, 0.5],
        lead_time_mean=[2.0, 2.0, 2.0],
        params=PolicyParams(service_level=0.6, kind="sQ"),
    )
    result = simulate(demand, batch, record=True, warmup=10)
    assert result.shortfall is not None and result.shortfall.shape == (3, 50)
    np.testing.assert_allclose(result.shortfall.sum(axis=1), result.short)
    np.testing.assert_array_equal((result.shortfall > 1e-9).sum(axis=1), result.stockout_periods)
    assert simulate(demand, batch).shortfall is None


def test_rolling_forecast_uses_only_the_past() -> None:
    demand = poisson(2, 80, 5.0, seed=1)
    changed = demand.copy()
    changed[:, 50:] *= 10
    mean_a, sigma_a = rolling_forecast(demand, history=10, horizon=3)
    mean_b, sigma_b = rolling_forecast(changed, history=10, horizon=3)
    np.testing.assert_array_equal(mean_a[:, :51], mean_b[:, :51])
    np.testing.assert_array_equal(sigma_a[:, :51], sigma_b[:, :51])
    assert np.all(mean_b[:, 52:] > mean_a[:, 52:])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"skus": ("a", "a")}, "distinct"),
        ({"demand": -np.ones((2, 60))}, "finite and >= 0"),
        ({"unit_price": np.array([1.0])}, "one per SKU"),
        ({"service_level": 1.0}, "service_level"),
        ({"review_period": 0}, "review_period"),
        ({"warmup": 60}, "warmup"),
        ({"minmax_cycle": 0.0}, "minmax_cycle"),
    ],
)
def test_bad_input_is_refused(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        inputs(np.ones((2, 60)), **kwargs)
    with pytest.raises(ValueError, match="history"):
        rolling_forecast(np.ones((1, 5)), history=5)


def test_choose_prior_keeps_each_skus_own_spread_when_skus_differ() -> None:
    rng = np.random.default_rng(3)
    steady = rng.poisson(5.0, (20, 200)).astype(float)
    lumpy = (rng.random((20, 200)) < 0.1) * 50.0  # same mean, ten times the spread
    choice = choose_prior(np.vstack([steady, lumpy]), horizon=3, history=20)
    assert choice.prior <= 10
    assert choice.scores[math.inf] < min(v for p, v in choice.scores.items() if p < math.inf)
    assert choice.errors == 40 * (200 - 20 - 3 + 1)


def test_choose_prior_shrinks_short_histories_of_alike_skus() -> None:
    same = np.random.default_rng(3).gamma(2.0, 2.5, (40, 60))
    choice = choose_prior(same, horizon=3, history=20)
    assert choice.prior > 0
    assert choice.scores[choice.prior] > choice.scores[0.0]


def test_choose_prior_scores_the_gaussian_log_density_of_future_error_sums() -> None:
    demand = poisson(3, 40, 4.0, seed=2)
    choice = choose_prior(demand, horizon=2, history=10, candidates=(0.0,))
    mean, sigma = rolling_forecast(demand, horizon=2, history=10)
    total, count = 0.0, 0
    for t in range(10, 39):
        for i in range(3):
            error = demand[i, t] + demand[i, t + 1] - 2 * mean[i, t]
            variance = max(2 * sigma[i, t] ** 2, MIN_ERROR_VARIANCE)
            total += -0.5 * (math.log(2 * math.pi * variance) + error**2 / variance)
            count += 1
    assert choice.errors == count
    assert choice.scores[0.0] == pytest.approx(total / count)


def test_choose_prior_refuses_no_candidate_or_no_complete_sum() -> None:
    with pytest.raises(ValueError, match="candidates"):
        choose_prior(np.ones((2, 30)), candidates=())
    with pytest.raises(ValueError, match="no complete 5-period sum"):
        choose_prior(np.ones((2, 24)), horizon=5, history=20)


def test_comparison_chooses_the_shrinkage_on_the_warmup_only() -> None:
    rng = np.random.default_rng(0)
    demand = rng.gamma(2.0, 2.5, (40, 160))  # alike SKUs in the warm-up: shrink
    demand[20:, 60:] = (rng.random((20, 100)) < 0.1) * 50.0  # then half turn lumpy
    result = compare_on_history(inputs(demand, warmup=60, lead_time_mean=np.full(40, 2.0)))
    assert result.prior > 0
    assert result.prior == choose_prior(demand[:, :60], horizon=3, history=20).prior
    # The whole history (measured periods included) would have chosen no shrinkage.
    assert choose_prior(demand, horizon=3, history=20).prior == 0.0
    # A warm-up too short for one lead-time sum after the forecast's start: no shrinkage.
    assert compare_on_history(inputs(demand, warmup=4)).prior == 0.0
