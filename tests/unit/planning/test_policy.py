"""Inventory policies (pure): safety stock, EOQ, design and order proposals."""

from __future__ import annotations

import math
from datetime import date, timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from maillon.planning import policy as module
from maillon.planning.policy import (
    PolicyBatch,
    PolicyParams,
    SkuPolicy,
    StockPosition,
    SupplierTerms,
    choose_supplier,
    design_batch,
    design_policy,
    eoq,
    expected_shortage,
    normal_loss,
    propose_orders,
    reorder_point,
    round_order_quantity,
    safety_stock,
)

Z95 = 1.6448536269514722  # Phi^-1(0.95), from statistical tables
SLOW = SupplierTerms("acme", lead_time_mean=4, lead_time_sd=1, unit_price=2.0, order_cost=50)
FAST = SupplierTerms("quick", lead_time_mean=2, lead_time_sd=0.1, unit_price=2.0, order_cost=5)


def test_public_api_is_pinned() -> None:
    assert sorted(module.__all__) == sorted(
        [
            "DISTRIBUTIONS",
            "POLICY_KINDS",
            "SERVICE_TYPES",
            "LeadTimeDemand",
            "PurchaseLine",
            "PolicyBatch",
            "PolicyParams",
            "SkuPolicy",
            "ServiceTargets",
            "StockPosition",
            "SupplierTerms",
            "choose_supplier",
            "design_batch",
            "design_policy",
            "eoq",
            "expected_shortage",
            "lead_time_demand",
            "normal_loss",
            "propose_orders",
            "reorder_point",
            "round_order_quantity",
            "safety_stock",
        ]
    )


# --------------------------------------------------------------------------- formulas


@pytest.mark.parametrize(
    ("z", "expected"),
    # Standard normal loss function table (Silver, Pyke & Peterson, Appendix B).
    [(0.0, 0.3989), (0.5, 0.1978), (1.0, 0.0833), (2.0, 0.0085), (-1.0, 1.0833)],
)
def test_normal_loss_matches_the_table(z: float, expected: float) -> None:
    assert normal_loss(z) == pytest.approx(expected, abs=1e-4)


@given(st.floats(-6, 6))
def test_normal_loss_symmetry(z: float) -> None:
    # G(-z) = G(z) + z, since E[(Z + z)+] - E[(Z - z)+]... = z for a symmetric Z.
    assert normal_loss(-z) == pytest.approx(normal_loss(z) + z, abs=1e-9)


def test_cycle_safety_stock_is_z_sigma_over_the_protection_interval() -> None:
    # sigma over L = 4 periods: 10 x sqrt(4) = 20.
    assert safety_stock(service_level=0.95, sigma_demand=10, mean_lead_time=4) == pytest.approx(
        Z95 * 20
    )
    # Periodic review: L + R = 9 periods, sigma 30.
    assert safety_stock(
        service_level=0.95, sigma_demand=10, mean_lead_time=4, review_period=5
    ) == pytest.approx(Z95 * 30)


def test_lead_time_variability_adds_mean_squared_times_its_variance() -> None:
    ss = safety_stock(
        service_level=0.95, sigma_demand=3, mean_lead_time=4, sigma_lead_time=1, mean_demand=10
    )
    assert ss == pytest.approx(Z95 * math.sqrt(4 * 9 + 100 * 1))


def test_fill_rate_safety_stock_matches_the_textbook_loss_equation() -> None:
    # G(k) = Q (1 - beta) / sigma = 100 x 0.05 / 20 = 0.25  ->  k ~ 0.345 (loss table).
    ss = safety_stock(
        service_level=0.95,
        sigma_demand=10,
        mean_lead_time=4,
        mean_demand=25,
        service_type="fill_rate",
        order_quantity=100,
    )
    assert ss == pytest.approx(0.345 * 20, abs=0.05)


def test_fill_rate_safety_stock_meets_the_loss_equation_exactly() -> None:
    kwargs = {"mean_demand": 10.0, "sigma_demand": 6.0, "mean_lead_time": 5.0}
    ss = safety_stock(service_level=0.98, service_type="fill_rate", review_period=2, **kwargs)
    level = 10.0 * 7 + ss
    short = expected_shortage(level=level, review_period=2, **kwargs)
    assert short == pytest.approx(0.02 * 10.0 * 2, rel=1e-6)


def test_fill_rate_safety_stock_may_be_negative_only_when_allowed() -> None:
    kwargs = {
        "service_level": 0.9,
        "sigma_demand": 2.0,
        "mean_lead_time": 4.0,
        "mean_demand": 10.0,
        "service_type": "fill_rate",
        "order_quantity": 500.0,
    }
    assert safety_stock(**kwargs) == 0.0
    assert safety_stock(**kwargs, allow_negative=True) < 0.0


@settings(max_examples=40, deadline=None)
@given(
    st.floats(0.5, 0.98),
    st.floats(0.001, 0.019),
    st.floats(0.1, 50),
    st.floats(0, 20),
    st.floats(1, 200),
)
def test_a_higher_target_never_lowers_the_safety_stock(
    level: float, step: float, sigma: float, lead: float, quantity: float
) -> None:
    for service_type in ("cycle", "fill_rate"):
        low, high = (
            safety_stock(
                service_level=target,
                sigma_demand=sigma,
                mean_lead_time=lead,
                review_period=1,
                mean_demand=10,
                service_type=service_type,
                order_quantity=quantity,
            )
            for target in (level, level + step)
        )
        assert high >= low - 1e-6


def test_gamma_is_close_to_normal_when_demand_is_smooth_and_larger_when_skewed() -> None:
    smooth = {"sigma_demand": 5.0, "mean_lead_time": 4.0, "mean_demand": 500.0}
    normal = safety_stock(service_level=0.99, **smooth)
    gamma = safety_stock(service_level=0.99, distribution="gamma", **smooth)
    assert gamma == pytest.approx(normal, rel=0.02)
    lumpy = {"sigma_demand": 10.0, "mean_lead_time": 4.0, "mean_demand": 5.0}
    assert safety_stock(service_level=0.99, distribution="gamma", **lumpy) > safety_stock(
        service_level=0.99, **lumpy
    )


def test_reorder_point_and_eoq_by_hand() -> None:
    assert reorder_point(
        mean_demand=10, mean_lead_time=4, review_period=1, safety_stock=5
    ) == pytest.approx(55)
    assert eoq(demand_rate=1000, order_cost=50, holding_cost=2) == pytest.approx(math.sqrt(50_000))
    assert eoq(demand_rate=0, order_cost=50, holding_cost=2) == 0.0
    with pytest.raises(ValueError, match="infinite"):
        eoq(demand_rate=10, order_cost=5, holding_cost=0)


@pytest.mark.parametrize(
    ("quantity", "moq", "pack", "expected"),
    [(7, 10, 6, 12), (13, 0, 6, 18), (12, 0, 6, 12), (0, 10, 6, 0), (0.1, 0, 1, 1), (-3, 5, 1, 0)],
)
def test_round_order_quantity(quantity: float, moq: float, pack: float, expected: float) -> None:
    assert round_order_quantity(quantity, moq=moq, pack_size=pack) == expected


@given(st.floats(0.01, 1e4), st.floats(0, 1e3), st.integers(1, 48))
def test_rounded_quantity_is_enough_a_whole_pack_and_tight(q: float, moq: float, pack: int) -> None:
    rounded = round_order_quantity(q, moq=moq, pack_size=pack)
    assert rounded >= max(q, moq) - 1e-6
    assert rounded % pack == 0
    assert rounded < max(q, moq) + pack + 1e-6


@pytest.mark.parametrize(
    "call",
    [
        lambda: safety_stock(service_level=1.0, sigma_demand=1, mean_lead_time=1),
        lambda: safety_stock(service_level=0.9, sigma_demand=-1, mean_lead_time=1),
        lambda: safety_stock(
            service_level=0.9, sigma_demand=1, mean_lead_time=1, service_type="beta"
        ),
        lambda: safety_stock(
            service_level=0.9, sigma_demand=1, mean_lead_time=1, service_type="fill_rate"
        ),
        lambda: safety_stock(
            service_level=0.9, sigma_demand=1, mean_lead_time=1, distribution="poisson"
        ),
        lambda: round_order_quantity(5, pack_size=0),
        lambda: SupplierTerms("x", lead_time_mean=-1),
        lambda: SupplierTerms("x", lead_time_mean=1, pack_size=0),
        lambda: PolicyParams(service_level=0),
        lambda: PolicyParams(kind="kanban"),
        lambda: PolicyParams(review_period=0),
        lambda: StockPosition("a", on_hand=-1),
    ],
)
def test_invalid_inputs_raise(call: object) -> None:
    with pytest.raises(ValueError, match=r"must|not understood|needs"):
        call()  # type: ignore[operator]


# --------------------------------------------------------------------------- design


def test_auto_design_is_sq_with_an_eoq_lot_for_a_slow_mover() -> None:
    params = PolicyParams(service_level=0.95, service_type="cycle", periods_per_year=365)
    policy = design_policy(
        sku="S1", forecast_mean=10, forecast_sigma=3, supplier=SLOW, params=params
    )
    assert policy.kind == "sQ"
    assert policy.order_up_to is None
    # EOQ: D = 10/period, K = 50, h = 2 x 0.25 / 365 per period.
    assert policy.order_quantity == math.ceil(math.sqrt(2 * 10 * 50 / (0.5 / 365)))
    # Protection L + R = 5 periods: mean 50, sd sqrt(5 x 9 + 100 x 1).
    sigma = math.sqrt(5 * 9 + 100)
    assert policy.reorder_point == pytest.approx(50 + Z95 * sigma)
    assert policy.safety_stock == pytest.approx(Z95 * sigma)
    assert policy.expected_cycle_service == pytest.approx(0.95)
    assert policy.holding_cost == pytest.approx(0.5 / 365)


def test_auto_design_is_jit_for_a_fast_mover_with_a_reliable_supplier() -> None:
    policy = design_policy(sku="F", forecast_mean=50, forecast_sigma=10, supplier=FAST)
    assert policy.kind == "jit"
    assert policy.review_period == 1
    assert policy.order_up_to is not None and policy.order_up_to == policy.reorder_point
    assert "reliable supplier" in policy.reason
    # The same SKU with an unreliable supplier, or outside the JIT classes, is not JIT.
    assert design_policy(sku="F", forecast_mean=50, forecast_sigma=10, supplier=SLOW).kind == "sQ"
    assert (
        design_policy(
            sku="F", forecast_mean=50, forecast_sigma=10, supplier=FAST, sku_class="CZ"
        ).kind
        == "sQ"
    )


def test_periodic_review_gives_rs_and_minmax_keeps_s_below_s_plus_q() -> None:
    rs = design_policy(
        sku="R",
        forecast_mean=10,
        forecast_sigma=3,
        supplier=SLOW,
        params=PolicyParams(review_period=7),
    )
    assert (rs.kind, rs.review_period) == ("RS", 7)
    assert rs.order_up_to == rs.reorder_point
    assert rs.expected_fill_rate == pytest.approx(0.95, abs=1e-6)
    minmax = design_policy(
        sku="M",
        forecast_mean=10,
        forecast_sigma=3,
        supplier=SLOW,
        params=PolicyParams(kind="minmax"),
    )
    sq = design_policy(
        sku="M", forecast_mean=10, forecast_sigma=3, supplier=SLOW, params=PolicyParams(kind="sQ")
    )
    assert minmax.reorder_point == pytest.approx(sq.reorder_point)
    assert minmax.order_up_to == pytest.approx(sq.reorder_point + (sq.order_quantity or 0))


def test_design_rounds_the_lot_to_moq_and_pack() -> None:
    terms = SupplierTerms("p", lead_time_mean=3, moq=500, pack_size=48, unit_price=1, order_cost=1)
    policy = design_policy(sku="P", forecast_mean=2, forecast_sigma=1, supplier=terms)
    assert policy.order_quantity == 528  # EOQ is small: MOQ 500, then 11 packs of 48


def test_batch_design_matches_the_one_sku_design() -> None:
    params = PolicyParams(service_level=0.97)
    means, sigmas = [5.0, 40.0, 0.0], [4.0, 9.0, 0.0]
    batch = design_batch(
        skus=["a", "b", "c"],
        forecast_mean=means,
        forecast_sigma=sigmas,
        lead_time_mean=SLOW.lead_time_mean,
        lead_time_sd=SLOW.lead_time_sd,
        unit_price=SLOW.unit_price,
        order_cost=SLOW.order_cost,
        params=params,
    )
    for i, (mean, sigma) in enumerate(zip(means, sigmas, strict=True)):
        one = design_policy(
            sku="x", forecast_mean=mean, forecast_sigma=sigma, supplier=SLOW, params=params
        )
        assert batch.reorder_point[i] == pytest.approx(one.reorder_point)
        assert batch.order_quantity[i] == pytest.approx(one.order_quantity or 0)
    assert not batch.reorder_point.flags.writeable


def test_batch_design_with_a_rolling_forecast_keeps_one_column_per_period() -> None:
    mean = np.tile([[10.0, 20.0, 40.0]], (2, 1))
    batch = design_batch(
        skus=["a", "b"], forecast_mean=mean, forecast_sigma=mean / 2, lead_time_mean=3
    )
    assert batch.reorder_point.shape == (2, 3)
    assert np.all(np.diff(batch.reorder_point, axis=1) > 0)


def test_choose_supplier_prefers_the_cheaper_offer() -> None:
    dear = SupplierTerms("dear", lead_time_mean=4, unit_price=3.0, order_cost=10)
    cheap = SupplierTerms("cheap", lead_time_mean=4, unit_price=2.5, order_cost=10)
    policy = choose_supplier(sku="S", forecast_mean=20, forecast_sigma=5, suppliers=[dear, cheap])
    assert policy.supplier.supplier == "cheap"
    with pytest.raises(ValueError, match="no supplier"):
        choose_supplier(sku="S", forecast_mean=1, forecast_sigma=1, suppliers=[])


def test_sku_policy_and_batch_validation() -> None:
    with pytest.raises(ValueError, match="order_quantity only"):
        SkuPolicy(sku="a", kind="sQ", supplier=SLOW, review_period=1, reorder_point=5)
    with pytest.raises(ValueError, match=">= reorder_point"):
        SkuPolicy(
            sku="a", kind="RS", supplier=SLOW, review_period=1, reorder_point=5, order_up_to=4
        )
    with pytest.raises(ValueError, match="kind"):
        SkuPolicy(sku="a", kind="?", supplier=SLOW, review_period=1, reorder_point=5)
    good = SkuPolicy(
        sku="a", kind="sQ", supplier=SLOW, review_period=1, reorder_point=5, order_quantity=10
    )
    with pytest.raises(ValueError, match="distinct"):
        PolicyBatch.from_policies([good, good])


# --------------------------------------------------------------------------- replenishment


def test_order_quantity_for_an_sq_policy_buys_enough_lots() -> None:
    policy = SkuPolicy(
        sku="a", kind="sQ", supplier=SLOW, review_period=1, reorder_point=50, order_quantity=30
    )
    assert policy.order_quantity_for(51) == 0
    assert policy.order_quantity_for(50) == 30
    assert policy.order_quantity_for(-15) == 90  # 65 below s: three lots lift IP to 75 > 50


def test_propose_orders_uses_the_inventory_position_and_supplier_terms() -> None:
    terms = SupplierTerms("acme", lead_time_mean=3.2, moq=0, pack_size=12, unit_price=1.5)
    rs = SkuPolicy(
        sku="r", kind="RS", supplier=terms, review_period=1, reorder_point=100, order_up_to=100
    )
    sq = SkuPolicy(
        sku="q", kind="sQ", supplier=terms, review_period=1, reorder_point=20, order_quantity=48
    )
    today = date(2026, 3, 2)
    lines = propose_orders(
        positions=[
            StockPosition("r", on_hand=30, on_order=20, backordered=5),  # IP 45
            StockPosition("q", on_hand=21),  # IP 21 > 20: nothing
        ],
        policies=[rs, sq],
        today=today,
    )
    assert len(lines) == 1
    line = lines[0]
    assert (line.sku, line.supplier) == ("r", "acme")
    assert line.quantity == 60  # 55 up to S, rounded to 5 packs of 12
    assert line.expected_arrival == today + timedelta(days=4)
    assert line.amount == pytest.approx(90.0)
    assert "inventory position 45" in line.reason and "RS" in line.reason


def test_propose_orders_reviews_periodic_policies_on_their_days_only() -> None:
    weekly = SkuPolicy(
        sku="w", kind="RS", supplier=SLOW, review_period=7, reorder_point=10, order_up_to=10
    )
    position = [StockPosition("w", on_hand=0)]
    kwargs = {"positions": position, "policies": {"w": weekly}, "today": date(2026, 1, 1)}
    assert propose_orders(**kwargs, period_index=3) == ()
    assert len(propose_orders(**kwargs, period_index=14)) == 1
    assert len(propose_orders(**kwargs)) == 1


def test_propose_orders_rejects_unknown_or_repeated_skus() -> None:
    with pytest.raises(ValueError, match="No policy"):
        propose_orders(positions=[StockPosition("z", on_hand=1)], policies=[], today=date.today())
    policy = SkuPolicy(
        sku="a", kind="sQ", supplier=SLOW, review_period=1, reorder_point=5, order_quantity=10
    )
    with pytest.raises(ValueError, match="twice"):
        propose_orders(
            positions=[StockPosition("a", on_hand=1), StockPosition("a", on_hand=2)],
            policies=[policy],
            today=date.today(),
        )


def test_a_storage_cost_per_unit_shrinks_the_lots_of_cheap_items_most() -> None:
    def lots(storage: float) -> np.ndarray:
        batch = design_batch(
            skus=["cheap", "dear"],
            forecast_mean=[20.0, 20.0],
            forecast_sigma=[5.0, 5.0],
            lead_time_mean=[5.0, 5.0],
            unit_price=[0.5, 50.0],
            order_cost=[10.0, 10.0],
            params=PolicyParams(kind="sQ", unit_holding_cost=storage),
        )
        return np.asarray(batch.order_quantity, dtype=np.float64)

    plain, stored = lots(0.0), lots(0.002)
    assert (stored < plain).all()
    shrink = stored / plain
    assert shrink[0] < 0.5 < shrink[1]  # the cheap item's lot shrinks far more
    params = PolicyParams(holding_rate=0.365, periods_per_year=365.0, unit_holding_cost=0.002)
    assert params.holding_cost(2.0) == pytest.approx(0.002 + 0.002)
    with pytest.raises(ValueError, match="unit_holding_cost"):
        PolicyParams(unit_holding_cost=-1.0)
