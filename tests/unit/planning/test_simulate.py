"""Policy simulation (pure): replays traced by hand, invariants, and the normal model."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from maillon.planning import simulate as module
from maillon.planning.policy import (
    PolicyBatch,
    PolicyParams,
    SkuPolicy,
    SupplierTerms,
    design_batch,
)
from maillon.planning.simulate import compare, simulate


def sq(
    *, s: float, q: float, lead: float, sd: float = 0.0, sku: str = "a", moq: float = 0.0
) -> SkuPolicy:
    terms = SupplierTerms("acme", lead_time_mean=lead, lead_time_sd=sd, moq=moq)
    return SkuPolicy(
        sku=sku,
        kind="sQ",
        supplier=terms,
        review_period=1,
        reorder_point=s,
        order_quantity=q,
        holding_cost=0.1,
        order_cost=5.0,
        shortage_cost=2.0,
    )


def rs(*, big_s: float, review: int, lead: float, moq: float = 0.0, pack: float = 1.0) -> SkuPolicy:
    terms = SupplierTerms("acme", lead_time_mean=lead, moq=moq, pack_size=pack)
    return SkuPolicy(
        sku="r",
        kind="RS",
        supplier=terms,
        review_period=review,
        reorder_point=big_s,
        order_up_to=big_s,
    )


def test_public_api_is_pinned() -> None:
    assert sorted(module.__all__) == sorted(
        ["METRICS", "Comparison", "SimResult", "compare", "simulate"]
    )


def test_sq_replay_without_stock_out() -> None:
    # Traced by hand: order at t=4 (IP 10 <= s) arrives at t=6; order at t=8 arrives after.
    result = simulate([5.0] * 10, sq(s=10, q=20, lead=2), initial_on_hand=30, record=True)
    assert result.on_hand is not None
    assert result.on_hand[0].tolist() == [25, 20, 15, 10, 5, 0, 15, 10, 5, 0]
    assert result.avg_inventory[0] == pytest.approx(10.5)
    assert result.orders[0] == 2
    assert result.fill_rate[0] == 1.0
    assert result.stockout_periods[0] == 0
    assert (result.cycles[0], result.stockout_cycles[0]) == (2, 0)


def test_sq_replay_with_a_stock_out_backordered() -> None:
    # Lead time 3: the order of t=4 arrives at t=7, so t=6 is short by its 5 units.
    result = simulate([5.0] * 10, sq(s=10, q=20, lead=3), initial_on_hand=30, record=True)
    assert result.on_hand is not None
    assert result.on_hand[0].tolist() == [25, 20, 15, 10, 5, 0, 0, 10, 5, 0]
    assert result.fill_rate[0] == pytest.approx(0.9)
    assert result.stockout_periods[0] == 1
    assert result.cycle_service_level[0] == pytest.approx(0.5)  # 1 of 2 cycles short
    assert result.holding_cost[0] == pytest.approx(9.0)  # 90 unit-periods x 0.1
    assert result.ordering_cost[0] == pytest.approx(10.0)
    assert result.shortage_cost[0] == pytest.approx(10.0)
    assert result.total_cost[0] == pytest.approx(29.0)


def test_lost_sales_do_not_carry_over() -> None:
    result = simulate(
        [5.0] * 10, sq(s=10, q=20, lead=3), initial_on_hand=30, lost_sales=True, record=True
    )
    assert result.on_hand is not None
    assert result.on_hand[0].tolist() == [25, 20, 15, 10, 5, 0, 0, 15, 10, 5]
    assert result.fill_rate[0] == pytest.approx(0.9)


def test_rs_replay_orders_up_to_s_every_review_and_rounds_to_packs() -> None:
    result = simulate([4.0] * 8, rs(big_s=20, review=3, lead=1), initial_on_hand=20, record=True)
    assert result.on_hand is not None
    assert result.on_hand[0].tolist() == [16, 12, 8, 4, 12, 8, 4, 12]
    assert result.orders[0] == 2
    assert result.ordered_units[0] == 24
    packed = simulate([4.0] * 8, rs(big_s=20, review=3, lead=1, moq=15, pack=5), initial_on_hand=20)
    assert packed.ordered_units[0] == 30  # 12 -> MOQ 15 -> 3 packs of 5, twice


def test_zero_lead_time_arrives_at_once() -> None:
    result = simulate([6.0] * 5, sq(s=0, q=6, lead=0), initial_on_hand=6)
    assert result.fill_rate[0] == 1.0
    assert result.orders[0] == 4


def test_warmup_periods_are_replayed_but_not_measured() -> None:
    full = simulate([5.0] * 10, sq(s=10, q=20, lead=2), initial_on_hand=30, record=True)
    late = simulate([5.0] * 10, sq(s=10, q=20, lead=2), initial_on_hand=30, warmup=6)
    assert late.periods == 4
    assert full.on_hand is not None
    assert late.avg_inventory[0] == pytest.approx(full.on_hand[0, 6:].mean())
    assert late.orders[0] == 1


def test_many_skus_at_once_equal_one_at_a_time() -> None:
    rng = np.random.default_rng(3)
    demand = rng.poisson(6, size=(3, 60)).astype(float)
    policies = [
        sq(s=20, q=30, lead=3, sku="a"),
        sq(s=35, q=10, lead=5, sku="b", moq=25),
        sq(s=5, q=50, lead=1, sku="c"),
    ]
    together = simulate(demand, policies)
    for i, policy in enumerate(policies):
        alone = simulate(demand[i], policy)
        assert together.avg_inventory[i] == pytest.approx(alone.avg_inventory[0])
        assert together.fill_rate[i] == pytest.approx(alone.fill_rate[0])
        assert together.orders[i] == alone.orders[0]


def test_per_period_parameters_equal_fixed_ones_when_constant() -> None:
    demand = np.random.default_rng(1).poisson(4, size=(2, 40)).astype(float)
    fixed = PolicyBatch.from_policies(
        [sq(s=12, q=20, lead=2, sku="a"), sq(s=8, q=9, lead=2, sku="b")]
    )
    rolling = PolicyBatch(
        skus=fixed.skus,
        kinds=fixed.kinds,
        review_period=fixed.review_period,
        reorder_point=np.repeat(fixed.reorder_point[:, None], 40, axis=1),
        order_quantity=np.repeat(fixed.order_quantity[:, None], 40, axis=1),
        order_up_to=np.repeat(fixed.order_up_to[:, None], 40, axis=1),
        moq=fixed.moq,
        pack_size=fixed.pack_size,
        lead_time_mean=fixed.lead_time_mean,
        lead_time_sd=fixed.lead_time_sd,
        unit_price=fixed.unit_price,
        holding_cost=fixed.holding_cost,
        order_cost=fixed.order_cost,
        shortage_cost=fixed.shortage_cost,
        safety_stock=fixed.safety_stock,
        expected_fill_rate=fixed.expected_fill_rate,
        expected_cycle_service=fixed.expected_cycle_service,
    )
    a, b = simulate(demand, fixed), simulate(demand, rolling)
    assert np.allclose(a.avg_inventory, b.avg_inventory)
    assert np.array_equal(a.orders, b.orders)


@pytest.mark.parametrize(("kind", "review"), [("RS", 5), ("jit", 1)])
def test_achieved_fill_rate_matches_the_normal_design(kind: str, review: int) -> None:
    # i.i.d. normal demand, deterministic lead time: the loss-function design is exact.
    rng = np.random.default_rng(7)
    n, periods = 40, 2500
    mean = rng.uniform(20, 60, n)
    sigma = mean * rng.uniform(0.2, 0.4, n)
    demand = np.maximum(rng.normal(mean[:, None], sigma[:, None], (n, periods)), 0.0)
    batch = design_batch(
        skus=[str(i) for i in range(n)],
        forecast_mean=mean,
        forecast_sigma=sigma,
        lead_time_mean=6,
        params=PolicyParams(service_level=0.95, review_period=review),
        kind=kind,
    )
    result = simulate(demand, batch, warmup=100)
    assert result.summary()["fill_rate"] == pytest.approx(0.95, abs=0.006)


def test_compare_returns_rows_for_a_chart() -> None:
    demand = np.random.default_rng(2).poisson(5, size=200).astype(float)
    comparison = compare(
        demand,
        {"lean": sq(s=15, q=20, lead=3), "safe": sq(s=40, q=20, lead=3)},
        lead_time_sd=1.0,
        seed=4,
    )
    rows = comparison.rows()
    assert [r["policy"] for r in rows] == ["lean", "safe"]
    inventory = comparison.series("avg_inventory")
    assert inventory["safe"] > inventory["lean"]
    assert comparison.best("fill_rate") == "safe"
    assert comparison.best("avg_inventory") == "lean"
    with pytest.raises(ValueError, match="metric"):
        comparison.series("colour")
    with pytest.raises(ValueError, match="No policy"):
        compare(demand, {})


def test_seeded_lead_times_are_reproducible() -> None:
    demand = np.random.default_rng(5).poisson(5, size=300).astype(float)
    policy = sq(s=30, q=25, lead=4, sd=1.5)
    a, b = simulate(demand, policy, seed=11), simulate(demand, policy, seed=11)
    assert a.avg_inventory[0] == b.avg_inventory[0]
    assert a.fill_rate[0] == b.fill_rate[0]


def test_invalid_inputs_raise() -> None:
    policy = sq(s=10, q=20, lead=2)
    with pytest.raises(ValueError, match=">= 0"):
        simulate([1.0, -1.0], policy)
    with pytest.raises(ValueError, match="rows"):
        simulate(np.ones((2, 5)), policy)
    with pytest.raises(ValueError, match="warmup"):
        simulate([1.0] * 5, policy, warmup=5)
    with pytest.raises(ValueError, match="lead_time"):
        simulate([1.0] * 5, policy, lead_time=-1)
    short = design_batch(skus=["a"], forecast_mean=np.ones((1, 3)), forecast_sigma=np.ones((1, 3)),
                         lead_time_mean=1)  # fmt: skip
    with pytest.raises(ValueError, match="covers 3 < 5"):
        simulate([1.0] * 5, short)


@settings(max_examples=40, deadline=None)
@given(
    demand=st.lists(st.integers(0, 30), min_size=5, max_size=60),
    s=st.integers(0, 60),
    q=st.integers(1, 60),
    lead=st.integers(0, 6),
    extra=st.integers(1, 30),
)
def test_invariants_and_more_stock_never_serves_less(
    demand: list[int], s: int, q: int, lead: int, extra: int
) -> None:
    values = np.array(demand, dtype=float)
    base = simulate(values, sq(s=s, q=q, lead=lead))
    more = simulate(values, sq(s=s + extra, q=q, lead=lead))
    for result in (base, more):
        assert 0.0 <= result.fill_rate[0] <= 1.0
        assert result.served[0] + result.short[0] == pytest.approx(values.sum())
        assert result.stockout_periods[0] <= result.periods
        assert result.stockout_cycles[0] <= result.cycles[0]
        assert result.orders[0] <= result.periods
        assert result.avg_inventory[0] >= 0.0
    # A higher reorder point (and start) shifts the whole trajectory up.
    assert more.served[0] >= base.served[0] - 1e-9
    assert more.avg_inventory[0] >= base.avg_inventory[0] - 1e-9
